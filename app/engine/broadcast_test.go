package engine

import (
	"fmt"
	"testing"
)

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
		t.Run(fmt.Sprintf("%dx%d@%g", c.w, c.h, c.fps), func(t *testing.T) {
			if got := rawQueueCap(c.w, c.h, c.fps); got != c.want {
				t.Errorf("%dx%d at %g fps: %d, want %d", c.w, c.h, c.fps, got, c.want)
			}
		})
	}
}
