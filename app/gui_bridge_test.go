package app

import (
	"fmt"
	"image"
	"math"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
)

// queueDo stands in for fyne.Do: it keeps the UI functions until run.
type queueDo struct {
	mu sync.Mutex
	fs []func()
}

func (q *queueDo) do(f func()) { q.mu.Lock(); q.fs = append(q.fs, f); q.mu.Unlock() }

func (q *queueDo) len() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.fs) }

func (q *queueDo) run() {
	q.mu.Lock()
	fs := q.fs
	q.fs = nil
	q.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

func rgbaFrame(w, h int, v byte) *media.VideoFrame {
	pix := make([]byte, w*h*4)
	for i := range pix {
		pix[i] = v
	}
	return &media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatRGBA,
		Planes: [3][]byte{pix}, Strides: [3]int{w * 4}}
}

// TestBridgeCoalescesFrames: while the UI has not run the last swap, newer
// pictures replace the waiting one and no second swap is queued; the swap
// shows the newest.
func TestBridgeCoalescesFrames(t *testing.T) {
	q := &queueDo{}
	b := newBridge(q.do, time.Hour, time.Millisecond)
	defer b.close()
	s := newVideoSurface("")
	b.addSurface(s)
	for i := 1; i <= 10; i++ {
		s.Present(rgbaFrame(4, 2, byte(i)))
	}
	waitFor(t, time.Second, "no swap queued", func() bool { return q.len() == 1 })
	time.Sleep(30 * time.Millisecond)
	if n := q.len(); n != 1 {
		t.Fatalf("%d swaps queued for 10 pictures, want 1", n)
	}
	q.run()
	if s.shown.Load() != 1 || s.front == nil || s.front.Pix[0] != 10 {
		t.Fatalf("shown %d, front %v", s.shown.Load(), s.front)
	}
	if got := s.replaced.Load() + s.shown.Load(); got != 10 {
		t.Errorf("replaced+shown = %d, want 10", got)
	}
	// The next picture goes into the other buffer and gets its own swap.
	s.Present(rgbaFrame(4, 2, 11))
	waitFor(t, time.Second, "no second swap", func() bool { return q.len() == 1 })
	q.run()
	if s.front.Pix[0] != 11 || s.shown.Load() != 2 {
		t.Errorf("front %d shown %d", s.front.Pix[0], s.shown.Load())
	}
	if b.frameBatches.Load() != 2 {
		t.Errorf("%d frame batches", b.frameBatches.Load())
	}
}

// TestBridgeStatsSkipWhileQueued: a stats batch is not queued again while
// the previous one waits; reads happen on the bridge goroutine.
func TestBridgeStatsSkipWhileQueued(t *testing.T) {
	q := &queueDo{}
	b := newBridge(q.do, 5*time.Millisecond, time.Millisecond)
	var reads, applies int
	var mu sync.Mutex
	b.watch(func() func() {
		mu.Lock()
		reads++
		mu.Unlock()
		return func() { applies++ }
	})
	time.Sleep(60 * time.Millisecond)
	if n := q.len(); n != 1 {
		t.Fatalf("%d stats batches queued, want 1", n)
	}
	q.run()
	waitFor(t, time.Second, "no batch after the first ran", func() bool { return q.len() == 1 })
	b.close()
	q.run()
	if applies != 2 || b.statsSkipped.Load() == 0 {
		t.Errorf("applies %d, skipped %d", applies, b.statsSkipped.Load())
	}
	// After close nothing is queued.
	b.post(func() { t.Error("posted after close") })
	q.run()
}

func TestYUV420ToRGBA(t *testing.T) {
	const w, h = 4, 2
	mk := func(y, u, v byte) *media.VideoFrame {
		f := &media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatYUV420P, Strides: [3]int{w, w / 2, w / 2}}
		f.Planes[0] = make([]byte, w*h)
		f.Planes[1] = make([]byte, w/2*h/2)
		f.Planes[2] = make([]byte, w/2*h/2)
		for i := range f.Planes[0] {
			f.Planes[0][i] = y
		}
		for i := range f.Planes[1] {
			f.Planes[1][i], f.Planes[2][i] = u, v
		}
		return f
	}
	for _, c := range []struct {
		name    string
		y, u, v byte
		r, g, b byte
	}{
		{"black", 16, 128, 128, 0, 0, 0},
		{"white", 235, 128, 128, 255, 255, 255},
		{"red", 81, 90, 240, 255, 0, 0},
		{"green", 145, 54, 34, 0, 255, 0},
		{"blue", 41, 240, 110, 0, 0, 255},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			yuv420ToRGBA(dst, mk(c.y, c.u, c.v))
			px := dst.Pix[4*5:]
			near := func(a, b byte) bool { d := int(a) - int(b); return d >= -3 && d <= 3 }
			if !near(px[0], c.r) || !near(px[1], c.g) || !near(px[2], c.b) || px[3] != 255 {
				t.Errorf("%s: got %v, want %d %d %d", c.name, px[:4], c.r, c.g, c.b)
			}
		})
	}
}

func TestParseProcStatTicks(t *testing.T) {
	line := "1234 (on air) x) S 1 2 3 4 5 6 7 8 9 10 250 37 0 0 20 0 8 0 100 0 0\n"
	got, err := parseProcStatTicks([]byte(line))
	if err != nil || got != 287 {
		t.Fatalf("got %d, %v; want 287", got, err)
	}
	if _, err := parseProcStatTicks([]byte("1234 (x) S 1 2")); err == nil {
		t.Error("short line: no error")
	}
	var m cpuMeter
	if _, ok := m.sample(); ok {
		t.Error("first sample reported a figure")
	}
	busy := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(busy) {
	}
	if pct, ok := m.sample(); !ok || pct < 0 || pct > 100*float64(m.cores())+50 {
		t.Errorf("cpu %.1f%% ok %v", pct, ok)
	}
}

func TestAddRecent(t *testing.T) {
	var l []string
	for i := 0; i < 12; i++ {
		l = addRecent(l, string(rune('a'+i)))
	}
	l = addRecent(l, "c")
	if len(l) != maxRecentURLs || l[0] != "c" || l[1] != "l" || l[len(l)-1] != "d" {
		t.Errorf("recent %q", l)
	}
	if got := addRecent(l, "  "); len(got) != len(l) {
		t.Error("blank URL added")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 33: 40, 30: 30, 2750: 3000, 2600: 3000, 0.07: 0.08, 101: 150} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			if got := niceCeil(in); math.Abs(got-want) > 1e-9 {
				t.Errorf("niceCeil(%g) = %g, want %g", in, got, want)
			}
		})
	}
}

func TestWithoutFynePrefsRace(t *testing.T) {
	in := "a\n2026/12/01 20:04:01 Fyne error:  Preferences load error:\n2026/12/01 20:04:01   Cause: EOF\n2026/12/01 20:04:01   At: /x/fyne.io/fyne/v2@v2.7.1/app/preferences.go:103\nb\nFyne error: other\n"
	if got := withoutFynePrefsRace(in); got != "a\nb\nFyne error: other\n" {
		t.Errorf("got %q", got)
	}
	// The process ended right after the first line (its last words).
	cut := "a\n2026/12/06 08:57:05 Fyne error:  Preferences load error:\n"
	if got := withoutFynePrefsRace(cut); got != "a\n" {
		t.Errorf("cut short: got %q", got)
	}
	// Anything after it that is not its cause is kept.
	other := "2026/12/06 08:57:05 Fyne error:  Preferences load error:\nFyne error: other\n"
	if got := withoutFynePrefsRace(other); got != other {
		t.Errorf("followed by another error: got %q", got)
	}
}

// TestBridgeStatsRideWithFrames: while pictures flow, the figures are
// applied by the frame batches (one repaint for both) at about their own
// rate; once pictures stop, they go alone.
func TestBridgeStatsRideWithFrames(t *testing.T) {
	q := &queueDo{}
	b := newBridge(q.do, 40*time.Millisecond, time.Millisecond)
	defer b.close()
	var mu sync.Mutex
	applies := 0
	b.watch(func() func() { return func() { mu.Lock(); applies++; mu.Unlock() } })
	s := newVideoSurface("")
	b.addSurface(s)
	count := func() int { mu.Lock(); defer mu.Unlock(); return applies }

	// 600 ms of pictures at 50 a second, the UI running every 5 ms.
	stop := time.Now().Add(600 * time.Millisecond)
	for i := 0; time.Now().Before(stop); i++ {
		s.Present(rgbaFrame(4, 2, byte(i)))
		time.Sleep(5 * time.Millisecond)
		q.run()
		time.Sleep(15 * time.Millisecond)
		q.run()
	}
	if alone, ridden := b.statsAlone.Load(), b.statsRidden.Load(); alone > 1 || ridden < 5 {
		t.Fatalf("with pictures flowing: %d stats batches alone, %d carried by frames (want ≤ 1 alone, ≥ 5 carried)", alone, ridden)
	}
	if n := count(); n < 5 || n > 20 {
		t.Fatalf("%d applies in 600 ms at one per 40 ms", n)
	}
	// No picture: after statsRideFor the ticker sends them alone.
	before := b.statsAlone.Load()
	deadline := time.Now().Add(statsRideFor + time.Second)
	for b.statsAlone.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no stats batch alone after pictures stopped")
		}
		time.Sleep(10 * time.Millisecond)
		q.run()
	}
}
