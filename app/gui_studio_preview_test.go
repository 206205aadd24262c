package app

import "testing"

func TestPreviewSize(t *testing.T) {
	for _, c := range []struct {
		size string
		w, h int
	}{
		{"sd", 640, 480},
		{"hd", 640, 360},
		{"uhd", 640, 360},
		{"320x240", 320, 240},
		{"1080x1920", 640, 1137 &^ 1},
		{"big", 640, 360},
	} {
		t.Run(c.size, func(t *testing.T) {
			if w, h := previewSize(c.size); w != c.w || h != c.h {
				t.Errorf("previewSize(%q) = %dx%d, want %dx%d", c.size, w, h, c.w, c.h)
			}
		})
	}
}
