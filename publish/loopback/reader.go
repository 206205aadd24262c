package loopback

import (
	"sync"
	"time"

	"onair/publish/rtmp"
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
// To make fewer writes for a crowd, the stream may ask an idle viewer to
// hold units (push with hold, see stream.Write): they wait, up to
// maxHeld of them, and go in one write with the unit that closes the
// stream's batch, or with flushHeld.
type Reader struct {
	mu       sync.Mutex
	items    []*Unit
	held     []*Unit // units waiting for the stream's batch to close, for the hand-off
	batch    []*Unit // handOff's, kept for its capacity
	max      int
	dropped  int64
	needKey  bool
	closed   bool
	busy     bool // the consumer holds units from Next, or must run
	lazy     bool // audio does not wake the consumer at once (see setLazy)
	sawVideo bool
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

// maxHeld bounds how many units a reader holds for the stream's batch:
// the hand-off sends them and the unit that closes the batch in one
// write, which the RTMP session makes through its own buffers.
const maxHeld = rtmp.MaxFastMessages - 1

// A lazy consumer is woken for audio only once maxLazy of it, or maxLazyUnits
// units, are queued, or with the next other unit.
const (
	maxLazy      = 40 * time.Millisecond
	maxLazyUnits = 8
)

func newReader(max int) *Reader {
	return &Reader{max: max, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

// push queues u, or hands it off at once with the units held before it.
func (r *Reader) push(u *Unit) { r.pushMayHold(u, false) }

// pushMayHold is push; with hold, a media unit (not a header) for the
// direct hand-off waits with the units held before it, up to maxHeld of
// them, for a later push without hold or flushHeld. It reports whether
// units are held now.
func (r *Reader) pushMayHold(u *Unit, hold bool) (holding bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if u.Kind == KindVideo && !u.Header {
		r.sawVideo = true
		if r.needKey && !u.Key {
			r.dropped++
			if !hold && len(r.held) > 0 && r.direct != nil && !r.busy && len(r.items) == 0 {
				r.handOff(nil) // this closed the batch
			}
			return len(r.held) > 0
		}
		if u.Key {
			r.needKey = false
		}
	}
	if r.direct != nil && !r.busy && len(r.items) == 0 {
		if hold && !u.Header && u.Kind != KindData && len(r.held) < maxHeld {
			r.held = append(r.held, u)
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

// handOff gives the held units and u (if not nil) to the direct hand-off,
// with the reader locked and its consumer idle. When the hand-off does not
// take them, the held units are queued and handOff returns false: the
// caller queues u.
func (r *Reader) handOff(u *Unit) bool {
	batch := append(r.batch[:0], r.held...)
	if u != nil {
		batch = append(batch, u)
	}
	taken, wake := r.direct.tryWrite(batch)
	clear(batch) // hold no payload
	r.batch = batch[:0]
	if len(r.held) > 0 && !taken {
		r.items = append(r.items, r.held...) // queued before u
		r.signal()
	}
	clear(r.held)
	r.held = r.held[:0]
	if taken && wake {
		r.busy = true
		r.signal()
	}
	return taken
}

// flushHeld sends the held units: the stream's batch closed without a
// unit (see stream.flushHeld).
func (r *Reader) flushHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.held) > 0 && !r.closed && !r.busy && len(r.items) == 0 {
		r.handOff(nil)
	}
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
	buf = append(append(buf, r.held...), r.items...)
	clear(r.held)
	r.held = r.held[:0]
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
