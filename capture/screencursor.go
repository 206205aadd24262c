package capture

/*
#cgo pkg-config: x11 xfixes
#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>

// onair_cursor_ok tells whether the server can give the pointer's image
// (XFixes 1 or later).
static int onair_cursor_ok(Display *dp) {
	int ev, err, major = 0, minor = 0;
	if (!XFixesQueryExtension(dp, &ev, &err)) return 0;
	if (!XFixesQueryVersion(dp, &major, &minor)) return 0;
	return major >= 1;
}

// onair_pointer_here tells whether the pointer is on root's screen.
static int onair_pointer_here(Display *dp, Window root) {
	Window r, child;
	int x, y, wx, wy;
	unsigned int mask;
	return XQueryPointer(dp, root, &r, &child, &x, &y, &wx, &wy, &mask);
}

// onair_cursor_draw blends the pointer's image, where it overlaps the w×h
// region whose top-left is at rx,ry on the screen, into dst (32-bit BGRX
// rows of stride bytes). The image is premultiplied ARGB, one pixel in each
// unsigned long. It returns 0 when the server gave no image.
static int onair_cursor_draw(Display *dp, int rx, int ry, int w, int h, unsigned char *dst, int stride) {
	XFixesCursorImage *c = XFixesGetCursorImage(dp);
	if (!c) return 0;
	int x0 = c->x - c->xhot - rx, y0 = c->y - c->yhot - ry;
	for (int j = 0; j < c->height; j++) {
		int y = y0 + j;
		if (y < 0 || y >= h) continue;
		unsigned char *row = dst + (size_t)y * stride;
		for (int i = 0; i < c->width; i++) {
			int x = x0 + i;
			if (x < 0 || x >= w) continue;
			unsigned long p = c->pixels[(size_t)j * c->width + i];
			unsigned a = (p >> 24) & 0xff;
			if (!a) continue;
			unsigned char *d = row + (size_t)x * 4;
			unsigned s[3] = { p & 0xff, (p >> 8) & 0xff, (p >> 16) & 0xff }; // B, G, R
			for (int k = 0; k < 3; k++) {
				unsigned v = s[k] + (d[k] * (255 - a) + 127) / 255;
				d[k] = v > 255 ? 255 : v;
			}
		}
	}
	XFree(c);
	return 1;
}
*/
import "C"

import "unsafe"

// cursorSupported tells whether dp's server can give the pointer's image.
func cursorSupported(dp *C.Display) bool { return C.onair_cursor_ok(dp) != 0 }

// pointerHere tells whether the mouse pointer is on root's screen (the
// pointer's image says nothing of its screen). One round trip.
func pointerHere(dp *C.Display, root C.Window) bool { return C.onair_pointer_here(dp, root) != 0 }

// drawCursor blends the mouse pointer into buf, a BGRX picture of the
// region rx,ry,w,h of the pointer's screen with stride bytes per row (the
// server's pointer position and image, as ffmpeg's x11grab draws it). One
// round trip.
func drawCursor(dp *C.Display, rx, ry, w, h int, buf []byte, stride int) bool {
	if len(buf) < stride*h || w <= 0 || h <= 0 {
		return false
	}
	return C.onair_cursor_draw(dp, C.int(rx), C.int(ry), C.int(w), C.int(h), (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(stride)) != 0
}
