package capture

import (
	"bytes"
	"testing"
	"time"

	"onair/internal/testsignal"
)

func TestBar75(t *testing.T) {
	// Limited-range BT.601 75% bars.
	want := [7][3]byte{
		{180, 128, 128}, // white
		{162, 44, 142},  // yellow
		{131, 156, 44},  // cyan
		{112, 72, 58},   // green
		{84, 184, 198},  // magenta
		{65, 100, 212},  // red
		{35, 212, 114},  // blue
	}
	for i, c := range want {
		y, cb, cr := bar75(i)
		if [3]byte{y, cb, cr} != c {
			t.Errorf("bar %d = %d,%d,%d, want %v", i, y, cb, cr, c)
		}
	}
}

var pictureSizes = [][2]int{{64, 64}, {66, 100}, {320, 240}, {1000, 562}, {1280, 720}, {1920, 1080}, {3840, 2160}}

func TestPicture(t *testing.T) {
	base := time.UnixMilli(1700000000000)
	for _, sz := range pictureSizes {
		w, h := sz[0], sz[1]
		p, err := newPicture(w, h)
		if err != nil {
			t.Fatalf("%dx%d: %v", w, h, err)
		}
		if p.barsY1 <= p.barsY0 || p.moveY1 > h || p.barsY1 > p.square.Min.Y {
			t.Fatalf("%dx%d: bad layout %+v", w, h, p)
		}
		for _, off := range []time.Duration{0, 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond, 567 * time.Millisecond} {
			wall := base.Add(off)
			buf := make([]byte, p.size())
			if _, err := p.draw(buf, wall, time.Second+off, 42, nil); err != nil {
				t.Fatal(err)
			}
			y, cb, cr := p.planes(buf)
			if ms, ok := testsignal.ReadStripe(y, w, w, h); !ok || ms != wall.UnixMilli() {
				t.Errorf("%dx%d: stripe = %d, %v, want %d", w, h, ms, ok, wall.UnixMilli())
			}
			if on := testsignal.ReadSyncSquare(y, w, w, h); on != (off < 100*time.Millisecond) {
				t.Errorf("%dx%d at +%v: sync square white = %v", w, h, off, on)
			}
			// The marks' chroma is neutral.
			for _, r := range [][4]int{{0, 0, w, testsignal.StripeHeight(h)}, {p.square.Min.X, p.square.Min.Y, p.square.Max.X, p.square.Max.Y}} {
				for cy := r[1] / 2; cy < (r[3]+1)/2; cy++ {
					for cx := r[0] / 2; cx < (r[2]+1)/2; cx++ {
						if cb[cy*w/2+cx] != 128 || cr[cy*w/2+cx] != 128 {
							t.Fatalf("%dx%d: chroma (%d,%d) = %d,%d in a mark", w, h, cx, cy, cb[cy*w/2+cx], cr[cy*w/2+cx])
						}
					}
				}
			}
		}
	}
}

// TestPictureMoves checks that frames 1/30 s apart differ outside the
// stripe band, in the moving strip and in the text.
func TestPictureMoves(t *testing.T) {
	for _, sz := range pictureSizes {
		w, h := sz[0], sz[1]
		p, err := newPicture(w, h)
		if err != nil {
			t.Fatal(err)
		}
		wall := time.UnixMilli(1700000000500)
		a, b := make([]byte, p.size()), make([]byte, p.size())
		if _, err := p.draw(a, wall, 10*time.Second, 300, nil); err != nil {
			t.Fatal(err)
		}
		dt := time.Second / 30
		if _, err := p.draw(b, wall.Add(dt), 10*time.Second+dt, 301, nil); err != nil {
			t.Fatal(err)
		}
		band := testsignal.StripeHeight(h) * w
		if bytes.Equal(a[band:w*h], b[band:w*h]) {
			t.Errorf("%dx%d: consecutive frames are equal outside the stripe", w, h)
		}
		strip := a[p.moveY0*w : p.moveY1*w]
		moves := (w - p.boxW) * int(dt) / int(sweepPeriod) // pixels per frame
		if moves >= 2 && bytes.Equal(strip, b[p.moveY0*w:p.moveY1*w]) {
			t.Errorf("%dx%d: the box did not move", w, h)
		}
		if bytes.Count(strip, []byte{lumaBox}) == 0 {
			t.Errorf("%dx%d: no box drawn", w, h)
		}
	}
}

func TestPictureReject(t *testing.T) {
	if _, err := newPicture(64, 18); err == nil {
		t.Error("64x18 accepted")
	}
}
