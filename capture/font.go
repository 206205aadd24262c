package capture

import "onair/internal/font"

// The burned-in text uses OnAir's bitmap font (internal/font), scaled.

// lineHeight is the vertical distance between lines, in font pixels.
const lineHeight = font.H + 2

// textWidth is the width in pixels of n characters at scale.
func textWidth(n, scale int) int { return n * font.Advance * scale }

// drawText draws s into the luma plane y (w x h, rows stride bytes apart)
// with its top-left corner at (x0, y0), each font pixel a scale x scale
// block of value v. Only lit pixels are written; what falls outside the
// plane is clipped.
func drawText(y []byte, stride, w, h, x0, y0, scale int, s []byte, v byte) {
	if scale < 1 {
		return
	}
	for i, c := range s {
		g, _ := font.Glyph(rune(c))
		gx := x0 + i*font.Advance*scale
		if gx >= w {
			return
		}
		for r, bits := range g {
			if bits == 0 {
				continue
			}
			py0, py1 := clip(y0+r*scale, y0+(r+1)*scale, h)
			if py0 >= py1 {
				continue
			}
			for col := 0; col < font.W; col++ {
				if bits&(0x10>>col) == 0 {
					continue
				}
				px0, px1 := clip(gx+col*scale, gx+(col+1)*scale, w)
				if px0 >= px1 {
					continue
				}
				for py := py0; py < py1; py++ {
					fillBytes(y[py*stride+px0:py*stride+px1], v)
				}
			}
		}
	}
}

// clip limits [a, b) to [0, n).
func clip(a, b, n int) (int, int) {
	if a < 0 {
		a = 0
	}
	if b > n {
		b = n
	}
	return a, b
}

// fillBytes sets every byte of b to v.
func fillBytes(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
