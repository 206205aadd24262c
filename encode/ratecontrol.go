package encode

/*
#cgo pkg-config: libavcodec
#include <libavcodec/avcodec.h>

static int64_t onair_bit_rate(AVCodecContext *c) { return c->bit_rate; }

static void onair_set_rate(AVCodecContext *c, int64_t rate) {
	c->bit_rate = rate;
	c->rc_max_rate = rate;
	c->rc_buffer_size = (int)rate;
}
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// Changing libx264's bitrate while it encodes (dynamic bitrate).
//
// FFmpeg's libx264 wrapper (libavcodec/libx264.c, reconfig_encoder, run
// before every frame it is sent) compares the codec context with the
// parameters x264 runs with and calls x264_encoder_reconfig when they
// differ: bit_rate (ABR) and rc_max_rate / rc_buffer_size (VBV). OnAir's
// CBR is ABR with a VBV of one second at the same rate (NewVideo), so all
// three change together: bit_rate alone would leave the VBV cap, and with
// it the output, at the old rate.
//
// go-astiav v0.16.0 sets bit_rate but has no setter for the VBV fields, nor
// a way to reach the AVCodecContext: ccPointer reads it from the wrapper,
// whose first field it is, and checks it against what the wrapper reports
// before anything is written through it.

// errLayout is returned by setRate when go-astiav's CodecContext no longer
// starts with the AVCodecContext pointer (a changed pin).
var errLayout = errors.New("go-astiav CodecContext layout is not the one this code knows (v0.16.0)")

// ccPointer is the AVCodecContext that cc wraps.
func ccPointer(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

// setRate makes bps the codec context's bitrate, VBV maximum rate and VBV
// buffer size (one second): the encoder applies them before the next frame.
func setRate(cc *astiav.CodecContext, bps int) error {
	p := ccPointer(cc)
	if p == nil || int64(C.onair_bit_rate(p)) != cc.BitRate() {
		return errLayout
	}
	C.onair_set_rate(p, C.int64_t(bps))
	return nil
}
