package encode

/*
#cgo pkg-config: libavutil
#include <string.h>
#include <libavutil/frame.h>

// onair_copy_plane copies h rows of n bytes from src (stride sstride) into
// plane i of f, honouring the frame's linesize.
static void onair_copy_plane(AVFrame *f, int i, const unsigned char *src, int sstride, int n, int h) {
	unsigned char *dst = f->data[i];
	int dstride = f->linesize[i];
	for (int y = 0; y < h; y++) {
		memcpy(dst + (size_t)y * dstride, src + (size_t)y * sstride, n);
	}
}

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

	"onair/internal/media"
)

// go-astiav v0.16.0 can read frame planes but cannot write them, so the two
// copies into FFmpeg-owned frames live here, in one small tested place.

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
	if err := makeWritable(dst); err != nil {
		return err
	}
	cf := (*C.AVFrame)(dst.UnsafePointer())
	for i := 0; i < 3; i++ {
		n, rows, ok := planeGeometry(src, i)
		if !ok {
			break
		}
		if src.Strides[i] < n || len(src.Planes[i]) < (rows-1)*src.Strides[i]+n {
			return fmt.Errorf("plane %d holds %d bytes, stride %d, want %d rows of %d: %w",
				i, len(src.Planes[i]), src.Strides[i], rows, n, ErrInvalidConfig)
		}
		if int(cf.linesize[i]) < n {
			return fmt.Errorf("frame plane %d linesize %d < %d", i, int(cf.linesize[i]), n)
		}
		C.onair_copy_plane(cf, C.int(i), (*C.uchar)(unsafe.Pointer(&src.Planes[i][0])), C.int(src.Strides[i]), C.int(n), C.int(rows))
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

// copyPlanarFloats copies samples into plane ch of an FLTP frame.
func copyPlanarFloats(dst *astiav.Frame, ch int, samples []float32) {
	if len(samples) == 0 {
		return
	}
	cf := (*C.AVFrame)(dst.UnsafePointer())
	C.onair_copy_floats(cf, C.int(ch), (*C.float)(unsafe.Pointer(&samples[0])), C.int(len(samples)))
}
