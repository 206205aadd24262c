package capture

/*
#cgo pkg-config: libavutil libswresample
#include <libavutil/frame.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

static unsigned char *onair_file_plane(AVFrame *f, int i) { return f->data[i]; }
static int onair_file_linesize(AVFrame *f, int i) { return f->linesize[i]; }

// onair_file_swr_open makes a resampler from the frame's format, rate and
// layout to interleaved float at out_rate with out_ch channels (default
// layout).
static SwrContext *onair_file_swr_open(const AVFrame *f, int out_rate, int out_ch, int *err) {
	SwrContext *s = NULL;
	// Zeroed: av_channel_layout_copy uninits its destination first, and
	// would free whatever pointer the stack held there.
	AVChannelLayout out_layout = {0};
	av_channel_layout_default(&out_layout, out_ch);
	AVChannelLayout in_layout = {0};
	if (f->ch_layout.nb_channels > 0 && f->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
		av_channel_layout_copy(&in_layout, &f->ch_layout);
	} else {
		av_channel_layout_default(&in_layout, f->ch_layout.nb_channels > 0 ? f->ch_layout.nb_channels : 1);
	}
	*err = swr_alloc_set_opts2(&s, &out_layout, AV_SAMPLE_FMT_FLT, out_rate,
		&in_layout, f->format, f->sample_rate, 0, NULL);
	av_channel_layout_uninit(&in_layout);
	av_channel_layout_uninit(&out_layout);
	if (*err < 0) {
		return NULL;
	}
	*err = swr_init(s);
	if (*err < 0) {
		swr_free(&s);
		return NULL;
	}
	return s;
}

static int onair_file_swr_out_samples(SwrContext *s, int in) { return swr_get_out_samples(s, in); }

static int onair_file_swr_convert(SwrContext *s, float *out, int out_count, const AVFrame *f) {
	uint8_t *o = (uint8_t *)out;
	return swr_convert(s, &o, out_count, (const uint8_t **)f->extended_data, f->nb_samples);
}

static void onair_file_swr_free(SwrContext *s) { swr_free(&s); }

static int onair_file_channels(const AVFrame *f) { return f->ch_layout.nb_channels; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// The File source's two small pieces of cgo, for what go-astiav v0.16.0
// lacks: viewing a decoded frame's planes in place (it only copies them
// out, with padding rules of its own), and libswresample. Adapted from
// package player (avframe.go, resample.go), which capture does not import.

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

// fileResampler converts decoded audio frames of any sample format, rate
// and channel layout to interleaved float32 at a fixed rate and channel
// count. It remakes its context when the input format changes mid-stream.
type fileResampler struct {
	rate, channels int
	swr            *C.SwrContext
	inFmt, inRate  int
	inCh           int
	out            []float32
}

func newFileResampler(rate, channels int) *fileResampler {
	return &fileResampler{rate: rate, channels: channels}
}

// convert returns f's samples converted; the slice is reused by the next
// call.
func (r *fileResampler) convert(f *astiav.Frame) ([]float32, error) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	inFmt, inRate, inCh := int(cf.format), int(cf.sample_rate), int(C.onair_file_channels(cf))
	if inRate <= 0 || inCh <= 0 {
		return nil, fmt.Errorf("audio frame with %d Hz, %d channels", inRate, inCh)
	}
	if r.swr == nil || inFmt != r.inFmt || inRate != r.inRate || inCh != r.inCh {
		r.free()
		var cerr C.int
		r.swr = C.onair_file_swr_open(cf, C.int(r.rate), C.int(r.channels), &cerr)
		if r.swr == nil {
			return nil, fmt.Errorf("audio resampler (%d Hz, %d channels, format %d): %w", inRate, inCh, inFmt, astiav.Error(cerr))
		}
		r.inFmt, r.inRate, r.inCh = inFmt, inRate, inCh
	}
	n := int(C.onair_file_swr_out_samples(r.swr, C.int(f.NbSamples())))
	if n <= 0 {
		return nil, nil
	}
	if cap(r.out) < n*r.channels {
		r.out = make([]float32, n*r.channels)
	}
	r.out = r.out[:n*r.channels]
	got := int(C.onair_file_swr_convert(r.swr, (*C.float)(&r.out[0]), C.int(n), cf))
	if got < 0 {
		return nil, fmt.Errorf("resampling audio: %w", astiav.Error(C.int(got)))
	}
	return r.out[:got*r.channels], nil
}

func (r *fileResampler) free() {
	if r.swr != nil {
		C.onair_file_swr_free(r.swr)
		r.swr = nil
	}
}
