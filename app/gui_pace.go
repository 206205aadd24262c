package app

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The Studio's preview is paced by what a repaint of the window costs.
// Fyne repaints the whole window for any change, so each preview picture
// costs a full repaint: about 1 ms of CPU on a graphics card, 15–30 ms
// with software rendering (Mesa's llvmpipe: Xvfb, most virtual machines,
// remote desktops), where a 30 fps preview alone kept a core 60 % busy
// with nothing live. The preview is a check of framing and content, not
// the stream: the stream keeps its own rate. So every previewEvery the
// Studio measures the rendering's CPU (renderMeter), and previewGovernor picks
// the preview's rate so that the rendering stays within a budget of one
// core — previewBudgetIdle, or the smaller
// previewBudgetLive while the encoder needs the CPU — between
// previewMinFPS and previewMaxFPS. On a graphics card that is the full
// 30 fps; under llvmpipe about 4 idle and 1 live. The status row says
// the rate whenever it is below 30. The Player's picture is not paced:
// watching is its job.
const (
	previewBudgetIdle = 0.08 // of one core, for the window's rendering
	previewBudgetLive = 0.03
	previewMinFPS     = 1
	previewMaxFPS     = 30
)

// renderMeter reads the CPU time of the threads that render the window:
// the main thread (Fyne's GL loop is locked to it) and Mesa's software
// rasteriser threads (named llvmpipe-N), from /proc/self/task.
type renderMeter struct {
	dir     string // /proc/self/task
	mainTID string // the process's first thread
}

func newRenderMeter() renderMeter {
	return renderMeter{dir: "/proc/self/task", mainTID: strconv.Itoa(os.Getpid())}
}

// cpu returns the rendering threads' total CPU time; ok is false where
// /proc is missing.
func (m renderMeter) cpu() (time.Duration, bool) {
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		return 0, false
	}
	var ticks int64
	found := false
	for _, e := range ents {
		name := e.Name()
		if name != m.mainTID {
			comm, err := os.ReadFile(filepath.Join(m.dir, name, "comm"))
			if err != nil || !strings.HasPrefix(string(comm), "llvmpipe") {
				continue
			}
		}
		b, err := os.ReadFile(filepath.Join(m.dir, name, "stat"))
		if err != nil {
			continue
		}
		t, err := parseProcStatTicks(b)
		if err != nil {
			continue
		}
		ticks += t
		found = true
	}
	return time.Duration(ticks) * time.Second / clockTicks, found
}

// previewGovernor sets the preview's rate from the rendering's measured
// CPU load: over budget, the rate falls in proportion; under it, the rate
// rises by at most the square root of the room and at most doubles. The
// load includes what the window costs with no repaint (Fyne polls its
// events 60 times a second), so the rate settles where the whole
// rendering keeps within budget. It starts at previewStartFPS: a machine
// with a graphics card reaches 30 within a few steps, one without never
// pays for 30. Not safe for concurrent use (the bridge's goroutine owns
// it).
type previewGovernor struct {
	fps  float64
	cost time.Duration // the last CPU per repaint (for the log)
}

// previewStartFPS is the preview's rate before the first measurement.
const previewStartFPS = 10

// previewEvery is how long the governor measures before each step: the
// kernel counts CPU in 10 ms ticks per thread, so a shorter window reads
// a 3 % budget too coarsely.
const previewEvery = 3 * time.Second

// rate is the rate set: previewStartFPS until the first update.
func (g *previewGovernor) rate() float64 {
	if g.fps == 0 {
		g.fps = previewStartFPS
	}
	return g.fps
}

// update takes the rendering CPU, the repaints and the time since the
// last step and returns the preview's new rate for budget (a fraction
// of one core).
func (g *previewGovernor) update(cpu, over time.Duration, repaints int64, budget float64) float64 {
	fps := g.rate()
	if over <= 0 || cpu < 0 {
		return fps
	}
	if repaints > 0 {
		g.cost = cpu / time.Duration(repaints)
	}
	load := max(cpu.Seconds()/over.Seconds(), 0.001)
	ratio := budget / load
	if ratio >= 1 {
		fps *= min(math.Sqrt(ratio), 2)
	} else {
		// The rate the pictures came at, when lower than the one set
		// (a source slower than the cap), is what cost that load.
		if got := float64(repaints) / over.Seconds(); got < fps {
			fps = got
		}
		fps *= ratio
	}
	g.fps = min(max(fps, previewMinFPS), previewMaxFPS)
	return g.fps
}

// framePacer lets pictures through at most at its rate; the preview's
// source goroutines call allow, the governor sets the rate.
type framePacer struct {
	every atomic.Int64 // minimum interval in ns; 0: every picture
	last  atomic.Int64 // when the last picture went through (ns, monotonic base)
	base  time.Time
}

func newFramePacer() *framePacer { return &framePacer{base: time.Now()} }

// setFPS sets the rate (0 or less: no limit).
func (p *framePacer) setFPS(fps float64) {
	if fps <= 0 {
		p.every.Store(0)
		return
	}
	p.every.Store(int64(float64(time.Second) / fps))
}

// fps is the rate set (0: no limit).
func (p *framePacer) fps() float64 {
	e := p.every.Load()
	if e <= 0 {
		return 0
	}
	return float64(time.Second) / float64(e)
}

// allow says whether a picture arriving at now goes through. A picture
// due within 5 ms of the interval goes through (a 30 fps source paced to
// 15 keeps every other picture, not fewer).
func (p *framePacer) allow(now time.Time) bool {
	every := p.every.Load()
	t := int64(now.Sub(p.base))
	last := p.last.Load()
	if every > 0 && last != 0 && t-last < every-int64(5*time.Millisecond) {
		return false
	}
	p.last.Store(t)
	return true
}
