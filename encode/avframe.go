package encode

/*
#cgo pkg-config: libavutil
#include <string.h>
#include <libavutil/frame.h>

static int onair_make_writable(AVFrame *f) { return av_frame_make_writable(f); }

static void onair_copy_floats(AVFrame *f, int i, const float *src, int n) {
	memcpy(f->data[i], src, (size_t)n * sizeof(float));
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"

	"onair/internal/avplane"
	"onair/internal/media"
)

// go-astiav v0.16.0 can read frame planes but cannot write them, so the two
// copies into FFmpeg-owned frames live here, in one small tested place: the
// video planes through package avplane's views, the audio planes (whose
// size only linesize[0] gives) in C.

// planeGeometry gives the bytes per row and the rows of plane i.
func planeGeometry(f *media.VideoFrame, i int) (rowBytes, rows int, ok bool) {
	switch f.Format {
	case media.PixelFormatYUV420P:
		switch i {
		case 0:
			return f.Width, f.Height, true
		case 1, 2:
			return (f.Width + 1) / 2, (f.Height + 1) / 2, true
		}
	case media.PixelFormatRGBA, media.PixelFormatBGRA:
		if i == 0 {
			return f.Width * 4, f.Height, true
		}
	}
	return 0, 0, false
}

// copyVideoIn copies src's planes into dst, which must be allocated with the
// same size and format and be writable.
func copyVideoIn(dst *astiav.Frame, src *media.VideoFrame) error {
	if err := checkPlanes(src); err != nil {
		return err
	}
	if err := makeWritable(dst); err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		n, rows, ok := planeGeometry(src, i)
		if !ok {
			break
		}
		d, ls := avplane.View(dst, i, rows)
		if ls < n {
			return fmt.Errorf("frame plane %d linesize %d < %d", i, ls, n)
		}
		s, ss := src.Planes[i], src.Strides[i]
		for y := 0; y < rows; y++ {
			copy(d[y*ls:y*ls+n], s[y*ss:y*ss+n])
		}
	}
	return nil
}

// makeWritable makes sure no encoder still holds a reference to f's buffers
// (av_frame_make_writable), copying them when one does.
func makeWritable(f *astiav.Frame) error {
	if ret := C.onair_make_writable((*C.AVFrame)(f.UnsafePointer())); ret < 0 {
		return fmt.Errorf("making frame writable: %w", astiav.Error(ret))
	}
	return nil
}

// copyPlanarFloats copies samples into data plane ch of a float frame: one
// channel of an FLTP frame, or (ch 0) all of an interleaved FLT one.
func copyPlanarFloats(dst *astiav.Frame, ch int, samples []float32) {
	if len(samples) == 0 {
		return
	}
	cf := (*C.AVFrame)(dst.UnsafePointer())
	C.onair_copy_floats(cf, C.int(ch), (*C.float)(unsafe.Pointer(&samples[0])), C.int(len(samples)))
}
