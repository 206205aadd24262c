package capture

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>

static unsigned char *onair_file_plane(AVFrame *f, int i) { return f->data[i]; }
static int onair_file_linesize(AVFrame *f, int i) { return f->linesize[i]; }
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// The File source's small piece of cgo, for what go-astiav v0.16.0 lacks:
// viewing a decoded frame's planes in place (it only copies them out, with
// padding rules of its own); adapted from package player (avframe.go),
// which capture does not import. Its resampling is package swr's.

// filePlane is plane i of f as a byte slice of rows*linesize bytes, and
// the linesize; nil when the plane is absent. The view is valid until f
// is unreferenced: callers copy out of it at once.
func filePlane(f *astiav.Frame, i, rows int) ([]byte, int) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	p := C.onair_file_plane(cf, C.int(i))
	ls := int(C.onair_file_linesize(cf, C.int(i)))
	if p == nil || ls <= 0 || rows <= 0 {
		return nil, 0
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), ls*rows), ls
}

// copyYUV420 copies the three planes of a yuv420p frame f of w x h pixels
// into buf, tightly packed (strides w, (w+1)/2, (w+1)/2). buf must hold
// yuv420Size(w, h) bytes. It reports false when a plane is missing or
// shorter than the size says.
func copyYUV420(buf []byte, f *astiav.Frame, w, h int) bool {
	cw, ch := (w+1)/2, (h+1)/2
	dst := buf
	for i, pw, ph := 0, w, h; i < 3; i++ {
		if i == 1 {
			pw, ph = cw, ch
		}
		src, ls := filePlane(f, i, ph)
		if src == nil || ls < pw {
			return false
		}
		for y := 0; y < ph; y++ {
			copy(dst[y*pw:(y+1)*pw], src[y*ls:y*ls+pw])
		}
		dst = dst[pw*ph:]
	}
	return true
}

// yuv420Size is the number of bytes of a tightly packed yuv420p picture.
func yuv420Size(w, h int) int { return w*h + 2*((w+1)/2)*((h+1)/2) }
