package font

import "testing"

func TestGlyphs(t *testing.T) {
	seen := map[[H]uint8]rune{}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		g, ok := Glyph(c)
		if !ok {
			t.Errorf("glyph %q missing", c)
			continue
		}
		lit := 0
		for _, row := range g {
			if row&^0x1F != 0 {
				t.Errorf("glyph %q row %05b wider than %d", c, row, W)
			}
			if row != 0 {
				lit++
			}
		}
		if lit == 0 {
			t.Errorf("glyph %q is blank", c)
		}
		if d, dup := seen[g]; dup {
			t.Errorf("glyphs %q and %q are the same", c, d)
		}
		seen[g] = c
		if lower, _ := Glyph(c + 'a' - 'A'); c >= 'A' && lower != g {
			t.Errorf("glyph %q differs from %q", c+'a'-'A', c)
		}
	}
	if _, ok := Glyph('~'); ok {
		t.Error("glyph '~' should be missing")
	}
}
