package app

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestPreviewGovernor: the preview's rate settles where the rendering
// keeps within budget, between the floor and 30, on a graphics card and
// with software rendering, idle and live.
func TestPreviewGovernor(t *testing.T) {
	// window is a window whose rendering costs floor of a core with no
	// repaint and cost a repaint; it repaints at the governor's rate.
	type window struct {
		floor float64
		cost  time.Duration
	}
	settle := func(w window, budget float64) (fps float64, load float64) {
		var g previewGovernor
		fps = g.rate()
		for i := 0; i < 20; i++ {
			over := previewEvery
			reps := int64(fps * over.Seconds())
			cpu := time.Duration(w.floor*float64(over)) + time.Duration(reps)*w.cost
			load = cpu.Seconds() / over.Seconds()
			fps = g.update(cpu, over, reps, budget)
		}
		return fps, load
	}
	for _, c := range []struct {
		name     string
		w        window
		budget   float64
		min, max float64
	}{
		{"graphics card", window{0.01, time.Millisecond}, previewBudgetIdle, previewMaxFPS, previewMaxFPS},
		{"software GL idle", window{0.014, 16 * time.Millisecond}, previewBudgetIdle, 3.5, 5},
		{"software GL live", window{0.014, 30 * time.Millisecond}, previewBudgetLive, previewMinFPS, previewMinFPS},
		{"in between", window{0.01, 5 * time.Millisecond}, previewBudgetIdle, 12, 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			fps, load := settle(c.w, c.budget)
			if fps < c.min || fps > c.max {
				t.Fatalf("settled at %.2f fps (rendering %.1f%% of a core), want %.1f to %.1f", fps, load*100, c.min, c.max)
			}
			if fps > previewMinFPS && load > c.budget*1.1 {
				t.Fatalf("settled at %.2f fps with the rendering at %.1f%% of a core, budget %.0f%%", fps, load*100, c.budget*100)
			}
		})
	}
	// A source slower than the cap: the load is what its rate cost.
	var g previewGovernor
	g.rate()
	if fps := g.update(time.Second, time.Second, 4, 0.10); fps > 0.5*4+0.01 && fps != previewMinFPS {
		t.Fatalf("4 repaints a second at 100%% of a core, budget 10%%: %v fps", fps)
	}
	// Rising is gentle: at most double per step.
	var h previewGovernor
	if fps := h.update(time.Millisecond, previewEvery, 30, previewBudgetIdle); fps > 2*previewStartFPS {
		t.Fatalf("one step with room rose from %d to %v fps", previewStartFPS, fps)
	}
}

// TestFramePacer: at 10 fps a 30 fps source keeps every third picture;
// with no rate, every picture.
func TestFramePacer(t *testing.T) {
	p := newFramePacer()
	start := p.base.Add(time.Second)
	count := func() int {
		n := 0
		for i := 0; i < 90; i++ { // 3 s at 30 fps
			if p.allow(start.Add(time.Duration(i) * time.Second / 30)) {
				n++
			}
		}
		start = start.Add(10 * time.Second)
		return n
	}
	if n := count(); n != 90 {
		t.Fatalf("no rate: %d of 90 pictures through", n)
	}
	p.setFPS(10)
	if n := count(); n != 30 {
		t.Fatalf("10 fps: %d of 90 pictures through, want 30", n)
	}
	p.setFPS(15)
	if n := count(); n != 45 {
		t.Fatalf("15 fps: %d of 90 pictures through, want 45", n)
	}
	if f := p.fps(); f < 14.9 || f > 15.1 {
		t.Fatalf("fps() = %v", f)
	}
}

// TestRenderMeter: the main thread and Mesa's llvmpipe threads count,
// the others not.
func TestRenderMeter(t *testing.T) {
	dir := t.TempDir()
	thread := func(tid, comm string, utime, stime int) {
		d := filepath.Join(dir, tid)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := tid + " (" + comm + ") S 1 1 1 0 -1 0 0 0 0 0 " + strconv.Itoa(utime) + " " + strconv.Itoa(stime) + " 0 0 20 0 1 0\n"
		if err := os.WriteFile(filepath.Join(d, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "comm"), []byte(comm+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	thread("100", "onair", 50, 10)     // main: 60 ticks
	thread("101", "onair", 500, 0)     // a Go worker: not rendering
	thread("102", "llvmpipe-0", 30, 0) // rasteriser
	thread("103", "llvmpipe-1", 20, 0)
	m := renderMeter{dir: dir, mainTID: "100"}
	got, ok := m.cpu()
	if !ok || got != 1100*time.Millisecond {
		t.Fatalf("render CPU %v (ok %v), want 1.1 s", got, ok)
	}
	if _, ok := (renderMeter{dir: filepath.Join(dir, "none"), mainTID: "1"}).cpu(); ok {
		t.Fatal("a missing /proc read as ok")
	}
}
