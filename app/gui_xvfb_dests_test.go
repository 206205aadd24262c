package app

import (
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGUIDestinationsUnderXvfb runs the real program in a real window with
// three destinations kept in its preferences: the loopback server's, a
// port on 127.0.0.1 that refuses, and the loopback server over RTMFP.
// `onair --startstreaming` goes live to all: the first and the third go
// live (green lights; the RTMFP row shows its session's figures), the
// second fails on its own (a red light). The screenshot of the window is written to
// ONAIR_SCREENSHOT_DESTS, or onair-destinations.png in the temporary
// folder, and its path logged; SIGTERM then closes the window (exit
// status 0).
func TestGUIDestinationsUnderXvfb(t *testing.T) {
	rtmpAddr, httpAddr, refused := freeAddr(t), freeAddr(t), freeAddr(t)
	home := t.TempDir()
	config := filepath.Join(home, ".config")
	// The RTMFP row first, so that the screenshot shows its figures; the
	// window's RTMFP listens on the RTMP address.
	dests := formatDests([]destSetting{{Server: "rtmfp://" + rtmpAddr + "/live", Key: "udp"},
		{Server: "rtmp://" + refused + "/live", Key: "nowhere"}, {Key: "preview"}})
	prefs, _ := json.Marshal(map[string]any{prefDests: dests, prefSize: sizePresets[0].label, prefPreset: "ultrafast"})
	dir := filepath.Join(config, "fyne", guiAppID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "preferences.json"), prefs, 0o600); err != nil {
		t.Fatal(err)
	}
	w := startXvfbWindow(t, home, "--startstreaming", "--rtmp", rtmpAddr, "--http", httpAddr, "--null-audio", "--log-level", "info")
	display, exited, stderr := w.display, w.exited, w.stderr

	// Both outcomes in the log, then a few seconds of figures, and the
	// two lights on the screen.
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(stderr.String(), `msg="destination live"`) < 2 || !strings.Contains(stderr.String(), `msg="destination failed"`) {
		select {
		case err := <-exited:
			t.Fatalf("onair exited early (%v): %s", err, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not live to two destinations and failed on the other after 30 s; output:\n%s", stderr.String())
		}
	}
	var shot *image.RGBA
	var win image.Rectangle
	var green, red int
	deadline = time.Now().Add(20 * time.Second)
	for {
		time.Sleep(time.Second)
		win = windowRect(t, display)
		shot = screenshot(t, display)
		green = countColour(shot, win, healthColors[healthOK])
		red = countColour(shot, win, healthColors[healthBad])
		if green >= 80 && red >= 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lights: %d green pixels, %d red, want at least 80 (two lights) and 40; output:\n%s", green, red, stderr.String())
		}
	}
	time.Sleep(2 * time.Second) // a couple of figures updates
	shot = screenshot(t, display)
	out := os.Getenv("ONAIR_SCREENSHOT_DESTS")
	if out == "" {
		out = filepath.Join(os.TempDir(), "onair-destinations.png")
	}
	crop := image.NewRGBA(image.Rect(0, 0, win.Dx(), win.Dy()))
	draw.Draw(crop, crop.Rect, shot, win.Min, draw.Src)
	if err := writePNG(out, crop); err != nil {
		t.Error(err)
	}
	t.Logf("window %v: %d green and %d red light pixels; screenshot %s", win,
		countColour(shot, win, healthColors[healthOK]), countColour(shot, win, healthColors[healthBad]), out)

	w.stop(t, "nowhere") // the refused destination's key
}

// countColour counts the pixels of r within 3 of c in every channel.
func countColour(img *image.RGBA, r image.Rectangle, c color.NRGBA) int {
	near := func(a, b uint8) bool { return int(a)-int(b) <= 3 && int(b)-int(a) <= 3 }
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := img.PixOffset(x, y)
			if near(img.Pix[i], c.R) && near(img.Pix[i+1], c.G) && near(img.Pix[i+2], c.B) {
				n++
			}
		}
	}
	return n
}
