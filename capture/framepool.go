package capture

import "onair/internal/bufpool"

// framePool is a source's pool of frame buffers of one size: a
// bufpool.Pool (a bounded free list; see there), under the names the
// sources call it by.
type framePool struct {
	*bufpool.Pool
	size int // bytes in each buffer
}

func newFramePool(size, capacity int) *framePool {
	return &framePool{Pool: bufpool.New(size, capacity), size: size}
}

func (p *framePool) get() []byte { return p.Get() }

func (p *framePool) put(b []byte) { p.Put(b) }

// prefill writes up to n buffers into the free list before the source
// starts its clock (see bufpool.Pool.Prefill).
func (p *framePool) prefill(n int, fill []byte) { p.Prefill(n, fill) }
