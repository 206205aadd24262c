package testsignal

import (
	"errors"
	"fmt"
	"image"
	"math/rand"
	"testing"
)

// stripeSizes are the frame sizes the stripe tests cover; pad is extra
// bytes per row beyond the width.
var stripeSizes = []struct{ w, h, pad int }{
	{64, 8, 0},
	{64, 64, 0},
	{127, 9, 3},
	{640, 480, 0},
	{1000, 562, 0},
	{1001, 563, 7},
	{1280, 720, 0},
	{1920, 1080, 64},
	{3840, 2160, 0},
}

var stripeTimes = []int64{0, 1, 1700000000000, 1700000000999, MaxTimestamp}

func newPlane(w, h, pad int, v byte) (buf []byte, stride int) {
	stride = w + pad
	buf = make([]byte, stride*h)
	fill(buf, v)
	return buf, stride
}

func TestStripeGeometry(t *testing.T) {
	cases := []struct{ w, h, cell, band int }{
		{64, 8, 1, 8},
		{127, 100, 1, 8},
		{640, 480, 10, 20},
		{1000, 562, 15, 23},
		{1280, 720, 20, 30},
		{1920, 1080, 30, 45},
		{3840, 2160, 60, 90},
		{63, 200, 0, 8},
	}
	for _, c := range cases {
		if got := CellWidth(c.w); got != c.cell {
			t.Errorf("CellWidth(%d) = %d, want %d", c.w, got, c.cell)
		}
		if got := StripeHeight(c.h); got != c.band {
			t.Errorf("StripeHeight(%d) = %d, want %d", c.h, got, c.band)
		}
		if got, want := StripeRect(c.w, c.h), image.Rect(0, 0, c.w, c.band); got != want {
			t.Errorf("StripeRect(%d, %d) = %v, want %v", c.w, c.h, got, want)
		}
	}
}

func TestEncodeCells(t *testing.T) {
	c, err := EncodeCells(1700000000000)
	if err != nil {
		t.Fatal(err)
	}
	// 1,0 | 0x018BCFE56800 | 0x2A | 0000 | 0,1
	want := "10" + fmt.Sprintf("%048b", int64(1700000000000)) + "00101010" + "0000" + "01"
	got := ""
	for _, on := range c {
		if on {
			got += "1"
		} else {
			got += "0"
		}
	}
	if got != want {
		t.Fatalf("cells\n got %s\nwant %s", got, want)
	}
	for _, ms := range []int64{-1, MaxTimestamp + 1} {
		if _, err := EncodeCells(ms); !errors.Is(err, ErrTimestampRange) {
			t.Errorf("EncodeCells(%d) error = %v, want ErrTimestampRange", ms, err)
		}
	}
}

func TestStripeRoundTrip(t *testing.T) {
	for _, s := range stripeSizes {
		for _, ms := range stripeTimes {
			y, stride := newPlane(s.w, s.h, s.pad, 77)
			if err := DrawStripe(y, stride, s.w, s.h, ms); err != nil {
				t.Fatalf("%dx%d: DrawStripe(%d): %v", s.w, s.h, ms, err)
			}
			got, ok := ReadStripe(y, stride, s.w, s.h)
			if !ok || got != ms {
				t.Errorf("%dx%d: ReadStripe = %d, %v, want %d, true", s.w, s.h, got, ok, ms)
			}
			checkBand(t, y, stride, s.w, s.h, 77)
		}
	}
}

// checkBand verifies that only the band was written, with 16 or 235, and
// that it is black right of cell 63.
func checkBand(t *testing.T, y []byte, stride, w, h int, background byte) {
	t.Helper()
	band, cw := StripeHeight(h), CellWidth(w)
	for r := 0; r < h; r++ {
		for x := 0; x < stride; x++ {
			v := y[r*stride+x]
			switch {
			case r >= band || x >= w:
				if v != background {
					t.Fatalf("%dx%d: pixel (%d,%d) outside the band = %d, want untouched %d", w, h, x, r, v, background)
				}
			case x >= CellCount*cw:
				if v != LumaBlack {
					t.Fatalf("%dx%d: pixel (%d,%d) right of cell 63 = %d, want %d", w, h, x, r, v, LumaBlack)
				}
			case v != LumaBlack && v != LumaWhite:
				t.Fatalf("%dx%d: pixel (%d,%d) in the band = %d", w, h, x, r, v)
			}
		}
	}
}

func TestStripeNoise(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range stripeSizes {
		for _, ms := range stripeTimes {
			y, stride := newPlane(s.w, s.h, s.pad, 16)
			if err := DrawStripe(y, stride, s.w, s.h, ms); err != nil {
				t.Fatal(err)
			}
			for i, v := range y {
				n := int(v) + rng.Intn(81) - 40
				if n < 0 {
					n = 0
				} else if n > 255 {
					n = 255
				}
				y[i] = byte(n)
			}
			got, ok := ReadStripe(y, stride, s.w, s.h)
			if !ok || got != ms {
				t.Errorf("%dx%d with ±40 noise: ReadStripe = %d, %v, want %d, true", s.w, s.h, got, ok, ms)
			}
		}
	}
}

// TestStripeFlippedCell inverts each cell in turn: every single-cell error
// must make the stripe undecodable.
func TestStripeFlippedCell(t *testing.T) {
	for _, s := range []struct{ w, h int }{{64, 8}, {1280, 720}} {
		for _, ms := range stripeTimes {
			for cell := 0; cell < CellCount; cell++ {
				y, stride := newPlane(s.w, s.h, 0, 16)
				if err := DrawStripe(y, stride, s.w, s.h, ms); err != nil {
					t.Fatal(err)
				}
				cw := CellWidth(s.w)
				for r := 0; r < StripeHeight(s.h); r++ {
					for x := cell * cw; x < (cell+1)*cw; x++ {
						y[r*stride+x] = LumaWhite + LumaBlack - y[r*stride+x]
					}
				}
				if got, ok := ReadStripe(y, stride, s.w, s.h); ok {
					t.Errorf("%dx%d, %d ms, cell %d flipped: ReadStripe = %d, true, want undecodable", s.w, s.h, ms, cell, got)
				}
			}
		}
	}
}

func TestDecodeCellsRejects(t *testing.T) {
	good, err := EncodeCells(1700000000000)
	if err != nil {
		t.Fatal(err)
	}
	var blank Cells
	if _, ok := DecodeCells(blank); ok {
		t.Error("all-black stripe decoded")
	}
	var white Cells
	for i := range white {
		white[i] = true
	}
	if _, ok := DecodeCells(white); ok {
		t.Error("all-white stripe decoded")
	}
	if ms, ok := DecodeCells(good); !ok || ms != 1700000000000 {
		t.Errorf("DecodeCells(good) = %d, %v", ms, ok)
	}
}

func TestStripeGeometryErrors(t *testing.T) {
	cases := []struct {
		name         string
		size, stride int
		w, h         int
	}{
		{"narrow", 63 * 8, 63, 63, 8},
		{"short", 64 * 7, 64, 64, 7},
		{"stride below width", 64 * 8, 32, 64, 8},
		{"short buffer", 64*8 - 1, 64, 64, 8},
		{"negative size", 64 * 8, 64, -64, 8},
		{"huge stride", 64 * 8, 1 << 62, 64, 8},
	}
	for _, c := range cases {
		y := make([]byte, c.size)
		if err := DrawStripe(y, c.stride, c.w, c.h, 1); !errors.Is(err, ErrGeometry) {
			t.Errorf("%s: DrawStripe error = %v, want ErrGeometry", c.name, err)
		}
		if _, ok := ReadStripe(y, c.stride, c.w, c.h); ok {
			t.Errorf("%s: ReadStripe ok", c.name)
		}
	}
}

func FuzzReadStripe(f *testing.F) {
	for _, s := range []struct{ w, h int }{{64, 8}, {128, 24}} {
		y, stride := newPlane(s.w, s.h, 0, 16)
		if err := DrawStripe(y, stride, s.w, s.h, 1700000000000); err != nil {
			f.Fatal(err)
		}
		f.Add(y, stride, s.w, s.h)
	}
	f.Add(make([]byte, 512), 64, 64, 8)
	f.Add([]byte{}, 0, 0, 0)
	f.Fuzz(func(t *testing.T, y []byte, stride, w, h int) {
		ms, ok := ReadStripe(y, stride, w, h)
		if ok {
			if ms < 0 || ms > MaxTimestamp {
				t.Fatalf("ReadStripe decoded %d, outside 0..MaxTimestamp", ms)
			}
			// What decodes must survive a redraw.
			if err := DrawStripe(y, stride, w, h, ms); err != nil {
				t.Fatalf("DrawStripe after a good read: %v", err)
			}
			if again, ok := ReadStripe(y, stride, w, h); !ok || again != ms {
				t.Fatalf("redrawn stripe reads %d, %v, want %d", again, ok, ms)
			}
		}
		ReadSyncSquare(y, stride, w, h)
		// The same bytes as a plane of whatever width they allow.
		if len(y) >= MinStripeWidth*MinStripeHeight {
			ww := MinStripeWidth + len(y)%64
			hh := len(y) / ww
			ReadStripe(y, ww, ww, hh)
			ReadSyncSquare(y, ww, ww, hh)
		}
	})
}
