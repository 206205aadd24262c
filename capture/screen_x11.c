// The Screen source's X11 calls; screen_x11.h says what each is for.
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include "screen_x11.h"

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
int onair_x_dead(Display *dp) {
	int dead = 0;
	pthread_mutex_lock(&onair_io_mu);
	for (onair_dp *o = onair_io_ours; o; o = o->next) {
		if (o->dp == dp) dead = __atomic_load_n(&o->dead, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&onair_io_mu);
	return dead;
}

Display *onair_x_open(const char *name) {
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

void onair_x_close(Display *dp) {
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
int onair_x_local(Display *dp) {
	struct sockaddr_storage sa;
	socklen_t n = sizeof sa;
	if (getsockname(ConnectionNumber(dp), (struct sockaddr *)&sa, &n) != 0) return 0;
	return sa.ss_family == AF_UNIX;
}

void onair_x_screen_info(Display *dp, int screen, onair_x_screen *s) {
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

// onair_seg_free unmaps and frees s; with dp set it first tells the server
// to detach (dp NULL: the connection is closed, the server detached).
void onair_seg_free(Display *dp, onair_seg *s) {
	if (dp) XShmDetach(dp, &s->info);
	s->img->data = NULL;
	XDestroyImage(s->img);
	shmdt(s->info.shmaddr);
	free(s);
}

// onair_seg_new makes a w×h shared image for screen. It returns 0, or an
// errno (shmget, shmat), or minus the X error code of the attach, or -1000
// when Xlib could not make the image.
int onair_seg_new(Display *dp, int screen, int w, int h, onair_seg **out) {
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

int onair_seg_grab(Display *dp, Window root, onair_seg *s, int x, int y) {
	return XShmGetImage(dp, root, s->img, x, y, AllPlanes);
}

// onair_x_get grabs without shared memory: the picture comes over the
// socket, and its rows are copied into dst. 0 when the server did not answer.
int onair_x_get(Display *dp, Window root, int x, int y, int w, int h, unsigned char *dst, int dstride) {
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
void onair_x_root_size(Display *dp, Window root, int *w, int *h) {
	XEvent ev;
	while (XCheckWindowEvent(dp, root, StructureNotifyMask, &ev)) {
		if (ev.type == ConfigureNotify) {
			*w = ev.xconfigure.width;
			*h = ev.xconfigure.height;
		}
	}
}
