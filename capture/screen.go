package capture

// #cgo pkg-config: x11 xext
// #include <stdlib.h>
// #include "screen_x11.h"
import "C"

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"onair/internal/logx"
	"onair/internal/media"
)

// ScreenConfig configures a Screen.
type ScreenConfig struct {
	// Display is the X11 display, as in $DISPLAY (":0", ":99.0"). Default:
	// $DISPLAY, read by NewScreen.
	Display string
	// Screen is the X screen of the display to capture (the N of ":0.N"),
	// counted from 0. Default 0.
	Screen int
	// Region is the part of the screen to capture, in the screen's pixel
	// coordinates; it must lie inside the screen and have an even width
	// and height. Default (the zero rectangle): the whole screen.
	Region image.Rectangle
	// FPS is the capture rate, 1..240; fractional rates such as 29.97 are
	// allowed. Default 30.
	FPS float64
	// HideCursor leaves the mouse pointer out of the picture. Default: the
	// pointer is drawn where it is, as OBS and ffmpeg's x11grab do, when
	// the X server has the XFixes extension (every desktop server does).
	HideCursor bool
	// Clock is the stream clock on which frames are stamped. Default: a
	// clock started by NewScreen.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// Screen captures (part of) a screen of an X11 display: frames in
// media.PixelFormatBGRA (bytes B, G, R and one unused, as the X server
// keeps a 24-bit screen), paced at Config.FPS on the monotonic clock like
// TestVideo: slot n is due at start + n/FPS, and when the source falls
// behind it skips the slots already past, counted by Skipped.
//
// The X server copies the region straight into shared memory (MIT-SHM)
// that the frame's plane then points at: no copy is made on our side. Each
// frame's PTS is the middle of that grab (one round trip to the server) on
// Config.Clock. The mouse pointer is then drawn in, unless
// Config.HideCursor. Without MIT-SHM (a remote display, or a server that cannot
// see our memory) the picture comes over the socket and is copied once.
//
// Frame buffers are pooled (at most maxScreenSegments shared images): the
// consumer must call Release on each frame, and may do so after Close.
type Screen struct {
	cfg ScreenConfig
	log *slog.Logger
	g   *xgrab

	run       runner
	skipped   atomic.Int64
	frames    atomic.Int64
	closeOnce sync.Once
	stopped   stopErr
}

// NewScreen connects to the X server, checks cfg against the screen and
// prepares the first shared image. Errors: ErrNoDevice when there is no
// X11 display (DISPLAY not set, or it cannot be opened) or no such screen;
// ErrInvalidConfig when the region or rate is out of range.
func NewScreen(cfg ScreenConfig) (*Screen, error) { return newScreen(cfg, true) }

// newScreen is NewScreen; without allowShm it grabs over the socket, as
// with a remote display (for tests of that path).
func newScreen(cfg ScreenConfig, allowShm bool) (*Screen, error) {
	if cfg.FPS == 0 {
		cfg.FPS = 30
	}
	if !(cfg.FPS >= MinTestVideoFPS && cfg.FPS <= MaxTestVideoFPS) {
		return nil, fmt.Errorf("%w: screen frame rate (%g) must be in %g..%g",
			ErrInvalidConfig, cfg.FPS, MinTestVideoFPS, MaxTestVideoFPS)
	}
	r := cfg.Region
	if r != (image.Rectangle{}) && (r.Min.X < 0 || r.Min.Y < 0 || r.Dx() <= 0 || r.Dy() <= 0 || r.Dx()%2 != 0 || r.Dy()%2 != 0) {
		return nil, fmt.Errorf("%w: screen region %dx%d at %d,%d: want an even width and height, more than 0, at X and Y from 0",
			ErrInvalidConfig, r.Dx(), r.Dy(), r.Min.X, r.Min.Y)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	if cfg.Display == "" {
		cfg.Display = os.Getenv("DISPLAY")
	}
	dp, problem := openDisplay(cfg.Display)
	if dp == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, problem)
	}
	n := int(C.XScreenCount(dp))
	if cfg.Screen < 0 || cfg.Screen >= n {
		C.onair_x_close(dp)
		return nil, fmt.Errorf("%w: no screen %d on X11 display %s: it has %s", ErrNoDevice, cfg.Screen, cfg.Display, screenCount(n))
	}
	var info C.onair_x_screen
	C.onair_x_screen_info(dp, C.int(cfg.Screen), &info)
	if !(info.depth == 24 || info.depth == 32) || info.bpp != 32 || info.lsb_first == 0 ||
		info.red != 0xff0000 || info.green != 0xff00 || info.blue != 0xff {
		C.onair_x_close(dp)
		return nil, fmt.Errorf("capture: screen %d of %s has %d-bit pixels of depth %d (masks r %#x g %#x b %#x): only 24-bit colour in 32-bit BGRX pixels can be captured",
			cfg.Screen, cfg.Display, info.bpp, info.depth, uint64(info.red), uint64(info.green), uint64(info.blue))
	}
	whole := image.Rect(0, 0, int(info.width), int(info.height))
	if cfg.Region == (image.Rectangle{}) {
		cfg.Region = image.Rect(0, 0, whole.Dx()&^1, whole.Dy()&^1)
	} else if !cfg.Region.In(whole) {
		C.onair_x_close(dp)
		return nil, fmt.Errorf("%w: screen region %dx%d at %d,%d does not fit in screen %d of %s (%dx%d)",
			ErrInvalidConfig, r.Dx(), r.Dy(), r.Min.X, r.Min.Y, cfg.Screen, cfg.Display, whole.Dx(), whole.Dy())
	}
	log := cfg.Logger.With("source", "screen", "display", cfg.Display, "screen", cfg.Screen)
	g := newXGrab(dp, cfg.Screen, cfg.Region, whole, allowShm, log)
	if !cfg.HideCursor {
		if g.cursor = cursorSupported(dp); !g.cursor {
			log.Info("the X server has no XFixes extension: the mouse pointer is not drawn")
		}
	}
	return &Screen{cfg: cfg, log: log, g: g}, nil
}

// openDisplay opens the named X display, or says in words why it cannot.
func openDisplay(name string) (dp *C.Display, problem string) {
	if name == "" {
		return nil, "no X11 display: DISPLAY is not set"
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if dp = C.onair_x_open(cname); dp == nil {
		return nil, fmt.Sprintf("cannot open X11 display %q (is an X server running there, and may we connect?)", name)
	}
	return dp, ""
}

func screenCount(n int) string {
	if n == 1 {
		return "1 screen (0)"
	}
	return fmt.Sprintf("%d screens (0 to %d)", n, n-1)
}

// Config is the configuration in use, defaults filled in (Region is the
// whole screen when none was given).
func (s *Screen) Config() ScreenConfig { return s.cfg }

// SharedMemory reports whether the X server grabs into shared memory (the
// fast path) rather than sending each picture over the socket.
func (s *Screen) SharedMemory() bool { return s.g.shm() }

// Start launches the source's goroutine, which grabs a frame at each slot
// until Close and calls out with it. out is called from that goroutine and
// must not block; the frame then belongs to the callee, who must Release
// it. Start returns ErrStarted when called twice and ErrClosed after Close.
func (s *Screen) Start(out func(*media.VideoFrame)) error {
	return startLoop(&s.run, "screen", out, s.loop)
}

// Close stops the source, returns once its goroutine has ended and
// disconnects from the X server. No frame is delivered after it returns;
// frames still held stay valid until they are released. It is safe to
// call more than once, and without Start.
func (s *Screen) Close() error {
	s.closeOnce.Do(func() {
		s.run.stop()
		s.g.close()
	})
	return nil
}

// Skipped is the number of frame slots skipped, because the source had
// fallen behind or the consumers held all the frame buffers.
func (s *Screen) Skipped() int64 { return s.skipped.Load() }

// Frames is the number of frames delivered so far.
func (s *Screen) Frames() int64 { return s.frames.Load() }

// Err says why the source stopped grabbing before Close (the connection to
// the X server was lost, or the screen shrank below the region); nil while
// it runs.
func (s *Screen) Err() error {
	return s.stopped.get()
}

func (s *Screen) loop(ctx context.Context, out func(*media.VideoFrame)) {
	// Every X call of the source runs on this one OS thread. When the
	// server goes away, Xlib's I/O error path takes the display's user lock
	// for the thread it runs on and never gives it back; a later call from
	// another thread would wait on that lock for ever.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newPacer(time.Now(), float64(time.Second)/s.cfg.FPS)
	defer p.stop()
	r := s.cfg.Region
	s.log.Debug("started", "region", fmt.Sprintf("%dx%d+%d+%d", r.Dx(), r.Dy(), r.Min.X, r.Min.Y),
		"fps", s.cfg.FPS, "shm", s.g.shm())
	loss := lossLog{key: "skipped"}
	for seq := int64(0); ; {
		_, skipped, _, ok := p.wait(ctx)
		if !ok {
			s.log.Debug("stopped", "frames", seq, "skipped", s.skipped.Load())
			return
		}
		f, err := s.g.grab(s.cfg.Clock, seq)
		if err != nil {
			s.stopped.set(err)
			s.log.Error("screen capture stopped", "err", err)
			return
		}
		if f == nil {
			skipped++ // every buffer is held downstream
		}
		if skipped > 0 {
			loss.note(s.log, "falling behind, skipped frames", skipped, s.skipped.Add(skipped))
		}
		if f == nil {
			continue
		}
		out(f)
		s.frames.Add(1)
		seq++
	}
}
