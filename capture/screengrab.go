package capture

// #include "screen_x11.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"
	"unsafe"

	"onair/internal/media"
)

// xgrab owns one connection to the X server and the shared images of one
// region. The connection is used by one goroutine at a time: NewScreen,
// then the source goroutine, then Close once that has ended. put (a
// frame's Release) may run on any goroutine and makes no X call unless
// the grabber is closing.
type xgrab struct {
	dp      *C.Display
	screen  C.int
	root    C.Window
	rect    image.Rectangle
	rootW   C.int // current root size, from ConfigureNotify
	rootH   C.int
	segs    *shmPool // the shared images; nil: grabs over the socket
	cursor  bool     // draw the mouse pointer
	screens int      // the display's screen count
	stride  int
	pool    *framePool // buffers of the XGetImage path
	log     *slog.Logger
}

func newXGrab(dp *C.Display, screen int, rect, whole image.Rectangle, allowShm bool, log *slog.Logger) *xgrab {
	g := &xgrab{
		dp:      dp,
		screen:  C.int(screen),
		root:    C.XRootWindow(dp, C.int(screen)),
		rect:    rect,
		rootW:   C.int(whole.Dx()),
		rootH:   C.int(whole.Dy()),
		screens: int(C.XScreenCount(dp)),
		stride:  rect.Dx() * 4,
		log:     log,
	}
	// Hear of screen resizes (RandR), so that a region that no longer fits
	// stops the source instead of drawing an X error, which would end the
	// process.
	C.XSelectInput(dp, g.root, C.StructureNotifyMask)
	switch {
	case !allowShm:
	case C.XShmQueryExtension(dp) != 0 && C.onair_x_local(dp) != 0:
		segs, stride, err := newShmPool(dp, g.screen, rect.Dx(), rect.Dy(), log)
		if err == nil {
			g.segs, g.stride = segs, stride
		} else {
			log.Warn("no shared memory with the X server: grabbing over the socket, which costs more", "err", err)
		}
	default:
		log.Info("the X server has no MIT-SHM or is remote: grabbing over the socket, which costs more")
	}
	if g.segs == nil {
		g.pool = newFramePool(g.stride*rect.Dy(), framePoolSize)
	}
	return g
}

// shm reports whether the server grabs into shared memory.
func (g *xgrab) shm() bool { return g.segs != nil }

// grab takes frame seq: nil (and no error) when every buffer is held.
func (g *xgrab) grab(clock media.Clock, seq int64) (*media.VideoFrame, error) {
	w, h := g.rect.Dx(), g.rect.Dy()
	if C.onair_x_dead(g.dp) != 0 { // lost while drawing the pointer last time
		return nil, errLostX
	}
	C.onair_x_root_size(g.dp, g.root, &g.rootW, &g.rootH)
	if C.onair_x_dead(g.dp) != 0 {
		return nil, errLostX
	}
	if int(g.rootW) < g.rect.Max.X || int(g.rootH) < g.rect.Max.Y {
		return nil, fmt.Errorf("capture: the screen was resized to %dx%d: the region %dx%d at %d,%d no longer fits",
			int(g.rootW), int(g.rootH), w, h, g.rect.Min.X, g.rect.Min.Y)
	}
	f := &media.VideoFrame{
		Seq:     seq,
		Width:   w,
		Height:  h,
		Format:  media.PixelFormatBGRA,
		Strides: [3]int{g.stride},
	}
	x, y := C.int(g.rect.Min.X), C.int(g.rect.Min.Y)
	var t0, t1 time.Time
	if segs := g.segs; segs != nil {
		seg := segs.get()
		if seg == nil {
			return nil, nil
		}
		t0 = time.Now()
		ok := C.onair_seg_grab(g.dp, g.root, seg, x, y) != 0
		t1 = time.Now()
		if !ok {
			segs.put(seg)
			return nil, errLostX
		}
		f.Planes[0] = unsafe.Slice((*byte)(unsafe.Pointer(seg.img.data)), g.stride*h)
		f.SetRelease(func() { segs.put(seg) })
	} else {
		buf := g.pool.get()
		t0 = time.Now()
		ok := C.onair_x_get(g.dp, g.root, x, y, C.int(w), C.int(h), (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(g.stride)) != 0
		t1 = time.Now()
		if !ok {
			g.pool.put(buf)
			return nil, errLostX
		}
		pool := g.pool
		f.Planes[0] = buf
		f.SetRelease(func() { pool.put(buf) })
	}
	f.PTS = t0.Add(t1.Sub(t0) / 2).Sub(clock.Start())
	if g.cursor {
		g.drawPointer(f.Planes[0])
	}
	return f, nil
}

// drawPointer draws the mouse pointer into buf, a grab of the region, when
// it is on this screen. No request is made once the connection is lost:
// one could wait for ever (see onair_x_dead).
func (g *xgrab) drawPointer(buf []byte) {
	alive := func() bool { return C.onair_x_dead(g.dp) == 0 }
	if !alive() || (g.screens > 1 && (!pointerHere(g.dp, g.root) || !alive())) {
		return
	}
	drawCursor(g.dp, g.rect.Min.X, g.rect.Min.Y, g.rect.Dx(), g.rect.Dy(), buf, g.stride)
}

// errLostX is the grab's error once the X server has gone.
var errLostX = errors.New("capture: lost the connection to the X server")

// close frees the idle shared images and disconnects; the images frames
// still hold are freed when those are released.
func (g *xgrab) close() {
	if g.segs != nil {
		g.segs.close(C.onair_x_dead(g.dp) != 0)
	}
	C.onair_x_close(g.dp)
	g.dp = nil
}
