package testsignal

import (
	"errors"
	"image"
	"testing"
)

func TestSyncSquareGeometry(t *testing.T) {
	cases := []struct {
		w, h int
		want image.Rectangle
	}{
		{64, 64, image.Rect(38, 38, 48, 48)},
		{640, 480, image.Rect(544, 384, 624, 464)},
		{1000, 562, image.Rect(891, 453, 984, 546)},
		{1280, 720, image.Rect(1144, 584, 1264, 704)},
		{1920, 1080, image.Rect(1724, 884, 1904, 1064)},
		{3840, 2160, image.Rect(3464, 1784, 3824, 2144)},
		{20, 20, image.Rect(1, 1, 4, 4)},
		{18, 18, image.Rectangle{}}, // would cross the top-left edges
		{64, 5, image.Rectangle{}},  // side 0
	}
	for _, c := range cases {
		got := SyncSquare(c.w, c.h)
		if got != c.want {
			t.Errorf("SyncSquare(%d, %d) = %v, want %v", c.w, c.h, got, c.want)
		}
		if !got.Empty() && (got.Dx() != c.h/6 || got.Dy() != c.h/6) {
			t.Errorf("SyncSquare(%d, %d) side = %dx%d, want %d", c.w, c.h, got.Dx(), got.Dy(), c.h/6)
		}
	}
}

func TestSyncOn(t *testing.T) {
	cases := []struct {
		ms   int64
		want bool
	}{
		{0, true}, {99, true}, {100, false}, {999, false}, {1000, true},
		{1700000000000, true}, {1700000000099, true}, {1700000000100, false},
		{-1, false}, {-900, false}, {-901, true}, {-1000, true},
	}
	for _, c := range cases {
		if got := SyncOn(c.ms); got != c.want {
			t.Errorf("SyncOn(%d) = %v, want %v", c.ms, got, c.want)
		}
	}
}

func TestSyncSquareRoundTrip(t *testing.T) {
	for _, s := range stripeSizes {
		if SyncSquare(s.w, s.h).Empty() {
			continue // 64x8: too low for a square
		}
		for _, on := range []bool{true, false} {
			bg := byte(LumaWhite)
			if on {
				bg = LumaBlack
			}
			y, stride := newPlane(s.w, s.h, s.pad, bg)
			if err := DrawSyncSquare(y, stride, s.w, s.h, on); err != nil {
				t.Fatalf("%dx%d: %v", s.w, s.h, err)
			}
			if got := ReadSyncSquare(y, stride, s.w, s.h); got != on {
				t.Errorf("%dx%d: ReadSyncSquare = %v, want %v", s.w, s.h, got, on)
			}
			r := SyncSquare(s.w, s.h)
			for row := 0; row < s.h; row++ {
				for x := 0; x < stride; x++ {
					in := image.Pt(x, row).In(r)
					if v := y[row*stride+x]; in != (v != bg) {
						t.Fatalf("%dx%d: pixel (%d,%d) = %d, in square %v", s.w, s.h, x, row, v, in)
					}
				}
			}
		}
	}
}

func TestSyncSquareErrors(t *testing.T) {
	y := make([]byte, 18*18)
	if err := DrawSyncSquare(y, 18, 18, 18, true); !errors.Is(err, ErrGeometry) {
		t.Errorf("18x18: error = %v, want ErrGeometry", err)
	}
	if ReadSyncSquare(y, 18, 18, 18) {
		t.Error("18x18: ReadSyncSquare = true")
	}
	if err := DrawSyncSquare(y[:100], 64, 64, 64, true); !errors.Is(err, ErrGeometry) {
		t.Errorf("short buffer: error = %v, want ErrGeometry", err)
	}
}
