package hls

import (
	"testing"
	"time"
)

func TestPESHeader(t *testing.T) {
	for _, tc := range []struct {
		pts, dts int64
		size     int
		// want the decoded values (after wrapping) and the header size
		wantPTS, wantDTS int64
		hasDTS           bool
		wantLength       int
	}{
		{0, 0, 0, 0, 0, false, 8},
		{900000, 900000, 100, 900000, 900000, false, 108},
		{903600, 900000, 100, 903600, 900000, true, 113},
		{1<<32 + 12345, 1<<32 + 12345, 10, 1<<32 + 12345, 1<<32 + 12345, false, 18},
		{timestampMask, timestampMask - 3000, 10, timestampMask, timestampMask - 3000, true, 23},
		// 33 bits wrap.
		{1<<33 + 5, 1<<33 + 2, 10, 5, 2, true, 23},
		{0x155555555, 0x0aaaaaaaa, 10, 0x155555555, 0x0aaaaaaaa, true, 23},
		// Too long for PES_packet_length: 0, unbounded.
		{90000, 90000, 0xffff, 90000, 90000, false, 0},
		{90000, 90000, 0xffff - 8, 90000, 90000, false, 0xffff},
	} {
		h := appendPESHeader(nil, streamIDVideo, tc.size, tc.pts, tc.dts)
		want := 14
		if tc.hasDTS {
			want = maxPESHeaderSize
		}
		if len(h) != want {
			t.Errorf("%d/%d: header of %d bytes, want %d", tc.pts, tc.dts, len(h), want)
			continue
		}
		e, err := parsePESHeader(h)
		if err != nil {
			t.Errorf("%d/%d: %v", tc.pts, tc.dts, err)
			continue
		}
		if e.streamID != streamIDVideo || e.pts != tc.wantPTS || e.dts != tc.wantDTS || e.hasDTS != tc.hasDTS {
			t.Errorf("%d/%d: read back %+v", tc.pts, tc.dts, e)
		}
		if got := int(h[4])<<8 | int(h[5]); got != tc.wantLength {
			t.Errorf("%d/%d: PES_packet_length %d, want %d", tc.pts, tc.dts, got, tc.wantLength)
		}
		if h[6] != 0x84 {
			t.Errorf("flags %#x, want data_alignment_indicator", h[6])
		}
	}
}

// TestTimestampBytes checks the layout against the PTS fields of the first
// video and audio PES FFmpeg 5.1 wrote (after its 1.4 s offset).
func TestTimestampBytes(t *testing.T) {
	for _, tc := range []struct {
		ts   int64
		want string
	}{
		{127920, "\x21\x00\x07\xe7\x61"},
		{126000, "\x21\x00\x07\xd8\x61"},
	} {
		if got := appendTimestamp(nil, 0x2, tc.ts); string(got) != tc.want {
			t.Errorf("PTS %d: got % x, want % x", tc.ts, got, tc.want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{time.Second, 90000},
		{40 * time.Millisecond, 3600},
		{time.Second / 90000, 1},
		{time.Second * 1024 / 48000, 1920},
		{21 * time.Millisecond, 1890},
		{5555, 0}, // 0.49995 ticks
		{5556, 1}, // 0.50004 ticks
		{26 * time.Hour, 26 * 3600 * 90000},
	} {
		if got := ticks(tc.d); got != tc.want {
			t.Errorf("ticks(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
