package capture

// The burned-in text uses a 5x7 bitmap font: digits, ':', '.', '-', space
// and the capital letters needed for the labels. Each glyph is seven rows,
// top first; bit 4 of a row is its leftmost pixel.
const (
	glyphW = 5
	glyphH = 7
	// advance is the horizontal distance between characters, in font
	// pixels (one blank column).
	advance = glyphW + 1
	// lineHeight is the vertical distance between lines, in font pixels.
	lineHeight = glyphH + 2
)

// glyph is the bitmap of c; ok is false for characters the font lacks
// (they draw as blanks).
func glyph(c byte) (rows [glyphH]uint8, ok bool) {
	switch c {
	case '0':
		return [glyphH]uint8{0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, true
	case '1':
		return [glyphH]uint8{0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}, true
	case '2':
		return [glyphH]uint8{0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, true
	case '3':
		return [glyphH]uint8{0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}, true
	case '4':
		return [glyphH]uint8{0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, true
	case '5':
		return [glyphH]uint8{0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}, true
	case '6':
		return [glyphH]uint8{0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, true
	case '7':
		return [glyphH]uint8{0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, true
	case '8':
		return [glyphH]uint8{0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, true
	case '9':
		return [glyphH]uint8{0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}, true
	case ':':
		return [glyphH]uint8{0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, true
	case '.':
		return [glyphH]uint8{0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}, true
	case '-':
		return [glyphH]uint8{0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}, true
	case ' ':
		return [glyphH]uint8{}, true
	case 'A':
		return [glyphH]uint8{0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, true
	case 'C':
		return [glyphH]uint8{0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}, true
	case 'E':
		return [glyphH]uint8{0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}, true
	case 'F':
		return [glyphH]uint8{0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}, true
	case 'I':
		return [glyphH]uint8{0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, true
	case 'M':
		return [glyphH]uint8{0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}, true
	case 'N':
		return [glyphH]uint8{0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, true
	case 'O':
		return [glyphH]uint8{0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, true
	case 'P':
		return [glyphH]uint8{0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}, true
	case 'R':
		return [glyphH]uint8{0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}, true
	case 'S':
		return [glyphH]uint8{0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}, true
	case 'T':
		return [glyphH]uint8{0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, true
	case 'X':
		return [glyphH]uint8{0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}, true
	}
	return [glyphH]uint8{}, false
}

// textWidth is the width in pixels of n characters at scale.
func textWidth(n, scale int) int { return n * advance * scale }

// drawText draws s into the luma plane y (w x h, rows stride bytes apart)
// with its top-left corner at (x0, y0), each font pixel a scale x scale
// block of value v. Only lit pixels are written; what falls outside the
// plane is clipped.
func drawText(y []byte, stride, w, h, x0, y0, scale int, s []byte, v byte) {
	if scale < 1 {
		return
	}
	for i, c := range s {
		g, _ := glyph(c)
		gx := x0 + i*advance*scale
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
			for col := 0; col < glyphW; col++ {
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
