package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// bridge is the one way state gets from the media goroutines (broadcast,
// player, loopback, preview source) to the widgets. Nothing else in the
// window calls fyne.Do.
//
// Three kinds of traffic, all coalescing, none blocking the sender:
//
//   - watch: a read function the bridge calls every statsEvery on its own
//     goroutine (it reads the engines' counters, never a widget) and that
//     returns an apply function run on the UI goroutine. When the previous
//     batch has not run yet, the tick is skipped: the UI never queues up
//     stale figures.
//   - frameReady: a video surface has a newer picture in its back buffer.
//     The bridge asks the UI to swap and refresh at most once per
//     frameEvery, and never while the previous swap is still queued; the
//     swap takes the newest picture, so older ones are simply replaced.
//     While pictures flow, the figures ride with them: a frame batch due
//     statsEvery after the last reading carries the watchers' applies,
//     and the ticker reads alone only when no picture came for
//     statsRideFor (or none carried the figures for that long). Fyne
//     repaints the whole window for any change, so one repaint serves
//     both (with software rendering a repaint costs 15–20 ms).
//   - post: a one-off event (went live, an error, a snapshot written), run
//     on the UI goroutine once, dropped after close.
//
// The bridge's goroutine is owned by it: close cancels and waits.
type bridge struct {
	do         func(func()) // fyne.Do in the window
	statsEvery time.Duration
	frameEvery time.Duration

	// ui is held while a UI function runs. On the real driver everything
	// runs on the main goroutine anyway; Fyne's test driver runs fyne.Do
	// inline on the calling goroutine, so tests hold it too (gui.onUI).
	ui sync.Mutex

	mu       sync.Mutex // guards the lists
	watchers []func() func()
	surfaces []*videoSurface

	// closeMu is held (shared) while a UI function is handed to do, so
	// that close waits for those in flight and none is handed over after.
	closeMu sync.RWMutex
	closed  bool

	wake          chan struct{}
	frameInFlight atomic.Bool
	statsInFlight atomic.Bool
	statsSkipped  atomic.Int64
	frameBatches  atomic.Int64
	statsAlone    atomic.Int64 // stats batches queued on their own
	statsRidden   atomic.Int64 // stats readings carried by a frame batch

	// Bridge goroutine only.
	lastFrame, lastStats time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// statsRideFor is how long the ticker leaves the figures to the frame
// batches: past it, with no picture, they go alone (a preview paced to a
// few pictures a second still carries them).
const statsRideFor = time.Second

// newBridge starts the bridge: stats at most every statsEvery (4 Hz in the
// window), frames at most every frameEvery (the display rate).
func newBridge(do func(func()), statsEvery, frameEvery time.Duration) *bridge {
	b := &bridge{do: do, statsEvery: statsEvery, frameEvery: frameEvery, wake: make(chan struct{}, 1)}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(1)
	go func() { defer b.wg.Done(); b.run() }()
	return b
}

// watch adds a periodic reader. read runs on the bridge goroutine and must
// not block or touch widgets; the function it returns (may be nil) runs on
// the UI goroutine.
func (b *bridge) watch(read func() func()) {
	b.mu.Lock()
	b.watchers = append(b.watchers, read)
	b.mu.Unlock()
}

// addSurface registers a video surface whose frames the bridge shows.
func (b *bridge) addSurface(s *videoSurface) {
	b.mu.Lock()
	b.surfaces = append(b.surfaces, s)
	b.mu.Unlock()
	s.ready = b.frameReady
}

// post runs fn once on the UI goroutine; from any goroutine except the UI
// one. After close it is dropped.
func (b *bridge) post(fn func()) {
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return
	}
	b.do(b.onUI(fn))
}

// frameReady tells the bridge that a surface has a newer picture; from
// any goroutine, never blocks.
func (b *bridge) frameReady() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// close stops the bridge and waits for its goroutine: afterwards no UI
// function is queued by it.
func (b *bridge) close() {
	b.closeMu.Lock()
	already := b.closed
	b.closed = true
	b.closeMu.Unlock()
	if already {
		return
	}
	b.cancel()
	b.wg.Wait()
}

func (b *bridge) onUI(fn func()) func() {
	return func() {
		b.ui.Lock()
		defer b.ui.Unlock()
		fn()
	}
}

func (b *bridge) run() {
	tick := time.NewTicker(b.statsEvery)
	defer tick.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
			now := time.Now()
			if now.Sub(b.lastStats) >= b.statsEvery &&
				(now.Sub(b.lastFrame) >= statsRideFor || now.Sub(b.lastStats) >= statsRideFor) {
				b.flushStats(now)
			}
		case <-b.wake:
			if wait := time.Until(b.lastFrame.Add(b.frameEvery)); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-b.ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			now := time.Now()
			if b.flushFrames(now) {
				b.lastFrame = now
			}
		}
	}
}

// readStats reads every watcher, unless the last batch of figures is
// still queued (nil, skipped); the caller queues the applies and stores
// statsInFlight false once they ran. Bridge goroutine.
func (b *bridge) readStats(now time.Time) []func() {
	if b.statsInFlight.Swap(true) {
		b.statsSkipped.Add(1)
		return nil
	}
	b.lastStats = now
	b.mu.Lock()
	ws := b.watchers
	b.mu.Unlock()
	applies := make([]func(), 0, len(ws))
	for _, read := range ws {
		if a := read(); a != nil {
			applies = append(applies, a)
		}
	}
	return applies
}

// flushStats reads every watcher and queues one UI batch, unless the last
// one is still queued.
func (b *bridge) flushStats(now time.Time) {
	applies := b.readStats(now)
	if applies == nil {
		return
	}
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return
	}
	b.statsAlone.Add(1)
	b.do(b.onUI(func() {
		defer b.statsInFlight.Store(false)
		for _, a := range applies {
			a()
		}
	}))
}

// flushFrames queues one UI swap of every surface with a fresh picture,
// unless the last one is still queued (it will take the newest picture,
// and asks again if more came meanwhile). When the figures are due, it
// reads them and the same batch applies them.
func (b *bridge) flushFrames(now time.Time) bool {
	if b.frameInFlight.Swap(true) {
		return false
	}
	var applies []func()
	if now.Sub(b.lastStats) >= b.statsEvery {
		applies = b.readStats(now)
	}
	b.mu.Lock()
	ss := b.surfaces
	b.mu.Unlock()
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return false
	}
	b.frameBatches.Add(1)
	if applies != nil {
		b.statsRidden.Add(1)
	}
	b.do(b.onUI(func() {
		more := false
		for _, s := range ss {
			s.show()
			more = more || s.hasFresh()
		}
		if applies != nil {
			for _, a := range applies {
				a()
			}
			b.statsInFlight.Store(false)
		}
		b.frameInFlight.Store(false)
		if more {
			b.frameReady()
		}
	}))
	return true
}
