package capture

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
)

var screenSpecCases = []struct {
	in     string
	screen int
	region image.Rectangle
	err    string // part of the error; "" for none
}{
	{"", 0, image.Rectangle{}, ""},
	{":0", 0, image.Rectangle{}, ""},
	{":1", 1, image.Rectangle{}, ""},
	{":12", 12, image.Rectangle{}, ""},
	{"+0,0,640,480", 0, image.Rect(0, 0, 640, 480), ""},
	{"+10,20,1280,720", 0, image.Rect(10, 20, 1290, 740), ""},
	{":1+101,3,2,2", 1, image.Rect(101, 3, 103, 5), ""},
	{":", 0, image.Rectangle{}, `the screen number after the colon must be a whole number from 0 (as in screen:1), not ""`},
	{":x", 0, image.Rectangle{}, `whole number from 0 (as in screen:1), not "x"`},
	{":-1", 0, image.Rectangle{}, `not "-1"`},
	{":+1", 0, image.Rectangle{}, `not ""`},
	{":1.0", 0, image.Rectangle{}, `not "1.0"`},
	{":99999", 0, image.Rectangle{}, `not "99999"`},
	{"1", 0, image.Rectangle{}, `want :N for a screen number and +X,Y,W,H for a region (as in screen:0+0,0,1280,720), not "1"`},
	{":1:2", 0, image.Rectangle{}, `not "1:2"`},
	{"+1,2,3", 0, image.Rectangle{}, "a region is four numbers, +X,Y,W,H (left, top, width, height), not 3"},
	{"+1,2,4,4,5", 0, image.Rectangle{}, "not 5"},
	{"+", 0, image.Rectangle{}, "a region is four numbers"},
	{"+a,0,2,2", 0, image.Rectangle{}, `the region's X must be a whole number from 0 to 32767, not "a"`},
	{"+0,-1,2,2", 0, image.Rectangle{}, `the region's Y must be a whole number from 0 to 32767, not "-1"`},
	{"+0,0,,2", 0, image.Rectangle{}, `the region's width must be a whole number`},
	{"+0,0, 2,2", 0, image.Rectangle{}, `the region's width must be a whole number from 0 to 32767, not " 2"`},
	{"+0,0,641,480", 0, image.Rectangle{}, "the region's width and height must be even and more than 0, not 641x480"},
	{"+0,0,640,0", 0, image.Rectangle{}, "must be even and more than 0, not 640x0"},
	{"+32000,0,1000,2", 0, image.Rectangle{}, "goes past X11's largest coordinate, 32767"},
}

func TestParseScreenSpec(t *testing.T) {
	for _, c := range screenSpecCases {
		cfg, err := ParseScreenSpec(c.in)
		if c.err != "" {
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "screen"+c.in+": ") {
				t.Errorf("%q: error %v, want ErrInvalidConfig with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || cfg.Screen != c.screen || cfg.Region != c.region {
			t.Errorf("%q: %d %v %v, want %d %v", c.in, cfg.Screen, cfg.Region, err, c.screen, c.region)
		}
	}
}

// screenSpec writes a spec back, for the round trip of the fuzz test.
func screenSpec(cfg ScreenConfig) string {
	s := fmt.Sprintf(":%d", cfg.Screen)
	if r := cfg.Region; r != (image.Rectangle{}) {
		s += fmt.Sprintf("+%d,%d,%d,%d", r.Min.X, r.Min.Y, r.Dx(), r.Dy())
	}
	return s
}

func FuzzParseScreenSpec(f *testing.F) {
	for _, c := range screenSpecCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseScreenSpec(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidConfig", s, err)
			}
			return
		}
		r := cfg.Region
		if cfg.Screen < 0 || cfg.Screen > maxXCoord || r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > maxXCoord+1 || r.Max.Y > maxXCoord+1 ||
			(r != image.Rectangle{} && (r.Dx() <= 0 || r.Dy() <= 0 || r.Dx()%2 != 0 || r.Dy()%2 != 0)) {
			t.Fatalf("%q: accepted screen %d region %v", s, cfg.Screen, r)
		}
		again, err := ParseScreenSpec(screenSpec(cfg))
		if err != nil || again.Screen != cfg.Screen || again.Region != cfg.Region {
			t.Fatalf("%q: round trip through %q gave %d %v %v", s, screenSpec(cfg), again.Screen, again.Region, err)
		}
	})
}
