package capture

// #include "screen_x11.h"
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
)

// maxScreenSegments bounds the shared-memory images a Screen keeps (each
// the size of one frame): enough for the frames queued to the encoder,
// the one it works on and the one being grabbed. When consumers hold all
// of them, the slot is skipped.
const maxScreenSegments = 8

// shmPool is the shared-memory (MIT-SHM) images of one region that the X
// server grabs into: a frame's plane points into one until the frame is
// released. newSeg and get make X calls and run on the grabber's
// goroutine; put (a frame's Release) may run on any goroutine and makes no
// X call.
type shmPool struct {
	dp     *C.Display
	screen C.int
	w, h   int
	log    *slog.Logger

	mu     sync.Mutex
	free   []*C.onair_seg
	total  int
	limit  int // maxScreenSegments, or fewer once the system refused one
	closed bool
}

// newShmPool makes the pool and its first image, whose row stride it
// returns; an error when the server cannot share memory with us.
func newShmPool(dp *C.Display, screen C.int, w, h int, log *slog.Logger) (*shmPool, int, error) {
	p := &shmPool{dp: dp, screen: screen, w: w, h: h, log: log, limit: maxScreenSegments}
	seg, err := p.newSeg()
	if err != nil {
		return nil, 0, err
	}
	p.free = append(p.free, seg)
	p.total = 1
	return p, int(seg.img.bytes_per_line), nil
}

func (p *shmPool) newSeg() (*C.onair_seg, error) {
	var seg *C.onair_seg
	switch rc := C.onair_seg_new(p.dp, p.screen, C.int(p.w), C.int(p.h), &seg); {
	case rc == 0:
		return seg, nil
	case rc == -1000:
		return nil, errors.New("XShmCreateImage failed")
	case rc < 0:
		return nil, fmt.Errorf("the X server refused to attach our shared memory (X error %d)", -rc)
	default:
		return nil, fmt.Errorf("shared memory: %w", syscall.Errno(rc))
	}
}

// get takes a free shared image, makes one while fewer than the limit
// exist, or returns nil when consumers hold them all. When the system
// refuses another segment (shared memory limits), the ones there are must
// do: the limit drops to their number.
func (p *shmPool) get() *C.onair_seg {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		seg := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return seg
	}
	if p.total >= p.limit {
		p.mu.Unlock()
		return nil
	}
	p.total++
	p.mu.Unlock()
	seg, err := p.newSeg()
	if err != nil {
		p.mu.Lock()
		p.total--
		p.limit = p.total
		total := p.total
		p.mu.Unlock()
		p.log.Warn("cannot make another shared image: going on with fewer", "images", total, "err", err)
	}
	return seg
}

// put takes back a released shared image.
func (p *shmPool) put(seg *C.onair_seg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		// The connection is closed (or closing, with the free list
		// already emptied): the server has let go or will at disconnect.
		C.onair_seg_free(nil, seg)
		return
	}
	p.free = append(p.free, seg)
}

// close frees the idle images, telling the server to detach them unless
// the connection is lost (dead); the images frames still hold are freed
// when those are released. The connection is closed after it.
func (p *shmPool) close(dead bool) {
	dp := p.dp
	if dead {
		dp = nil // the server has gone, and its attachments with it
	}
	p.mu.Lock()
	p.closed = true
	for _, seg := range p.free {
		C.onair_seg_free(dp, seg)
	}
	p.free = nil
	p.mu.Unlock()
}
