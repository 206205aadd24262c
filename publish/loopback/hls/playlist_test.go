package hls

import (
	"testing"
	"time"
)

func TestRenderPlaylist(t *testing.T) {
	segs := []*segment{
		{seq: 7, dur: time.Second},
		{seq: 8, dur: 1040 * time.Millisecond},
		{seq: 9, dur: 999600 * time.Microsecond},
	}
	want := `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:7
#EXTINF:1.000,
seg7.ts
#EXTINF:1.040,
seg8.ts
#EXTINF:1.000,
seg9.ts
`
	if got := string(renderPlaylist(segs, 1040*time.Millisecond, false)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	want = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-ENDLIST\n"
	if got := string(renderPlaylist(nil, 0, true)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTargetDurationSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 1},
		{time.Second, 1},
		{1000400 * time.Microsecond, 1}, // #EXTINF:1.000
		{1001 * time.Millisecond, 1},    // #EXTINF:1.001 rounds to 1
		{1499 * time.Millisecond, 1},
		{1500 * time.Millisecond, 2},
		{6 * time.Second, 6},
		{6*time.Second + time.Millisecond, 6},
		{6*time.Second + 500*time.Millisecond, 7},
	} {
		if got := targetDurationSeconds(tc.d); got != tc.want {
			t.Errorf("targetDurationSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestSegmentNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  uint64
		ok   bool
	}{
		{"seg0.ts", 0, true},
		{"seg123.ts", 123, true},
		{"seg18446744073709551615.ts", 1<<64 - 1, true},
		{"seg007.ts", 0, false},
		{"seg+1.ts", 0, false},
		{"seg-1.ts", 0, false},
		{"seg.ts", 0, false},
		{"seg1.ts.ts", 0, false},
		{"seg18446744073709551616.ts", 0, false},
		{"index.m3u8", 0, false},
		{"x/seg1.ts", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, ok := parseSegmentName(tc.name)
			if seq != tc.seq || ok != tc.ok {
				t.Errorf("parseSegmentName(%q) = %d, %v", tc.name, seq, ok)
			}
			if ok && segmentName(seq) != tc.name {
				t.Errorf("segmentName(%d) = %q", seq, segmentName(seq))
			}
		})
	}
}

func TestVODPlaylist(t *testing.T) {
	got := string(VODPlaylist([]time.Duration{4933 * time.Millisecond, 4 * time.Second, 1500 * time.Millisecond}))
	want := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:5\n#EXT-X-MEDIA-SEQUENCE:0\n" +
		"#EXTINF:4.933,\nseg0.ts\n#EXTINF:4.000,\nseg1.ts\n#EXTINF:1.500,\nseg2.ts\n#EXT-X-ENDLIST\n"
	if got != want {
		t.Errorf("VODPlaylist =\n%s\nwant\n%s", got, want)
	}
}
