// Package avplane views the planes of an FFmpeg frame (AVFrame) in place,
// which go-astiav v0.16.0 cannot do: its FrameData copies planes out, with
// padding rules of its own, and has no way to write them. It is the one
// place in the module that reads AVFrame's data and linesize fields.
//
// A view is a Go slice over memory FFmpeg owns: it is valid only while the
// frame keeps its buffers (until it is unreferenced, freed or made
// writable anew), so callers copy out of it, or into it, at once.
package avplane

/*
#cgo pkg-config: libavutil
#include <libavutil/frame.h>

static unsigned char *onair_plane(AVFrame *f, int i) { return f->data[i]; }
static int onair_linesize(AVFrame *f, int i) { return f->linesize[i]; }
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// MaxPlanes is how many planes an AVFrame has room for
// (AV_NUM_DATA_POINTERS).
const MaxPlanes = C.AV_NUM_DATA_POINTERS

// View is plane i of f as a byte slice of rows*linesize bytes, and the
// linesize; nil and 0 when the plane is absent, i is out of range, or rows
// is not positive. The slice may be read and, on a writable frame, written.
func View(f *astiav.Frame, i, rows int) ([]byte, int) {
	if f == nil || i < 0 || i >= MaxPlanes || rows <= 0 {
		return nil, 0
	}
	cf := (*C.AVFrame)(f.UnsafePointer())
	p := C.onair_plane(cf, C.int(i))
	ls := int(C.onair_linesize(cf, C.int(i)))
	if p == nil || ls <= 0 {
		return nil, 0
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), ls*rows), ls
}
