package encode

/*
#cgo pkg-config: libswscale libavutil
#include <libswscale/swscale.h>
#include <libavutil/pixfmt.h>

static struct SwsContext *onair_sws_new(int sw, int sh, int sf, int dw, int dh) {
	return sws_getContext(sw, sh, (enum AVPixelFormat)sf, dw, dh, AV_PIX_FMT_YUV420P,
		SWS_BILINEAR, NULL, NULL, NULL);
}

// onair_sws_scale scales sh source rows from up to three planes into the
// three YUV420P destination planes. The pointer arrays are built here, on
// the C stack, so that Go passes only plain pointers into Go memory.
static int onair_sws_scale(struct SwsContext *c,
		const uint8_t *s0, const uint8_t *s1, const uint8_t *s2, int ss0, int ss1, int ss2, int sh,
		uint8_t *d0, uint8_t *d1, uint8_t *d2, int ds0, int ds1, int ds2) {
	const uint8_t *src[4] = {s0, s1, s2, NULL};
	const int sstride[4] = {ss0, ss1, ss2, 0};
	uint8_t *dst[4] = {d0, d1, d2, NULL};
	const int dstride[4] = {ds0, ds1, ds2, 0};
	return sws_scale(c, src, sstride, 0, sh, dst, dstride);
}

static int onair_fmt_yuv420p(void) { return AV_PIX_FMT_YUV420P; }
static int onair_fmt_rgba(void) { return AV_PIX_FMT_RGBA; }
static int onair_fmt_bgr0(void) { return AV_PIX_FMT_BGR0; }
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"unsafe"

	"onair/internal/media"
)

// FitMode says how a picture whose aspect ratio differs from the output's
// fills the output.
type FitMode int

const (
	// FitLetterbox keeps the aspect ratio and fills the rest with black
	// bars (left and right, or top and bottom). The default.
	FitLetterbox FitMode = iota
	// FitCrop keeps the aspect ratio and fills the whole output, cutting
	// off the overflow evenly on both sides.
	FitCrop
	// FitStretch fills the whole output and distorts the picture.
	FitStretch
)

func (m FitMode) String() string {
	switch m {
	case FitLetterbox:
		return "letterbox"
	case FitCrop:
		return "crop"
	case FitStretch:
		return "stretch"
	}
	return fmt.Sprintf("FitMode(%d)", int(m))
}

// ParseFitMode reads "letterbox", "crop" or "stretch".
func ParseFitMode(s string) (FitMode, error) {
	for _, m := range []FitMode{FitLetterbox, FitCrop, FitStretch} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("fit %q: want letterbox, crop or stretch: %w", s, ErrInvalidConfig)
}

// fitRect places a srcW x srcH picture on a dstW x dstH canvas: dst is
// where the scaled picture goes, srcCrop the part of the source that is
// scaled into it. For 4:2:0, dst has even corners and sides, and srcCrop an
// even origin and even sides (a side may be odd only when it is the whole
// source side). Sizes are rounded to the nearest even number and centred;
// no side is smaller than 2. Non-positive sizes give empty rectangles.
func fitRect(srcW, srcH, dstW, dstH int, mode FitMode) (dst, srcCrop image.Rectangle) {
	if srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0 {
		return image.Rectangle{}, image.Rectangle{}
	}
	full := image.Rect(0, 0, dstW, dstH)
	whole := image.Rect(0, 0, srcW, srcH)
	// Compare the aspect ratios exactly: srcW/srcH against dstW/dstH.
	wider := int64(srcW)*int64(dstH) > int64(srcH)*int64(dstW)
	taller := int64(srcW)*int64(dstH) < int64(srcH)*int64(dstW)
	switch {
	case mode == FitStretch || (!wider && !taller):
		return full, whole
	case mode == FitLetterbox && wider: // bars above and below
		h := min(dstH, evenRound(int64(dstW)*int64(srcH), int64(srcW)))
		y := evenDown((dstH - h) / 2)
		return image.Rect(0, y, dstW, y+h), whole
	case mode == FitLetterbox: // taller: bars left and right
		w := min(dstW, evenRound(int64(dstH)*int64(srcW), int64(srcH)))
		x := evenDown((dstW - w) / 2)
		return image.Rect(x, 0, x+w, dstH), whole
	case wider: // FitCrop: cut the sides off
		w := min(srcW, evenRound(int64(srcH)*int64(dstW), int64(dstH)))
		x := evenDown((srcW - w) / 2)
		return full, image.Rect(x, 0, x+w, srcH)
	default: // FitCrop, taller: cut top and bottom off
		h := min(srcH, evenRound(int64(srcW)*int64(dstH), int64(dstW)))
		y := evenDown((srcH - h) / 2)
		return full, image.Rect(0, y, srcW, y+h)
	}
}

// evenRound is num/den rounded to the nearest even integer, at least 2.
func evenRound(num, den int64) int {
	v := int((num + den) / (2 * den) * 2)
	return max(v, 2)
}

func evenDown(v int) int { return v &^ 1 }

// yuvImage is a YUV420P picture in Go memory: w x h luma, chroma halved.
type yuvImage struct {
	w, h      int
	y, cb, cr []byte
	yStride   int
	cStride   int
}

// newYUVImage slices buf (at least yuvSize(w, h) bytes) into a w x h
// picture with tight strides. w and h must be even.
func newYUVImage(buf []byte, w, h int) yuvImage {
	ys, cs := w*h, (w/2)*(h/2)
	return yuvImage{
		w: w, h: h, yStride: w, cStride: w / 2,
		y:  buf[:ys:ys],
		cb: buf[ys : ys+cs : ys+cs],
		cr: buf[ys+cs : ys+2*cs : ys+2*cs],
	}
}

// yuvSize is the bytes a tight w x h YUV420P picture takes.
func yuvSize(w, h int) int { return w*h + 2*(w/2)*(h/2) }

// fill paints r (even corners) with one colour.
func (m yuvImage) fill(r image.Rectangle, y, cb, cr byte) {
	r = r.Intersect(image.Rect(0, 0, m.w, m.h))
	if r.Empty() {
		return
	}
	for row := r.Min.Y; row < r.Max.Y; row++ {
		setBytes(m.y[row*m.yStride+r.Min.X:row*m.yStride+r.Max.X], y)
	}
	for row := r.Min.Y / 2; row < (r.Max.Y+1)/2; row++ {
		o := row * m.cStride
		setBytes(m.cb[o+r.Min.X/2:o+(r.Max.X+1)/2], cb)
		setBytes(m.cr[o+r.Min.X/2:o+(r.Max.X+1)/2], cr)
	}
}

// fillOutside paints everything but r black: the letterbox bars.
func (m yuvImage) fillOutside(r image.Rectangle) {
	const y, c = 16, 128
	m.fill(image.Rect(0, 0, m.w, r.Min.Y), y, c, c)
	m.fill(image.Rect(0, r.Max.Y, m.w, m.h), y, c, c)
	m.fill(image.Rect(0, r.Min.Y, r.Min.X, r.Max.Y), y, c, c)
	m.fill(image.Rect(r.Max.X, r.Min.Y, m.w, r.Max.Y), y, c, c)
}

// frame wraps the image as a VideoFrame (no copy).
func (m yuvImage) frame() *media.VideoFrame {
	return &media.VideoFrame{
		Width: m.w, Height: m.h, Format: media.PixelFormatYUV420P,
		Planes:  [3][]byte{m.y, m.cb, m.cr},
		Strides: [3]int{m.yStride, m.cStride, m.cStride},
	}
}

// setBytes sets every byte of b to v.
func setBytes(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// errUnsupportedFormat is returned by scalers.scale for a pixel format it
// cannot read.
var errUnsupportedFormat = errors.New("pixel format not supported by the preprocessor")

// swsFormat is FFmpeg's name of a media pixel format. A packed format
// added here must also be known to planeGeometry (avframe.go).
func swsFormat(f media.PixelFormat) (C.int, bool) {
	switch f {
	case media.PixelFormatYUV420P:
		return C.onair_fmt_yuv420p(), true
	case media.PixelFormatRGBA:
		return C.onair_fmt_rgba(), true
	case media.PixelFormatBGRA:
		// BGR0: an X11 screen's fourth byte is undefined, not alpha.
		return C.onair_fmt_bgr0(), true
	}
	return 0, false
}

// scaleKey names one swscale context: source crop size and format, and
// destination size (always YUV420P).
type scaleKey struct {
	srcW, srcH int
	format     media.PixelFormat
	dstW, dstH int
}

// maxScalers bounds the cache: a window being resized would otherwise
// leave a context per size behind.
const maxScalers = 8

// scalers caches swscale contexts per input size and format. It is owned
// by one goroutine; free releases the contexts.
type scalers struct {
	m map[scaleKey]*C.struct_SwsContext
}

func (s *scalers) get(k scaleKey) (*C.struct_SwsContext, error) {
	if c, ok := s.m[k]; ok {
		return c, nil
	}
	sf, ok := swsFormat(k.format)
	if !ok {
		return nil, fmt.Errorf("%v: %w", k.format, errUnsupportedFormat)
	}
	if len(s.m) >= maxScalers {
		s.free()
	}
	c := C.onair_sws_new(C.int(k.srcW), C.int(k.srcH), sf, C.int(k.dstW), C.int(k.dstH))
	if c == nil {
		return nil, fmt.Errorf("creating a scaler %dx%d %v -> %dx%d yuv420p failed", k.srcW, k.srcH, k.format, k.dstW, k.dstH)
	}
	if s.m == nil {
		s.m = make(map[scaleKey]*C.struct_SwsContext)
	}
	s.m[k] = c
	return c, nil
}

// len is the number of cached contexts.
func (s *scalers) len() int { return len(s.m) }

// free releases every context.
func (s *scalers) free() {
	for k, c := range s.m {
		C.sws_freeContext(c)
		delete(s.m, k)
	}
}

// scale converts the crop part of src and scales it into rect of dst
// (both with even corners, as fitRect gives them).
func (s *scalers) scale(src *media.VideoFrame, crop image.Rectangle, dst yuvImage, rect image.Rectangle) error {
	if _, ok := swsFormat(src.Format); !ok {
		return fmt.Errorf("%v: %w", src.Format, errUnsupportedFormat)
	}
	if err := checkPlanes(src); err != nil {
		return err
	}
	if crop.Empty() || !crop.In(image.Rect(0, 0, src.Width, src.Height)) ||
		rect.Empty() || !rect.In(image.Rect(0, 0, dst.w, dst.h)) || rect.Min.X%2 != 0 || rect.Min.Y%2 != 0 {
		return fmt.Errorf("scaling %v of %dx%d into %v of %dx%d: bad geometry", crop, src.Width, src.Height, rect, dst.w, dst.h)
	}
	c, err := s.get(scaleKey{crop.Dx(), crop.Dy(), src.Format, rect.Dx(), rect.Dy()})
	if err != nil {
		return err
	}
	// Source pointers at the crop origin.
	var sp [3]*C.uint8_t
	var ss [3]C.int
	if src.Format == media.PixelFormatYUV420P {
		if crop.Min.X%2 != 0 || crop.Min.Y%2 != 0 {
			return fmt.Errorf("crop %v of a 4:2:0 picture: origin must be even", crop)
		}
		sp[0] = bytePtr(src.Planes[0], crop.Min.Y*src.Strides[0]+crop.Min.X)
		for i := 1; i < 3; i++ {
			sp[i] = bytePtr(src.Planes[i], crop.Min.Y/2*src.Strides[i]+crop.Min.X/2)
		}
		ss = [3]C.int{C.int(src.Strides[0]), C.int(src.Strides[1]), C.int(src.Strides[2])}
	} else { // packed, one plane (RGBA and the like)
		rowBytes, _, _ := planeGeometry(src, 0)
		bpp := rowBytes / src.Width
		sp[0] = bytePtr(src.Planes[0], crop.Min.Y*src.Strides[0]+crop.Min.X*bpp)
		ss[0] = C.int(src.Strides[0])
	}
	d0 := bytePtr(dst.y, rect.Min.Y*dst.yStride+rect.Min.X)
	co := rect.Min.Y/2*dst.cStride + rect.Min.X/2
	d1, d2 := bytePtr(dst.cb, co), bytePtr(dst.cr, co)
	n := C.onair_sws_scale(c, sp[0], sp[1], sp[2], ss[0], ss[1], ss[2], C.int(crop.Dy()),
		d0, d1, d2, C.int(dst.yStride), C.int(dst.cStride), C.int(dst.cStride))
	if n < 0 {
		return fmt.Errorf("swscale %dx%d %v -> %dx%d: error %d", crop.Dx(), crop.Dy(), src.Format, rect.Dx(), rect.Dy(), int(n))
	}
	return nil
}

// checkPlanes makes sure src's planes hold the rows its size and strides
// promise, so that C never reads past a slice.
func checkPlanes(src *media.VideoFrame) error {
	if src.Width <= 0 || src.Height <= 0 {
		return fmt.Errorf("frame size %dx%d: %w", src.Width, src.Height, ErrInvalidConfig)
	}
	for i := 0; i < 3; i++ {
		n, rows, ok := planeGeometry(src, i)
		if !ok {
			break
		}
		if src.Strides[i] < n || len(src.Planes[i]) < (rows-1)*src.Strides[i]+n {
			return fmt.Errorf("plane %d holds %d bytes, stride %d, want %d rows of %d: %w",
				i, len(src.Planes[i]), src.Strides[i], rows, n, ErrInvalidConfig)
		}
	}
	return nil
}

func bytePtr(b []byte, off int) *C.uint8_t {
	return (*C.uint8_t)(unsafe.Pointer(&b[off]))
}
