package loopback

import (
	"sync"
)

// Reader is one viewer's view of a stream: a bounded queue that never
// blocks the publisher. When it overflows, everything queued is dropped and
// video resumes at the next keyframe; audio and headers keep flowing.
type Reader struct {
	mu      sync.Mutex
	items   []*Unit
	max     int
	dropped int64
	needKey bool
	closed  bool
	ready   chan struct{}
	done    chan struct{} // closed when the stream ends or the reader is removed
}

func newReader(max int) *Reader {
	return &Reader{max: max, ready: make(chan struct{}, 1), done: make(chan struct{})}
}

func (r *Reader) push(u *Unit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if u.Kind == KindVideo && !u.Header {
		if r.needKey && !u.Key {
			r.dropped++
			return
		}
		if u.Key {
			r.needKey = false
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
				return
			}
		}
	}
	r.items = append(r.items, u)
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// Next returns the queued units (oldest first), or none when the queue is
// empty. The caller waits on Ready or Done before asking again.
func (r *Reader) Next(buf []*Unit) []*Unit {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf = append(buf[:0], r.items...)
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
