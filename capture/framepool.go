package capture

// framePool is a bounded free list of frame buffers of one size, owned by
// a source. get takes a free buffer or allocates one; put (called by a
// frame's Release, from any goroutine) keeps the buffer for reuse unless
// the list is full, in which case the garbage collector gets it. So at most
// cap buffers are kept idle, whatever the consumers do.
type framePool struct {
	size int
	free chan []byte
}

func newFramePool(size, capacity int) *framePool {
	return &framePool{size: size, free: make(chan []byte, capacity)}
}

func (p *framePool) get() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]byte, p.size)
	}
}

func (p *framePool) put(b []byte) {
	if len(b) != p.size {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// prefill allocates up to n buffers into the free list and writes each
// (copying fill into it), so that the pages are mapped before the source
// starts its clock: on a VM, the first touch of a fresh 4K frame's 12 MB
// costs tens of milliseconds, enough to make a source skip frames at
// start.
func (p *framePool) prefill(n int, fill []byte) {
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
