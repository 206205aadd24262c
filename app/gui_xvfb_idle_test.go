package app

import (
	"image"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestGUIIdlePreviewPaced guards the idle window's cost: in a real window
// under Xvfb (Mesa's software rendering, where a repaint costs 15–20 ms)
// the Studio's preview of the test source slows below its 30 fps, so
// that its repaints keep within the budget, and still moves. The CPU
// figure itself is make bench's (the idle window beside an empty one).
func TestGUIIdlePreviewPaced(t *testing.T) {
	w := startXvfbWindow(t, t.TempDir(), "--rtmp", freeAddr(t), "--http", freeAddr(t), "--null-audio", "--log-level", "debug")
	rate := regexp.MustCompile(`msg="preview rate" fps=([0-9.]+) repaint_ms=([0-9.]+)`)
	var fps, cost float64
	// Two steps of the governor: from its start rate, then settling.
	deadline := time.Now().Add(30 * time.Second)
	for steps := 0; steps < 2; {
		select {
		case err := <-w.exited:
			t.Fatalf("onair exited early (%v): %s", err, w.stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
		m := rate.FindAllStringSubmatch(w.stderr.String(), -1)
		if steps = len(m); steps > 0 {
			last := m[len(m)-1]
			fps, _ = strconv.ParseFloat(last[1], 64)
			cost, _ = strconv.ParseFloat(last[2], 64)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d preview rates logged within 30 s, want 2; output:\n%s", steps, w.stderr.String())
		}
	}
	t.Logf("preview %.1f fps, a repaint %.1f ms of CPU", fps, cost)
	if fps >= previewMaxFPS || fps < previewMinFPS {
		t.Fatalf("preview at %.1f fps under software rendering (a repaint %.1f ms), want %d to under %d",
			fps, cost, previewMinFPS, previewMaxFPS)
	}
	if spent := fps * cost / 1000; fps > previewMinFPS && spent > previewBudgetIdle*1.5 {
		t.Errorf("the preview's repaints take %.0f%% of a core, budget %.0f%%", spent*100, previewBudgetIdle*100)
	}
	// Still a moving picture: the timecode changes between two shots.
	win := windowRect(t, w.display)
	preview := image.Rect(win.Min.X, win.Min.Y+40, win.Min.X+win.Dx()/2, win.Min.Y+win.Dy()/2)
	a := screenshot(t, w.display)
	time.Sleep(time.Second)
	b := screenshot(t, w.display)
	if n := changed(a, b, preview); n < 50 {
		t.Fatalf("the paced preview did not move: %d pixels of %v changed in 1 s", n, preview)
	}
	w.stop(t)
}
