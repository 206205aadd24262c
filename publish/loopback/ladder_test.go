package loopback

import (
	"errors"
	"testing"
	"time"
)

// ladderCases are shared by TestParseLadder and FuzzParseLadder's seeds.
var ladderCases = []struct {
	in   string
	want []Rendition
	err  bool
}{
	{in: "", want: nil},
	{in: "480p,360p", want: []Rendition{{Name: "480p", Height: 480}, {Name: "360p", Height: 360}}},
	{in: " 720P , 240p@300k", want: []Rendition{{Name: "720p", Height: 720}, {Name: "240p", Height: 240, Bitrate: 300_000}}},
	{in: "1080p@4.5M", want: []Rendition{{Name: "1080p", Height: 1080, Bitrate: 4_500_000}}},
	{in: "480p@800000", want: []Rendition{{Name: "480p", Height: 480, Bitrate: 800_000}}},
	{in: "480", err: true},
	{in: "481p", err: true},
	{in: "32p", err: true},
	{in: "0480p", err: true},
	{in: "+480p", err: true},
	{in: "480p,480p", err: true},
	{in: "480p@", err: true},
	{in: "480p@10k", err: true},
	{in: "480p@NaNk", err: true},
	{in: "480p,,360p", err: true},
	{in: "100p,120p,140p,160p,180p,200p,220p,240p,260p", err: true},
}

func TestParseLadder(t *testing.T) {
	for _, c := range ladderCases {
		got, err := ParseLadder(c.in)
		if c.err {
			if err == nil || !errors.Is(err, ErrBadLadder) {
				t.Errorf("ParseLadder(%q) = %v, %v; want an ErrBadLadder", c.in, got, err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("ParseLadder(%q) = %v, %v; want %v", c.in, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParseLadder(%q)[%d] = %+v, want %+v", c.in, i, got[i], c.want[i])
			}
		}
	}
}

func FuzzParseLadder(f *testing.F) {
	for _, c := range ladderCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLadder(s)
		if err != nil {
			if !errors.Is(err, ErrBadLadder) {
				t.Fatalf("error not wrapping ErrBadLadder: %v", err)
			}
			return
		}
		if len(l) > maxRenditions {
			t.Fatalf("%d renditions", len(l))
		}
		seen := map[int]bool{}
		var back string
		for i, r := range l {
			if r.Height < minRenditionHeight || r.Height > maxRenditionHeight || r.Height%2 != 0 || seen[r.Height] {
				t.Fatalf("bad height in %+v", l)
			}
			if r.Bitrate != 0 && (r.Bitrate < minRenditionBitrate || r.Bitrate > maxRenditionBitrate) {
				t.Fatalf("bad bitrate in %+v", l)
			}
			seen[r.Height] = true
			if i > 0 {
				back += ","
			}
			back += r.String()
		}
		// What String writes reads back the same (bitrates to the kb/s).
		again, err := ParseLadder(back)
		if err != nil || len(again) != len(l) {
			t.Fatalf("%q -> %q -> %v, %v", s, back, again, err)
		}
		for i := range l {
			if again[i].Height != l[i].Height || again[i].Bitrate/1000 != l[i].Bitrate/1000 {
				t.Fatalf("%q -> %q -> %v", s, back, again)
			}
		}
	})
}

func TestRenditionSizeAndBitrate(t *testing.T) {
	for _, c := range []struct{ sw, sh, h, w, bps int }{
		{1280, 720, 480, 854, 1_359_000},
		{1280, 720, 360, 640, 883_000},
		{1920, 1080, 720, 1280, 2_500_000}, // unknown source rate: 1080p's default, scaled
		{640, 480, 240, 320, 0},
	} {
		w, h, ok := renditionSize(c.sw, c.sh, c.h)
		if !ok || w != c.w || h != c.h {
			t.Errorf("renditionSize(%d, %d, %d) = %d, %d, %v; want %d", c.sw, c.sh, c.h, w, h, ok, c.w)
		}
		if c.bps == 0 {
			continue
		}
		src := 2_500_000
		if c.sh == 1080 {
			src = 0
		}
		if got := renditionBitrate(c.sw, c.sh, src, w, h); got < c.bps*98/100 || got > c.bps*102/100 {
			t.Errorf("renditionBitrate(%dx%d→%dx%d) = %d, want about %d", c.sw, c.sh, w, h, got, c.bps)
		}
	}
	if _, _, ok := renditionSize(1280, 720, 720); ok {
		t.Error("a 720p rendition of a 720p source was not left out")
	}
	if got := renditionBitrate(1280, 720, 120_000, 256, 144); got != 120_000 {
		t.Errorf("rendition of a 120 kb/s source: %d b/s, want at most the source's", got)
	}
}

func TestLagWatch(t *testing.T) {
	var l lagWatch
	ms := time.Millisecond
	// A burst at the start (the cached GOP) and then real time: no lag.
	for i, now := range []time.Duration{0, 5, 10, 40, 80, 120} {
		pts := []time.Duration{0, 40, 80, 120, 160, 200}[i]
		if lag := l.observe(now*ms+time.Hour, pts*ms); lag != 0 {
			t.Errorf("frame %d: lag %v, want 0", i, lag)
		}
	}
	// 50 ms per 40 ms frame: 10 ms more behind each frame.
	var lag time.Duration
	for i := 1; i <= 100; i++ {
		lag = l.observe(time.Hour+(120+time.Duration(50*i))*ms, (200+time.Duration(40*i))*ms)
	}
	if lag < 980*ms || lag > time.Second {
		t.Errorf("after 100 slow frames lag %v, want about 1 s (less the clock creep)", lag)
	}
	l.forgive(time.Hour+5120*ms, 4200*ms)
	if got := l.observe(time.Hour+5160*ms, 4240*ms); got != 0 {
		t.Errorf("after forgive: lag %v", got)
	}
	// A publisher clock 0.1 % slow for 10 minutes is not a slow transcoder.
	l.reset()
	for i := 0; i <= 600; i++ {
		sec := time.Duration(i) * time.Second
		lag = l.observe(sec, sec*999/1000)
	}
	if lag > 100*ms {
		t.Errorf("clock drift of 0.1%%: lag %v after 10 min", lag)
	}
}
