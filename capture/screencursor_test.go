package capture

import (
	"image"
	"image/color"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// testScreenPointer checks the mouse pointer: drawn where it is, in a
// region's coordinates, only on its own screen, and not at all with
// HideCursor. The display shows quadColour on screen 0 and one colour on
// screen 1 (TestScreenUnderXvfb).
func testScreenPointer(t *testing.T, display string) {
	requireTools(t, "xdotool: apt-get install xdotool", "xdotool")
	blue := func(x, y int) color.RGBA { return color.RGBA{0x20, 0x40, 0x80, 0xff} }
	move := func(screen, x, y int) {
		t.Helper()
		cmd := exec.Command("xdotool", "mousemove", "--screen", strconv.Itoa(screen), strconv.Itoa(x), strconv.Itoa(y))
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool mousemove: %v: %s", err, out)
		}
	}
	// differing counts the pixels of a grab of rect that are not want's,
	// and the box around them (in screen coordinates).
	differing := func(cfg ScreenConfig, rect image.Rectangle, want func(x, y int) color.RGBA) (int, image.Rectangle) {
		t.Helper()
		cfg.Display, cfg.Region = display, rect
		_, f := grabOne(t, cfg, true)
		defer f.Release()
		n, box := 0, image.Rectangle{}
		for y := 0; y < f.Height; y++ {
			row := f.Planes[0][y*f.Strides[0]:]
			for x := 0; x < f.Width; x++ {
				w := want(rect.Min.X+x, rect.Min.Y+y)
				if row[4*x] != w.B || row[4*x+1] != w.G || row[4*x+2] != w.R {
					n++
					box = box.Union(image.Rect(rect.Min.X+x, rect.Min.Y+y, rect.Min.X+x+1, rect.Min.Y+y+1))
				}
			}
		}
		return n, box
	}
	near := image.Rect(160, 110, 240, 190) // around 200,150
	move(0, 200, 150)
	n, box := differing(ScreenConfig{}, near, quadColour)
	if n < 20 || !box.In(image.Rect(180, 130, 221, 171)) {
		t.Errorf("pointer at 200,150: %d pixels drawn in %v, want 20 or more within 20 px of it", n, box)
	}
	if n, _ := differing(ScreenConfig{HideCursor: true}, near, quadColour); n != 0 {
		t.Errorf("HideCursor: %d pixels differ from the screen", n)
	}
	if n, _ := differing(ScreenConfig{}, image.Rect(400, 300, 480, 380), quadColour); n != 0 {
		t.Errorf("a region away from the pointer: %d pixels differ", n)
	}
	if n, _ := differing(ScreenConfig{Screen: 1}, image.Rect(0, 0, 640, 480), blue); n != 0 {
		t.Errorf("screen 1 with the pointer on screen 0: %d pixels differ", n)
	}
	// On screen 1 now: drawn there, gone from screen 0.
	move(1, 100, 100)
	n, box = differing(ScreenConfig{Screen: 1}, image.Rect(0, 0, 640, 480), blue)
	if n < 20 || !box.In(image.Rect(80, 80, 121, 121)) {
		t.Errorf("pointer at 100,100 of screen 1: %d pixels drawn in %v", n, box)
	}
	if n, _ := differing(ScreenConfig{}, near, quadColour); n != 0 {
		t.Errorf("screen 0 with the pointer on screen 1: %d pixels differ", n)
	}
	move(0, 1279, 719) // out of the other subtests' way
}
