// The Screen source's X11 calls (screen_x11.c): connections that survive
// the X server going away, the screen's pixel layout, and grabs into
// MIT-SHM shared images or over the socket. Every function runs on a
// connection one goroutine uses at a time (see xgrab).
#ifndef ONAIR_SCREEN_X11_H
#define ONAIR_SCREEN_X11_H

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

// onair_x_screen is what a screen's pixels look like.
typedef struct {
	int width, height, depth, bpp, lsb_first;
	unsigned long red, green, blue;
} onair_x_screen;

// onair_seg is one shared-memory image the server grabs into.
typedef struct {
	XShmSegmentInfo info;
	XImage *img;
} onair_seg;

Display *onair_x_open(const char *name);
void onair_x_close(Display *dp);
int onair_x_dead(Display *dp);
int onair_x_local(Display *dp);
void onair_x_screen_info(Display *dp, int screen, onair_x_screen *s);
void onair_x_root_size(Display *dp, Window root, int *w, int *h);
int onair_x_get(Display *dp, Window root, int x, int y, int w, int h, unsigned char *dst, int dstride);

int onair_seg_new(Display *dp, int screen, int w, int h, onair_seg **out);
int onair_seg_grab(Display *dp, Window root, onair_seg *s, int x, int y);
void onair_seg_free(Display *dp, onair_seg *s);

#endif
