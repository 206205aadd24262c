// Package bufpool keeps frame buffers for reuse: a source that makes a
// frame a tick (a camera, a screen grab, a file's decoder, the video
// preprocessor) takes its buffer from a Pool and the frame's Release gives
// it back, so that steady streaming allocates nothing.
package bufpool

// Pool is a bounded free list of byte buffers of one size. Get takes a free
// buffer or allocates one; Put (typically called by a frame's Release, from
// any goroutine) keeps the buffer for reuse unless the list is full, in
// which case the garbage collector gets it. So at most the capacity given
// to New is kept idle, whatever the consumers do. A Pool is safe for
// concurrent use.
type Pool struct {
	size int
	free chan []byte
}

// New returns a pool of buffers of size bytes that keeps at most capacity
// of them idle.
func New(size, capacity int) *Pool {
	return &Pool{size: size, free: make(chan []byte, max(capacity, 0))}
}

// Size is the length of the pool's buffers.
func (p *Pool) Size() int { return p.size }

// Idle is how many buffers are waiting in the free list.
func (p *Pool) Idle() int { return len(p.free) }

// Get returns a free buffer (its old contents left as they were) or, when
// there is none, a new zeroed one.
func (p *Pool) Get() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]byte, p.size)
	}
}

// Put gives b back for reuse. A buffer of another length, or one more than
// the list holds, is dropped.
func (p *Pool) Put(b []byte) {
	if len(b) != p.size {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// Prefill allocates up to n buffers into the free list and writes each
// (copying fill into it), so that the pages are mapped before the source
// starts its clock: on a VM, the first touch of a fresh 4K frame's 12 MB
// costs tens of milliseconds, enough to make a source skip frames at
// start.
func (p *Pool) Prefill(n int, fill []byte) {
	for i := 0; i < n; i++ {
		b := make([]byte, p.size)
		copy(b, fill)
		select {
		case p.free <- b:
		default:
			return
		}
	}
}
