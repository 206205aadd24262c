package capture

import (
	"strings"
	"testing"
)

// render draws s at scale into a small plane and returns it as text art.
func render(s string, scale, w, h, x0, y0 int) string {
	y := make([]byte, w*h)
	drawText(y, w, w, h, x0, y0, scale, []byte(s), 1)
	var b strings.Builder
	for r := 0; r < h; r++ {
		for x := 0; x < w; x++ {
			if y[r*w+x] != 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestDrawText(t *testing.T) {
	got := render("1:", 2, 12, 14, 0, 0)
	want := "" +
		"....##......\n" +
		"....##......\n" +
		"..####......\n" +
		"..####......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"....##......\n" +
		"..######....\n" +
		"..######....\n"
	if got != want {
		t.Errorf("drawText(\"1:\", scale 2):\n%s\nwant\n%s", got, want)
	}
	// Clipping on every side must not panic and must keep what fits.
	for _, pos := range [][2]int{{-7, -9}, {5, 5}, {-100, 0}, {0, 100}, {11, 13}} {
		render("88:88.88", 3, 12, 14, pos[0], pos[1])
	}
	// '8' moved up-left by one pixel: glyph rows 1..3, columns 1..3.
	if got, want := render("8", 1, 3, 3, -1, -1), "...\n...\n###\n"; got != want {
		t.Errorf("clipped glyph = %q, want %q", got, want)
	}
	if textWidth(12, 3) != 12*6*3 {
		t.Error("textWidth")
	}
}
