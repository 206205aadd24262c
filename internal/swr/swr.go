// Package swr converts audio to interleaved float32 with libswresample,
// which go-astiav v0.16.0 has no binding for. It is the one place in the
// module that holds cgo for libswresample.
//
// A Resampler converts from one input format (sample format, rate and
// channel count) to interleaved float32 at one output rate and channel
// count, in FFmpeg's default channel layout for that count. It is made
// either from a decoded frame (NewFromFrame: the input is whatever the
// frame holds) or for interleaved float32 input (NewFloat). Its Convert
// methods append to a caller's slice, so that a caller can reuse one
// buffer. A Resampler is not safe for concurrent use, and must be closed.
//
// Errors wrap one of the sentinels below; test them with errors.Is:
//
//   - ErrInvalidArgument: an argument out of range, a nil or empty frame, a
//     frame that does not match the Resampler's input, a partial sample.
//   - ErrClosed: a method other than Close on a closed Resampler.
//   - ErrFFmpeg: libswresample reported an error. The error also wraps
//     FFmpeg's code as an astiav.Error, and its text ends in FFmpeg's
//     message for it.
package swr

/*
#cgo pkg-config: libswresample libavutil
#include <libavutil/frame.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>

// onair_swr_make makes and opens a resampler to interleaved float at
// out_rate in out_layout, then frees both layouts. NULL (and *err) when
// FFmpeg refuses.
static SwrContext *onair_swr_make(AVChannelLayout *out_layout, int out_rate,
		AVChannelLayout *in_layout, int in_fmt, int in_rate, int *err) {
	SwrContext *s = NULL;
	*err = swr_alloc_set_opts2(&s, out_layout, AV_SAMPLE_FMT_FLT, out_rate,
		in_layout, in_fmt, in_rate, 0, NULL);
	av_channel_layout_uninit(in_layout);
	av_channel_layout_uninit(out_layout);
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

// onair_swr_open_frame makes a resampler from the frame's format, rate
// and layout to interleaved float at out_rate with out_ch channels
// (default layout).
static SwrContext *onair_swr_open_frame(const AVFrame *f, int out_rate, int out_ch, int *err) {
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
	return onair_swr_make(&out_layout, out_rate, &in_layout, f->format, f->sample_rate, err);
}

// onair_swr_open_float makes a resampler from interleaved float at
// in_rate with in_ch channels to interleaved float at out_rate with out_ch
// channels, both in FFmpeg's default layout for their count.
static SwrContext *onair_swr_open_float(int in_rate, int in_ch, int out_rate, int out_ch, int *err) {
	// Zeroed: av_channel_layout_default does not initialise every field.
	AVChannelLayout in_layout = {0}, out_layout = {0};
	av_channel_layout_default(&in_layout, in_ch);
	av_channel_layout_default(&out_layout, out_ch);
	return onair_swr_make(&out_layout, out_rate, &in_layout, AV_SAMPLE_FMT_FLT, in_rate, err);
}

static int onair_swr_convert_frame(SwrContext *s, float *out, int out_count, const AVFrame *f) {
	uint8_t *o = (uint8_t *)out;
	return swr_convert(s, &o, out_count, (const uint8_t **)f->extended_data, f->nb_samples);
}

static int onair_swr_convert_float(SwrContext *s, float *out, int out_count, const float *in, int in_count) {
	uint8_t *o = (uint8_t *)out;
	const uint8_t *i = (const uint8_t *)in;
	return swr_convert(s, &o, out_count, &i, in_count);
}

static void onair_swr_free(SwrContext *s) { swr_free(&s); }

static int onair_swr_frame_channels(const AVFrame *f) { return f->ch_layout.nb_channels; }

static int onair_swr_frame_has_data(const AVFrame *f) {
	return f->extended_data != NULL && f->extended_data[0] != NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// MaxChannels is the most channels a Resampler's input or output may have
// (libswresample's SWR_CH_MAX).
const MaxChannels = 64

// The package's error sentinels; see the package documentation.
var (
	ErrInvalidArgument = errors.New("swr: invalid argument")
	ErrClosed          = errors.New("swr: resampler closed")
	ErrFFmpeg          = errors.New("swr: libswresample failed")
)

// Resampler converts audio of one input format to interleaved float32 at
// one output rate and channel count. The zero value is not usable: make
// one with NewFromFrame or NewFloat.
type Resampler struct {
	ctx       *C.SwrContext
	fromFrame bool // made by NewFromFrame: ConvertFrame, not ConvertFloat
	inFmt     astiav.SampleFormat
	inRate    int
	inCh      int
	outRate   int
	outCh     int
}

// NewFromFrame makes a Resampler from the sample format, rate and channel
// layout of f (a decoded audio frame; only its parameters are read) to
// interleaved float32 at outRate with outChannels channels. A layout
// whose order is unspecified is taken as FFmpeg's default layout for its
// channel count. Feed it with ConvertFrame.
func NewFromFrame(f *astiav.Frame, outRate, outChannels int) (*Resampler, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil frame", ErrInvalidArgument)
	}
	cf := (*C.AVFrame)(f.UnsafePointer())
	r := &Resampler{
		fromFrame: true,
		inFmt:     astiav.SampleFormat(cf.format),
		inRate:    int(cf.sample_rate),
		inCh:      int(C.onair_swr_frame_channels(cf)),
		outRate:   outRate,
		outCh:     outChannels,
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	var cerr C.int
	r.ctx = C.onair_swr_open_frame(cf, C.int(outRate), C.int(outChannels), &cerr)
	if r.ctx == nil {
		return nil, r.ffmpegError("opening", cerr)
	}
	return r, nil
}

// NewFloat makes a Resampler from interleaved float32 at inRate with
// inChannels channels to interleaved float32 at outRate with outChannels
// channels, both in FFmpeg's default channel layout for their count. Feed
// it with ConvertFloat.
func NewFloat(inRate, inChannels, outRate, outChannels int) (*Resampler, error) {
	r := &Resampler{
		inFmt:   astiav.SampleFormatFlt,
		inRate:  inRate,
		inCh:    inChannels,
		outRate: outRate,
		outCh:   outChannels,
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	var cerr C.int
	r.ctx = C.onair_swr_open_float(C.int(inRate), C.int(inChannels), C.int(outRate), C.int(outChannels), &cerr)
	if r.ctx == nil {
		return nil, r.ffmpegError("opening", cerr)
	}
	return r, nil
}

// check validates the input format, the rates and the channel counts.
func (r *Resampler) check() error {
	switch {
	case r.inFmt < 0 || r.inFmt >= astiav.SampleFormatNb:
		return fmt.Errorf("%w: unknown input %s", ErrInvalidArgument, formatName(r.inFmt))
	case r.inRate <= 0 || r.inRate > math.MaxInt32:
		return fmt.Errorf("%w: input rate %d Hz", ErrInvalidArgument, r.inRate)
	case r.inCh <= 0 || r.inCh > MaxChannels:
		return fmt.Errorf("%w: %d input channels (want 1..%d)", ErrInvalidArgument, r.inCh, MaxChannels)
	case r.outRate <= 0 || r.outRate > math.MaxInt32:
		return fmt.Errorf("%w: output rate %d Hz", ErrInvalidArgument, r.outRate)
	case r.outCh <= 0 || r.outCh > MaxChannels:
		return fmt.Errorf("%w: %d output channels (want 1..%d)", ErrInvalidArgument, r.outCh, MaxChannels)
	}
	return nil
}

// InFormat is the input's sample format.
func (r *Resampler) InFormat() astiav.SampleFormat { return r.inFmt }

// InRate is the input's sample rate in Hz.
func (r *Resampler) InRate() int { return r.inRate }

// InChannels is the input's channel count.
func (r *Resampler) InChannels() int { return r.inCh }

// OutRate is the output's sample rate in Hz.
func (r *Resampler) OutRate() int { return r.outRate }

// OutChannels is the output's channel count.
func (r *Resampler) OutChannels() int { return r.outCh }

// Matches reports whether f has the sample format, rate and channel count
// r converts from: when it does not, the caller makes a new Resampler for
// f (the format of a stream may change mid-stream).
func (r *Resampler) Matches(f *astiav.Frame) bool {
	if f == nil {
		return false
	}
	cf := (*C.AVFrame)(f.UnsafePointer())
	return astiav.SampleFormat(cf.format) == r.inFmt && int(cf.sample_rate) == r.inRate &&
		int(C.onair_swr_frame_channels(cf)) == r.inCh
}

// ConvertFrame converts f's samples and appends them to dst, interleaved,
// returning the extended slice (dst's contents are kept; pass buf[:0] to
// reuse a buffer). Output is delayed by the resampling filter, so it
// holds, on the whole, as many samples as the input at the output rate,
// not exactly that many for each frame. f must match the Resampler
// (Matches) and hold its data.
func (r *Resampler) ConvertFrame(f *astiav.Frame, dst []float32) ([]float32, error) {
	if r == nil || r.ctx == nil {
		return dst, fmt.Errorf("converting a frame: %w", ErrClosed)
	}
	if !r.fromFrame {
		return dst, fmt.Errorf("%w: ConvertFrame on a resampler made by NewFloat", ErrInvalidArgument)
	}
	if f == nil {
		return dst, fmt.Errorf("%w: nil frame", ErrInvalidArgument)
	}
	cf := (*C.AVFrame)(f.UnsafePointer())
	if !r.Matches(f) {
		return dst, fmt.Errorf("%w: frame is %s, %d Hz, %d channels; the resampler converts from %s, %d Hz, %d channels",
			ErrInvalidArgument, formatName(astiav.SampleFormat(cf.format)), int(cf.sample_rate),
			int(C.onair_swr_frame_channels(cf)), formatName(r.inFmt), r.inRate, r.inCh)
	}
	in := int(cf.nb_samples)
	if C.onair_swr_frame_has_data(cf) == 0 {
		if in == 0 {
			return dst, nil // not a flush: swr_convert takes no data for one
		}
		return dst, fmt.Errorf("%w: frame of %d samples without data", ErrInvalidArgument, in)
	}
	if in < 0 {
		return dst, fmt.Errorf("%w: frame of %d samples", ErrInvalidArgument, in)
	}
	out, n, err := r.grow(dst, in)
	if err != nil || n == 0 {
		return dst, err
	}
	got := C.onair_swr_convert_frame(r.ctx, (*C.float)(unsafe.Pointer(&out[len(dst)])), C.int(n), cf)
	if got < 0 {
		return dst, r.ffmpegError("converting", got)
	}
	return out[:len(dst)+int(got)*r.outCh], nil
}

// ConvertFloat converts in (interleaved float32 of the Resampler's input
// channel count, a whole number of samples) and appends the result to dst
// as ConvertFrame does.
func (r *Resampler) ConvertFloat(in, dst []float32) ([]float32, error) {
	if r == nil || r.ctx == nil {
		return dst, fmt.Errorf("converting samples: %w", ErrClosed)
	}
	if r.fromFrame {
		return dst, fmt.Errorf("%w: ConvertFloat on a resampler made by NewFromFrame", ErrInvalidArgument)
	}
	if len(in)%r.inCh != 0 {
		return dst, fmt.Errorf("%w: %d values are not a whole number of %d-channel samples", ErrInvalidArgument, len(in), r.inCh)
	}
	nIn := len(in) / r.inCh
	if nIn == 0 {
		return dst, nil
	}
	if nIn > math.MaxInt32 {
		return dst, fmt.Errorf("%w: %d samples at once", ErrInvalidArgument, nIn)
	}
	out, n, err := r.grow(dst, nIn)
	if err != nil || n == 0 {
		return dst, err
	}
	got := C.onair_swr_convert_float(r.ctx, (*C.float)(unsafe.Pointer(&out[len(dst)])), C.int(n),
		(*C.float)(unsafe.Pointer(&in[0])), C.int(nIn))
	if got < 0 {
		return dst, r.ffmpegError("converting", got)
	}
	return out[:len(dst)+int(got)*r.outCh], nil
}

// grow returns dst extended by room for the output of in input samples
// (swr_get_out_samples, an upper bound), and that room in samples.
func (r *Resampler) grow(dst []float32, in int) ([]float32, int, error) {
	n := C.swr_get_out_samples(r.ctx, C.int(in))
	if n < 0 {
		return dst, 0, r.ffmpegError("sizing the output", n)
	}
	if n == 0 {
		return dst, 0, nil
	}
	size := int(n) * r.outCh
	return slices.Grow(dst, size)[:len(dst)+size], int(n), nil
}

// Close frees the Resampler's context. It is safe to call more than once,
// and on nil.
func (r *Resampler) Close() {
	if r != nil && r.ctx != nil {
		C.onair_swr_free(r.ctx)
		r.ctx = nil
	}
}

// ffmpegError is FFmpeg's error code as an error wrapping ErrFFmpeg and
// the astiav.Error, with what r was doing and its formats.
func (r *Resampler) ffmpegError(doing string, code C.int) error {
	return fmt.Errorf("%w: %s, resampling %s %d Hz %d channels to flt %d Hz %d channels: %w",
		ErrFFmpeg, doing, formatName(r.inFmt), r.inRate, r.inCh, r.outRate, r.outCh, astiav.Error(code))
}

// formatName is f's FFmpeg name, or its number when it has none.
func formatName(f astiav.SampleFormat) string {
	if int(f) >= 0 && f < astiav.SampleFormatNb {
		if s := f.Name(); s != "" {
			return s
		}
	}
	return fmt.Sprintf("sample format %d", int(f))
}
