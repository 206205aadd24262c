package capture

/*
#cgo pkg-config: x11 xext
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

// A lost connection (the X server went away) calls the process-wide I/O
// error handler, then the display's exit handler; Xlib's defaults of both
// end the process. For our connections both return instead: the display
// is then marked dead, every later request on it fails, and the grab says
// so. Other connections (the window's) still get the previous handler.
typedef struct onair_dp { Display *dp; int dead; struct onair_dp *next; } onair_dp;
static pthread_mutex_t onair_io_mu = PTHREAD_MUTEX_INITIALIZER;
static onair_dp *onair_io_ours;
static XIOErrorHandler onair_io_prev;
static int onair_io_installed;

static int onair_io_handler(Display *dp) {
	int ours = 0;
	pthread_mutex_lock(&onair_io_mu);
	for (onair_dp *o = onair_io_ours; o; o = o->next) ours |= o->dp == dp;
	XIOErrorHandler prev = onair_io_prev;
	pthread_mutex_unlock(&onair_io_mu);
	if (ours) return 0;
	return prev ? prev(dp) : 0;
}

static void onair_x_io_exit(Display *dp, void *data) {
	(void)dp;
	__atomic_store_n(&((onair_dp *)data)->dead, 1, __ATOMIC_SEQ_CST);
}

// onair_x_dead tells whether our connection dp was lost: then no request
// may be made on it (some would wait for ever), only XCloseDisplay.
static int onair_x_dead(Display *dp) {
	int dead = 0;
	pthread_mutex_lock(&onair_io_mu);
	for (onair_dp *o = onair_io_ours; o; o = o->next) {
		if (o->dp == dp) dead = __atomic_load_n(&o->dead, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&onair_io_mu);
	return dead;
}

static Display *onair_x_open(const char *name) {
	Display *dp = XOpenDisplay(name);
	if (!dp) return NULL;
	onair_dp *o = malloc(sizeof *o);
	if (!o) { XCloseDisplay(dp); return NULL; }
	o->dp = dp;
	o->dead = 0;
	XSetIOErrorExitHandler(dp, onair_x_io_exit, o);
	pthread_mutex_lock(&onair_io_mu);
	o->next = onair_io_ours;
	onair_io_ours = o;
	if (!onair_io_installed) {
		onair_io_prev = XSetIOErrorHandler(onair_io_handler);
		onair_io_installed = 1;
	}
	pthread_mutex_unlock(&onair_io_mu);
	return dp;
}

// onair_x_close disconnects. A lost connection is not closed with
// XCloseDisplay, which can wait for ever on the dead display's lock (the
// threaded Xlib does not support going on after an I/O error); its socket
// is closed and the Display's few kilobytes are left behind.
// onair_x_hungup tells whether the server closed the connection (it
// died) before any request of ours met the I/O error: XCloseDisplay would
// meet it then, and hang the same way.
static int onair_x_hungup(Display *dp) {
	struct pollfd p = { .fd = ConnectionNumber(dp), .events = POLLIN };
	if (poll(&p, 1, 0) <= 0) return 0;
	if (p.revents & (POLLHUP | POLLERR)) return 1;
	char c;
	return recv(p.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void onair_x_close(Display *dp) {
	if (onair_x_dead(dp) || onair_x_hungup(dp)) close(ConnectionNumber(dp));
	else XCloseDisplay(dp);
	pthread_mutex_lock(&onair_io_mu);
	for (onair_dp **p = &onair_io_ours; *p; p = &(*p)->next) {
		if ((*p)->dp == dp) {
			onair_dp *o = *p;
			*p = o->next;
			free(o);
			break;
		}
	}
	pthread_mutex_unlock(&onair_io_mu);
}

// onair_x_local tells whether the connection is a local (Unix) socket: only
// then can the server see our shared memory.
static int onair_x_local(Display *dp) {
	struct sockaddr_storage sa;
	socklen_t n = sizeof sa;
	if (getsockname(ConnectionNumber(dp), (struct sockaddr *)&sa, &n) != 0) return 0;
	return sa.ss_family == AF_UNIX;
}

typedef struct {
	int width, height, depth, bpp, lsb_first;
	unsigned long red, green, blue;
} onair_x_screen;

static void onair_x_screen_info(Display *dp, int screen, onair_x_screen *s) {
	Visual *v = DefaultVisual(dp, screen);
	s->width = DisplayWidth(dp, screen);
	s->height = DisplayHeight(dp, screen);
	s->depth = DefaultDepth(dp, screen);
	s->red = v->red_mask;
	s->green = v->green_mask;
	s->blue = v->blue_mask;
	s->lsb_first = ImageByteOrder(dp) == LSBFirst;
	s->bpp = 0;
	int n = 0;
	XPixmapFormatValues *f = XListPixmapFormats(dp, &n);
	for (int i = 0; f && i < n; i++) {
		if (f[i].depth == s->depth) s->bpp = f[i].bits_per_pixel;
	}
	if (f) XFree(f);
}

// X protocol errors go to one handler for the whole process, and Xlib's
// default one ends the process. Attaching shared memory is the one request
// expected to fail (a server in another IPC namespace cannot see it), so
// for that request alone a handler that keeps the error code for our
// display is installed, and the previous handler gets everyone else's.
static pthread_mutex_t onair_trap_mu = PTHREAD_MUTEX_INITIALIZER;
static Display *onair_trap_dp;
static int onair_trap_code;
static XErrorHandler onair_trap_prev;

static int onair_trap_handler(Display *dp, XErrorEvent *e) {
	if (dp == onair_trap_dp) {
		if (!onair_trap_code) onair_trap_code = e->error_code;
		return 0;
	}
	return onair_trap_prev ? onair_trap_prev(dp, e) : 0;
}

// onair_seg is one shared-memory image the server grabs into.
typedef struct {
	XShmSegmentInfo info;
	XImage *img;
} onair_seg;

// onair_seg_free unmaps and frees s; with dp set it first tells the server
// to detach (dp NULL: the connection is closed, the server detached).
static void onair_seg_free(Display *dp, onair_seg *s) {
	if (dp) XShmDetach(dp, &s->info);
	s->img->data = NULL;
	XDestroyImage(s->img);
	shmdt(s->info.shmaddr);
	free(s);
}

// onair_seg_new makes a w×h shared image for screen. It returns 0, or an
// errno (shmget, shmat), or minus the X error code of the attach, or -1000
// when Xlib could not make the image.
static int onair_seg_new(Display *dp, int screen, int w, int h, onair_seg **out) {
	onair_seg *s = calloc(1, sizeof *s);
	if (!s) return ENOMEM;
	s->img = XShmCreateImage(dp, DefaultVisual(dp, screen), DefaultDepth(dp, screen), ZPixmap, NULL, &s->info, w, h);
	if (!s->img) { free(s); return -1000; }
	s->info.shmid = shmget(IPC_PRIVATE, (size_t)s->img->bytes_per_line * h, IPC_CREAT | 0600);
	if (s->info.shmid < 0) { int e = errno; XDestroyImage(s->img); free(s); return e; }
	s->info.shmaddr = shmat(s->info.shmid, NULL, 0);
	if (s->info.shmaddr == (char *)-1) {
		int e = errno;
		shmctl(s->info.shmid, IPC_RMID, NULL);
		XDestroyImage(s->img);
		free(s);
		return e;
	}
	s->img->data = s->info.shmaddr;
	s->info.readOnly = False;

	pthread_mutex_lock(&onair_trap_mu);
	XSync(dp, False);
	onair_trap_dp = dp;
	onair_trap_code = 0;
	onair_trap_prev = XSetErrorHandler(onair_trap_handler);
	XShmAttach(dp, &s->info);
	XSync(dp, False);
	XSetErrorHandler(onair_trap_prev);
	int code = onair_trap_code;
	onair_trap_dp = NULL;
	pthread_mutex_unlock(&onair_trap_mu);

	// Marked for removal now: the kernel frees it once we and the server
	// have both let go, even if the process dies.
	shmctl(s->info.shmid, IPC_RMID, NULL);
	if (code) { onair_seg_free(NULL, s); return -code; }
	*out = s;
	return 0;
}

static int onair_seg_grab(Display *dp, Window root, onair_seg *s, int x, int y) {
	return XShmGetImage(dp, root, s->img, x, y, AllPlanes);
}

// onair_x_get grabs without shared memory: the picture comes over the
// socket, and its rows are copied into dst. 0 when the server did not answer.
static int onair_x_get(Display *dp, Window root, int x, int y, int w, int h, unsigned char *dst, int dstride) {
	XImage *img = XGetImage(dp, root, x, y, w, h, AllPlanes, ZPixmap);
	if (!img) return 0;
	for (int r = 0; r < h; r++) {
		memcpy(dst + (size_t)r * dstride, img->data + (size_t)r * img->bytes_per_line, (size_t)w * 4);
	}
	XDestroyImage(img);
	return 1;
}

// onair_x_root_size takes the root window's ConfigureNotify events queued
// so far (the screen was resized) and gives its newest size.
static void onair_x_root_size(Display *dp, Window root, int *w, int *h) {
	XEvent ev;
	while (XCheckWindowEvent(dp, root, StructureNotifyMask, &ev)) {
		if (ev.type == ConfigureNotify) {
			*w = ev.xconfigure.width;
			*h = ev.xconfigure.height;
		}
	}
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"onair/internal/media"
)

// maxScreenSegments bounds the shared-memory images a Screen keeps (each
// the size of one frame): enough for the frames queued to the encoder,
// the one it works on and the one being grabbed. When consumers hold all
// of them, the slot is skipped.
const maxScreenSegments = 8

// maxXCoord is the largest X11 coordinate (16-bit signed).
const maxXCoord = 32767

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

// ParseScreenSpec reads what follows "screen" in a source spec: "" (the
// whole of screen 0), ":N" (the whole of screen N), "+X,Y,W,H" (the W×H
// pixels of screen 0 whose top-left corner is at X,Y) or ":N+X,Y,W,H". It
// returns a ScreenConfig with Screen and Region set; errors wrap
// ErrInvalidConfig and say what is wrong. Whether the region fits the
// screen is for NewScreen to check.
func ParseScreenSpec(s string) (ScreenConfig, error) {
	var cfg ScreenConfig
	bad := func(format string, args ...any) (ScreenConfig, error) {
		return ScreenConfig{}, fmt.Errorf("%w: screen%s: %s", ErrInvalidConfig, s, fmt.Sprintf(format, args...))
	}
	rest := s
	if strings.HasPrefix(rest, ":") {
		num, _, _ := strings.Cut(rest[1:], "+")
		n, ok := parseCoord(num)
		if !ok {
			return bad("the screen number after the colon must be a whole number from 0 (as in screen:1), not %q", num)
		}
		cfg.Screen = n
		rest = rest[1+len(num):]
	}
	if rest == "" {
		return cfg, nil
	}
	if !strings.HasPrefix(rest, "+") {
		return bad("want :N for a screen number and +X,Y,W,H for a region (as in screen:0+0,0,1280,720), not %q", rest)
	}
	f := strings.Split(rest[1:], ",")
	if len(f) != 4 {
		return bad("a region is four numbers, +X,Y,W,H (left, top, width, height), not %d", len(f))
	}
	var v [4]int
	for i, name := range []string{"X", "Y", "width", "height"} {
		n, ok := parseCoord(f[i])
		if !ok {
			return bad("the region's %s must be a whole number from 0 to %d, not %q", name, maxXCoord, f[i])
		}
		v[i] = n
	}
	if v[2] == 0 || v[3] == 0 || v[2]%2 != 0 || v[3]%2 != 0 {
		return bad("the region's width and height must be even and more than 0, not %dx%d", v[2], v[3])
	}
	if v[0]+v[2] > maxXCoord+1 || v[1]+v[3] > maxXCoord+1 {
		return bad("the region %dx%d at %d,%d goes past X11's largest coordinate, %d", v[2], v[3], v[0], v[1], maxXCoord)
	}
	cfg.Region = image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])
	return cfg, nil
}

// parseCoord reads a decimal number 0..maxXCoord written with digits only.
func parseCoord(s string) (int, bool) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n <= maxXCoord
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
	errMu     sync.Mutex
	err       error
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
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
func (s *Screen) SharedMemory() bool { return s.g.shm }

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
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *Screen) loop(ctx context.Context, out func(*media.VideoFrame)) {
	p := newPacer(time.Now(), float64(time.Second)/s.cfg.FPS)
	defer p.stop()
	r := s.cfg.Region
	s.log.Debug("started", "region", fmt.Sprintf("%dx%d+%d+%d", r.Dx(), r.Dy(), r.Min.X, r.Min.Y),
		"fps", s.cfg.FPS, "shm", s.g.shm)
	var lastWarn time.Time
	var skippedSinceWarn int64
	for seq := int64(0); ; {
		_, skipped, now, ok := p.wait(ctx)
		if !ok {
			s.log.Debug("stopped", "frames", seq, "skipped", s.skipped.Load())
			return
		}
		f, err := s.g.grab(s.cfg.Clock, seq)
		if err != nil {
			s.errMu.Lock()
			s.err = err
			s.errMu.Unlock()
			s.log.Error("screen capture stopped", "err", err)
			return
		}
		if f == nil {
			skipped++ // every buffer is held downstream
		}
		if skipped > 0 {
			s.skipped.Add(skipped)
			skippedSinceWarn += skipped
			if now.Sub(lastWarn) >= 5*time.Second {
				s.log.Warn("falling behind, skipped frames", "skipped", skippedSinceWarn, "total", s.skipped.Load())
				lastWarn, skippedSinceWarn = now, 0
			}
		}
		if f == nil {
			continue
		}
		out(f)
		s.frames.Add(1)
		seq++
	}
}

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
	shm     bool
	cursor  bool // draw the mouse pointer
	screens int  // the display's screen count
	stride  int
	pool    *framePool // buffers of the XGetImage path
	log     *slog.Logger

	mu     sync.Mutex
	free   []*C.onair_seg
	total  int
	limit  int // maxScreenSegments, or fewer once the system refused one
	closed bool
}

func newXGrab(dp *C.Display, screen int, rect, whole image.Rectangle, allowShm bool, log *slog.Logger) *xgrab {
	g := &xgrab{
		limit:   maxScreenSegments,
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
		seg, err := g.newSeg()
		if err == nil {
			g.shm = true
			g.stride = int(seg.img.bytes_per_line)
			g.free = append(g.free, seg)
			g.total = 1
		} else {
			log.Warn("no shared memory with the X server: grabbing over the socket, which costs more", "err", err)
		}
	default:
		log.Info("the X server has no MIT-SHM or is remote: grabbing over the socket, which costs more")
	}
	if !g.shm {
		g.pool = newFramePool(g.stride*rect.Dy(), framePoolSize)
	}
	return g
}

func (g *xgrab) newSeg() (*C.onair_seg, error) {
	var seg *C.onair_seg
	switch rc := C.onair_seg_new(g.dp, g.screen, C.int(g.rect.Dx()), C.int(g.rect.Dy()), &seg); {
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
func (g *xgrab) get() *C.onair_seg {
	g.mu.Lock()
	if n := len(g.free); n > 0 {
		seg := g.free[n-1]
		g.free = g.free[:n-1]
		g.mu.Unlock()
		return seg
	}
	if g.total >= g.limit {
		g.mu.Unlock()
		return nil
	}
	g.total++
	g.mu.Unlock()
	seg, err := g.newSeg()
	if err != nil {
		g.mu.Lock()
		g.total--
		g.limit = g.total
		g.mu.Unlock()
		g.log.Warn("cannot make another shared image: going on with fewer", "images", g.total, "err", err)
	}
	return seg
}

// put takes back a released shared image.
func (g *xgrab) put(seg *C.onair_seg) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		// The connection is closed (or closing, with the free list
		// already emptied): the server has let go or will at disconnect.
		C.onair_seg_free(nil, seg)
		return
	}
	g.free = append(g.free, seg)
}

// grab takes frame seq: nil (and no error) when every buffer is held.
func (g *xgrab) grab(clock media.Clock, seq int64) (*media.VideoFrame, error) {
	w, h := g.rect.Dx(), g.rect.Dy()
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
	if g.shm {
		seg := g.get()
		if seg == nil {
			return nil, nil
		}
		t0 = time.Now()
		ok := C.onair_seg_grab(g.dp, g.root, seg, x, y) != 0
		t1 = time.Now()
		if !ok {
			g.put(seg)
			return nil, errLostX
		}
		f.Planes[0] = unsafe.Slice((*byte)(unsafe.Pointer(seg.img.data)), g.stride*h)
		f.SetRelease(func() { g.put(seg) })
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
	dp := g.dp
	if C.onair_x_dead(g.dp) != 0 {
		dp = nil // the server has gone, and its attachments with it
	}
	g.mu.Lock()
	g.closed = true
	for _, seg := range g.free {
		C.onair_seg_free(dp, seg)
	}
	g.free = nil
	g.mu.Unlock()
	C.onair_x_close(g.dp)
	g.dp = nil
}

// x11Screens lists the screens of the display named by $DISPLAY (or
// name) as Devices, or says why there are none.
func x11Screens(name string) (devs []Device, problem string) {
	if name == "" {
		name = os.Getenv("DISPLAY")
	}
	dp, problem := openDisplay(name)
	if dp == nil {
		return nil, problem
	}
	defer C.onair_x_close(dp)
	n := int(C.XScreenCount(dp))
	for i := 0; i < n; i++ {
		var info C.onair_x_screen
		C.onair_x_screen_info(dp, C.int(i), &info)
		devs = append(devs, Device{
			Kind:    KindScreen,
			ID:      fmt.Sprintf(":%d", i),
			Name:    fmt.Sprintf("screen %d of X11 display %s", i, name),
			Default: i == 0,
			Detail:  fmt.Sprintf("%dx%d", int(info.width), int(info.height)),
		})
	}
	return devs, ""
}
