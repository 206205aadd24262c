package encode

import (
	"errors"
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// encoder is what the audio and video encoders share: an open FFmpeg
// encoder context, the frame it is fed from, the packet it is read into,
// the time base its timestamps count in, and how errors name it. It is
// set up by open and allocFrame and torn down by free.
type encoder struct {
	name  string // in errors: "the AAC encoder", "libx264", "libx265", "libopus"
	codec media.Codec
	tb    astiav.Rational
	cc    *astiav.CodecContext
	frame *astiav.Frame
	pkt   *astiav.Packet
}

// open finds FFmpeg's encoder ffName, allocates its context, lets setup set
// the codec parameters (open sets the time base and asks for global
// headers, the extradata a FLV/MP4 sequence header carries), opens it with
// opts (nil for none) and allocates the packet. desc sums the settings up
// in an error. Nothing is left to free when it fails.
func (e *encoder) open(ffName string, setup func(*astiav.CodecContext), opts *astiav.Dictionary, desc string) error {
	codec := astiav.FindEncoderByName(ffName)
	if codec == nil {
		return fmt.Errorf("%s: %w", ffName, ErrCodecUnavailable)
	}
	cc := astiav.AllocCodecContext(codec)
	if cc == nil {
		return fmt.Errorf("allocating the context of %s failed", e.name)
	}
	setup(cc)
	cc.SetTimeBase(e.tb)
	cc.SetFlags(cc.Flags().Add(astiav.CodecContextFlagGlobalHeader))
	if err := cc.Open(codec, opts); err != nil {
		cc.Free()
		return fmt.Errorf("opening %s (%s): %w", e.name, desc, err)
	}
	e.cc = cc
	e.pkt = astiav.AllocPacket()
	return nil
}

// allocFrame allocates the frame the encoder is fed from, with the format
// set gives it, and its buffers.
func (e *encoder) allocFrame(set func(*astiav.Frame)) error {
	e.frame = astiav.AllocFrame()
	set(e.frame)
	if err := e.frame.AllocBuffer(0); err != nil {
		return fmt.Errorf("allocating a frame for %s: %w", e.name, err)
	}
	return nil
}

// send hands frame f (nil: end of stream) to the encoder and returns the
// packets that came out.
func (e *encoder) send(f *astiav.Frame) ([]*media.Packet, error) {
	err := e.cc.SendFrame(f)
	switch {
	case err == nil, f == nil && errors.Is(err, astiav.ErrEof):
	case f == nil:
		return nil, fmt.Errorf("flushing %s: %w", e.name, err)
	default:
		return nil, fmt.Errorf("sending a frame to %s: %w", e.name, err)
	}
	return e.receive()
}

// receive takes every packet the encoder has ready (into e.pkt, then
// copied out), stamped from its time base. Audio packets (AAC, Opus) are
// all keyframes; H.264 and HEVC ones say so in their flags (IDR, and for
// HEVC any IRAP picture).
func (e *encoder) receive() ([]*media.Packet, error) {
	var out []*media.Packet
	for {
		err := e.cc.ReceivePacket(e.pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("receiving from %s: %w", e.name, err)
		}
		out = append(out, &media.Packet{
			Codec: e.codec,
			PTS:   media.FromTimeBase(e.pkt.Pts(), e.tb.Num(), e.tb.Den()),
			DTS:   media.FromTimeBase(e.pkt.Dts(), e.tb.Num(), e.tb.Den()),
			Key:   !e.codec.IsVideo() || e.pkt.Flags().Has(astiav.PacketFlagKey),
			Data:  append([]byte(nil), e.pkt.Data()...),
		})
		e.pkt.Unref()
	}
}

// ticks is stream time d in the encoder's time base.
func (e *encoder) ticks(d time.Duration) int64 {
	return media.ToTimeBase(d, e.tb.Num(), e.tb.Den())
}

// free frees the frame, the packet and the context; it is safe to call
// more than once and on a half-built encoder.
func (e *encoder) free() {
	if e.frame != nil {
		e.frame.Free()
		e.frame = nil
	}
	if e.pkt != nil {
		e.pkt.Free()
		e.pkt = nil
	}
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
	}
}
