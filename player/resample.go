package player

/*
#cgo pkg-config: libswresample libavutil
#include <libavutil/frame.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

// onair_swr_open makes a resampler from the frame's format, rate and layout
// to interleaved float at out_rate with out_ch channels (default layout).
static SwrContext *onair_swr_open(const AVFrame *f, int out_rate, int out_ch, int *err) {
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

static int onair_swr_out_samples(SwrContext *s, int in) { return swr_get_out_samples(s, in); }

static int onair_swr_convert(SwrContext *s, float *out, int out_count, const AVFrame *f) {
	uint8_t *o = (uint8_t *)out;
	return swr_convert(s, &o, out_count, (const uint8_t **)f->extended_data, f->nb_samples);
}

static void onair_swr_free(SwrContext *s) { swr_free(&s); }

static int onair_frame_channels(const AVFrame *f) { return f->ch_layout.nb_channels; }
*/
import "C"

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// resampler converts decoded audio frames of any sample format, rate and
// channel layout to interleaved float32 at a fixed rate and channel count,
// with libswresample (go-astiav v0.16.0 has no binding for it). It remakes
// its context when the input format changes mid-stream.
type resampler struct {
	rate, channels int
	swr            *C.SwrContext
	inFmt, inRate  int
	inCh           int
	out            []float32
}

func newResampler(rate, channels int) *resampler {
	return &resampler{rate: rate, channels: channels}
}

// convert returns f's samples converted; the slice is reused by the next
// call.
func (r *resampler) convert(f *astiav.Frame) ([]float32, error) {
	cf := (*C.AVFrame)(f.UnsafePointer())
	inFmt, inRate, inCh := int(cf.format), int(cf.sample_rate), int(C.onair_frame_channels(cf))
	if inRate <= 0 || inCh <= 0 {
		return nil, fmt.Errorf("audio frame with %d Hz, %d channels: %w", inRate, inCh, ErrCorrupt)
	}
	if r.swr == nil || inFmt != r.inFmt || inRate != r.inRate || inCh != r.inCh {
		r.free()
		var cerr C.int
		r.swr = C.onair_swr_open(cf, C.int(r.rate), C.int(r.channels), &cerr)
		if r.swr == nil {
			return nil, fmt.Errorf("audio resampler (%d Hz, %d ch, format %d): %w", inRate, inCh, inFmt, astiav.Error(cerr))
		}
		r.inFmt, r.inRate, r.inCh = inFmt, inRate, inCh
	}
	n := int(C.onair_swr_out_samples(r.swr, C.int(f.NbSamples())))
	if n <= 0 {
		return nil, nil
	}
	if cap(r.out) < n*r.channels {
		r.out = make([]float32, n*r.channels)
	}
	r.out = r.out[:n*r.channels]
	got := int(C.onair_swr_convert(r.swr, (*C.float)(&r.out[0]), C.int(n), cf))
	if got < 0 {
		return nil, fmt.Errorf("resampling audio: %w", astiav.Error(C.int(got)))
	}
	return r.out[:got*r.channels], nil
}

func (r *resampler) free() {
	if r.swr != nil {
		C.onair_swr_free(r.swr)
		r.swr = nil
	}
}
