package loopback

import (
	"sync"
	"time"
)

// Reader is one viewer's view of a stream: a bounded queue that never
// blocks the publisher. When it overflows, everything queued is dropped and
// video resumes at the next keyframe; audio and headers keep flowing.
//
// A viewer that can send without blocking sets a direct hand-off: while
// its consumer is idle (nothing queued, nothing from Next in hand), the
// publisher's goroutine gives it the units at once instead of queueing
// them and waking the consumer, the way nginx-rtmp writes to every player
// from its one event loop. Whatever the hand-off does not take is queued.
//
// To make fewer writes, a video unit of a stream with audio (audio within
// audioNear of it) waits for the next unit, in practice the next audio
// frame (21 ms apart at 48 kHz), and goes with it; if none comes within
// maxHeldWait, the stream's timer sends it alone (flushHeld). Audio never
// waits: publishers send it behind the video it plays with (by some 70 ms
// of stream time from OnAir's encoder), so a player in A/V sync holds
// video longer than that anyway.
type Reader struct {
	mu       sync.Mutex
	items    []*Unit
	held     *Unit // a video unit waiting for the next unit, for the hand-off
	pair     [2]*Unit
	max      int
	dropped  int64
	needKey  bool
	closed   bool
	busy     bool // the consumer holds units from Next, or must run
	lazy     bool // audio does not wake the consumer at once (see setLazy)
	sawVideo bool
	sawAudio bool
	audioDTS time.Duration // of the last audio unit
	direct   directSink
	ready    chan struct{}
	done     chan struct{} // closed when the stream ends or the reader is removed
}

// directSink is a viewer's direct hand-off, called from the publisher's
// goroutine with the reader locked: it must not block, nor keep the slice.
// taken false: queue the units; wake: the consumer must run (to finish
// sending them).
type directSink interface {
	tryWrite(units []*Unit) (taken, wake bool)
}

// audioNear: video waits for the next unit only if the last audio unit is
// this close to it in stream time.
const audioNear = 250 * time.Millisecond

// maxHeldWait bounds how long a video unit waits for the next unit.
const maxHeldWait = 30 * time.Millisecond

// holdMinViewers: a stream holds video units for the next unit (see
// Reader) only from this many viewers on; fewer get each unit at once.
const holdMinViewers = 8

// A lazy consumer is woken for audio only once maxLazy of it, or maxLazyUnits
// units, are queued, or with the next other unit.
const (
	maxLazy      = 40 * time.Millisecond
	maxLazyUnits = 8
)

func newReader(max int) *Reader {
	return &Reader{max: max, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// push queues u, or hands it off. It reports whether a unit now waits for
// the next one (see flushHeld).
func (r *Reader) push(u *Unit) (holding bool) { return r.pushMayHold(u, true) }

// pushMayHold is push; mayHold false sends a video unit at once instead of
// letting it wait for the next unit (see holdMinViewers).
func (r *Reader) pushMayHold(u *Unit, mayHold bool) (holding bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if u.Kind == KindAudio && !u.Header {
		r.sawAudio, r.audioDTS = true, u.DTS
	}
	if u.Kind == KindVideo && !u.Header {
		r.sawVideo = true
		if r.needKey && !u.Key {
			r.dropped++
			return r.held != nil
		}
		if u.Key {
			r.needKey = false
		}
	}
	if r.direct != nil && !r.busy && len(r.items) == 0 {
		if r.held == nil && mayHold && r.canHold(u) {
			r.held = u
			return true
		}
		if r.handOff(u) {
			return false
		}
	}
	if len(r.items) >= r.max {
		r.dropped += int64(len(r.items))
		for i := range r.items {
			r.items[i] = nil
		}
		r.items = r.items[:0]
		if !(u.Kind == KindVideo && u.Key) {
			r.needKey = true
			if u.Kind == KindVideo && !u.Header {
				r.dropped++
				return false
			}
		}
	}
	r.items = append(r.items, u)
	if !r.lazy || !r.canWait(u) {
		r.signal()
	}
	return false
}

// handOff gives the held unit, if any, and u (if not nil) to the direct
// hand-off, with the reader locked and its consumer idle. When the hand-off
// does not take them, the held unit is queued and handOff returns false:
// the caller queues u.
func (r *Reader) handOff(u *Unit) bool {
	batch := r.pair[:0]
	if r.held != nil {
		batch = append(batch, r.held)
	}
	if u != nil {
		batch = append(batch, u)
	}
	taken, wake := r.direct.tryWrite(batch)
	r.pair = [2]*Unit{}
	if r.held != nil && !taken {
		r.items = append(r.items, r.held) // queued before u
		r.signal()
	}
	r.held = nil
	if taken && wake {
		r.busy = true
		r.signal()
	}
	return taken
}

// flushHeld sends a unit that waited maxHeldWait for the next one in vain.
func (r *Reader) flushHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held != nil && !r.closed && !r.busy && len(r.items) == 0 {
		r.handOff(nil)
	}
}

// canHold says whether u, a unit for the direct hand-off, may wait for the
// next one.
func (r *Reader) canHold(u *Unit) bool {
	if u.Kind != KindVideo || u.Header || !r.sawAudio {
		return false
	}
	d := u.DTS - r.audioDTS
	return -audioNear < d && d < audioNear
}

// canWait says whether a lazy consumer need not be woken for u, just
// queued.
func (r *Reader) canWait(u *Unit) bool {
	if u.Kind != KindAudio || u.Header || !r.sawVideo || len(r.items) >= maxLazyUnits {
		return false
	}
	d := u.DTS - r.items[0].DTS
	return d >= 0 && d < maxLazy
}

// setLazy makes audio wait in the queue for the next video unit (up to
// maxLazy of it) before the consumer is woken: for a consumer that does not
// need each unit at once, such as the HLS segmenter, whose every wake-up
// costs a thread hand-off in the runtime. Streams without video are not
// held.
func (r *Reader) setLazy() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lazy = true
}

func (r *Reader) signal() {
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// setDirect sets the direct hand-off.
func (r *Reader) setDirect(d directSink) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.direct = d
}

// Next returns the queued units (oldest first), or none when the queue is
// empty. The caller waits on Ready or Done before asking again. Until Next
// returns none, the direct hand-off is off: the units go in order.
func (r *Reader) Next(buf []*Unit) []*Unit {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf = buf[:0]
	if r.held != nil {
		buf, r.held = append(buf, r.held), nil
	}
	buf = append(buf, r.items...)
	r.busy = len(buf) > 0
	for i := range r.items {
		r.items[i] = nil
	}
	r.items = r.items[:0]
	return buf
}

// Ready is signalled when units were queued.
func (r *Reader) Ready() <-chan struct{} { return r.ready }

// Done is closed when the reader was removed or the stream's hub closed.
func (r *Reader) Done() <-chan struct{} { return r.done }

// Dropped counts units this reader lost to overflow.
func (r *Reader) Dropped() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

func (r *Reader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.done)
	}
}
