package testsignal

import (
	"errors"
	"image"
	"testing"
)

func TestCentralHalf(t *testing.T) {
	cases := []struct{ lo, n, start, length int }{
		{0, 1, 0, 1}, {0, 2, 0, 1}, {0, 3, 1, 1}, {0, 4, 1, 2}, {0, 5, 1, 2},
		{10, 8, 12, 4}, {0, 60, 15, 30}, {0, 90, 22, 45},
	}
	for _, c := range cases {
		if s, l := centralHalf(c.lo, c.n); s != c.start || l != c.length {
			t.Errorf("centralHalf(%d, %d) = %d, %d, want %d, %d", c.lo, c.n, s, l, c.start, c.length)
		}
	}
}

func TestFillNeutralChroma420(t *testing.T) {
	const w, h = 101, 61 // odd sizes: chroma is 51x31
	cw, ch := (w+1)/2, (h+1)/2
	cb, cstride := newPlane(cw, ch, 2, 50)
	cr, _ := newPlane(cw, ch, 2, 50)
	r := image.Rect(3, 5, 100, 61) // odd edges round outwards
	if err := FillNeutralChroma420(cb, cr, cstride, w, h, r); err != nil {
		t.Fatal(err)
	}
	want := image.Rect(1, 2, 50, 31)
	for _, p := range [][]byte{cb, cr} {
		for y := 0; y < ch; y++ {
			for x := 0; x < cstride; x++ {
				in := x < cw && image.Pt(x, y).In(want)
				if v := p[y*cstride+x]; (v == ChromaNeutral) != in {
					t.Fatalf("chroma (%d,%d) = %d, in %v", x, y, v, in)
				}
			}
		}
	}
	if err := FillNeutralChroma420(cb[:10], cr, cstride, w, h, r); !errors.Is(err, ErrGeometry) {
		t.Errorf("short cb: error = %v, want ErrGeometry", err)
	}
}
