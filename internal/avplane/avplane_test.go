package avplane

import (
	"testing"

	"github.com/asticode/go-astiav"
)

func TestView(t *testing.T) {
	f := astiav.AllocFrame()
	defer f.Free()
	if p, ls := View(f, 0, 1); p != nil || ls != 0 {
		t.Fatalf("frame without buffers: view of %d bytes, linesize %d", len(p), ls)
	}
	const w, h = 6, 4
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := f.AllocBuffer(0); err != nil {
		t.Fatal(err)
	}
	y, ls := View(f, 0, h)
	if ls < w || len(y) != ls*h {
		t.Fatalf("luma: %d bytes, linesize %d; want linesize >= %d and %d rows", len(y), ls, w, h)
	}
	cb, cls := View(f, 1, h/2)
	if cls < w/2 || len(cb) != cls*h/2 {
		t.Fatalf("chroma: %d bytes, linesize %d", len(cb), cls)
	}
	// Writes land in the frame: go-astiav's copy-out sees them.
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			y[r*ls+c] = byte(10*r + c)
		}
	}
	packed, err := f.Data().Bytes(1)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			if got := packed[r*w+c]; got != byte(10*r+c) {
				t.Fatalf("luma %d,%d: copy-out has %d, the view wrote %d", c, r, got, 10*r+c)
			}
		}
	}
	for _, c := range []struct{ i, rows int }{{3, 1}, {-1, 1}, {MaxPlanes, 1}, {0, 0}, {0, -1}} {
		if p, l := View(f, c.i, c.rows); p != nil || l != 0 {
			t.Errorf("View(plane %d, %d rows) = %d bytes, linesize %d; want none", c.i, c.rows, len(p), l)
		}
	}
	if p, l := View(nil, 0, 1); p != nil || l != 0 {
		t.Errorf("nil frame: %d bytes", len(p))
	}
}
