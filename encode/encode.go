// Package encode turns raw media.VideoFrame and media.AudioFrame values into
// media.Packet values: H.264 through libx264 and AAC-LC through FFmpeg's
// native encoder, both via go-astiav. Conversion and scaling to the
// encoder's size and pixel format go through swscale.
//
// Encoders are synchronous and not safe for concurrent use: one goroutine
// (the stage that owns them) calls Encode and Close.
package encode

import (
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// ErrInvalidConfig is returned by NewVideo and NewAudio when a setting is out
// of range; the message names the setting and the value.
var ErrInvalidConfig = errors.New("invalid encoder configuration")

// ErrCodecUnavailable is returned when the FFmpeg build lacks an encoder.
var ErrCodecUnavailable = errors.New("encoder not available in this FFmpeg build")

// ErrFormatMismatch is returned by Audio.Encode when a frame's sample rate or
// channel count differs from the encoder's: resampling happens before.
var ErrFormatMismatch = errors.New("audio format does not match the encoder")

// receivePackets takes every packet the encoder cc has ready (into pkt,
// then copied out), stamped from time base tb; name is the encoder in
// errors. AAC packets are all keyframes; H.264 ones say so in their flags.
func receivePackets(cc *astiav.CodecContext, pkt *astiav.Packet, codec media.Codec, tb astiav.Rational, name string) ([]*media.Packet, error) {
	var out []*media.Packet
	for {
		err := cc.ReceivePacket(pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("receiving from %s: %w", name, err)
		}
		out = append(out, &media.Packet{
			Codec: codec,
			PTS:   fromTicks(pkt.Pts(), tb),
			DTS:   fromTicks(pkt.Dts(), tb),
			Key:   codec == media.CodecAAC || pkt.Flags().Has(astiav.PacketFlagKey),
			Data:  append([]byte(nil), pkt.Data()...),
		})
		pkt.Unref()
	}
}
