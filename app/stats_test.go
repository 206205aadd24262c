package app

import "testing"

func TestDropText(t *testing.T) {
	for _, c := range []struct {
		d    dropCounts
		want string
	}{
		{dropCounts{}, "dropped 0"},
		{dropCounts{Network: 4}, "dropped 4 (network 4)"},
		{dropCounts{Source: 1, Preprocess: 2, Encoder: 3, Network: 4}, "dropped 10 (source 1, preprocess 2, encoder 3, network 4)"},
	} {
		if got := c.d.text(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.d, got, c.want)
		}
	}
}

func TestRawQueueCap(t *testing.T) {
	for _, c := range []struct {
		w, h int
		fps  float64
		want int
	}{
		{1920, 1080, 30, 15},
		{1280, 720, 60, 30},
		{3840, 2160, 30, 6}, // 12 MB frames: the floor
		{320, 240, 5, 6},
	} {
		if got := rawQueueCap(c.w, c.h, c.fps); got != c.want {
			t.Errorf("%dx%d at %g fps: %d, want %d", c.w, c.h, c.fps, got, c.want)
		}
	}
}
