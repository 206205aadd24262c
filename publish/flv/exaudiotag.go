package flv

import (
	"encoding/binary"
	"fmt"
)

// SoundFormatExHeader is the sound format of enhanced audio tags (Enhanced
// RTMP v2): the low 4 bits of the first byte are an AudioPacketType, a
// FourCC follows.
const SoundFormatExHeader SoundFormat = 9

// AudioPacketType says what an enhanced audio tag carries (the low 4 bits
// of its first byte).
type AudioPacketType uint8

const (
	// AudioPacketTypeSequenceStart carries the decoder configuration:
	// OpusHead for Opus, AudioSpecificConfig for AAC, STREAMINFO for FLAC.
	AudioPacketTypeSequenceStart AudioPacketType = 0
	// AudioPacketTypeCodedFrames carries coded audio.
	AudioPacketTypeCodedFrames AudioPacketType = 1
	// AudioPacketTypeSequenceEnd marks the end of the stream; no data.
	AudioPacketTypeSequenceEnd AudioPacketType = 2
	// AudioPacketTypeMultichannelConfig carries the channel order and
	// count, and a channel mapping or mask.
	AudioPacketTypeMultichannelConfig AudioPacketType = 4
	// AudioPacketTypeMultitrack announces multitrack framing.
	AudioPacketTypeMultitrack AudioPacketType = 5
	// AudioPacketTypeModEx announces a modifier before the packet type.
	AudioPacketTypeModEx AudioPacketType = 7
)

// ExAudioTag is the body of an enhanced audio tag (Enhanced RTMP v2,
// ExAudioTagHeader and ExAudioTagBody) for one track: sound format 9 and
// the packet type in the first byte, then the FourCC.
type ExAudioTag struct {
	PacketType AudioPacketType
	FourCC     FourCC
	// Data is the configuration (SequenceStart), the coded audio
	// (CodedFrames), empty (SequenceEnd), or the multichannel
	// configuration (MultichannelConfig: order, channel count, then the
	// mapping for order 2 or the 32-bit channel mask for order 1).
	Data []byte
}

// Marshal writes the tag body as one track without modifiers. Errors:
// ErrOutOfRange (PacketType above 15), ErrUnsupportedCodec (PacketType
// ModEx or Multitrack), ErrTruncated (a multichannel configuration shorter
// than it announces).
func (t *ExAudioTag) Marshal() ([]byte, error) {
	switch {
	case t.PacketType > 15:
		return nil, fmt.Errorf("%w: audio packet type %d does not fit 4 bits", ErrOutOfRange, t.PacketType)
	case t.PacketType == AudioPacketTypeModEx || t.PacketType == AudioPacketTypeMultitrack:
		return nil, fmt.Errorf("%w: Marshal does not write audio packet type %d (ModEx, Multitrack)", ErrUnsupportedCodec, t.PacketType)
	case t.PacketType == AudioPacketTypeMultichannelConfig:
		if err := checkMultichannelConfig(t.Data); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 0, 5+len(t.Data))
	b = append(b, byte(SoundFormatExHeader)<<4|byte(t.PacketType))
	b = binary.BigEndian.AppendUint32(b, uint32(t.FourCC))
	return append(b, t.Data...), nil
}

// Unmarshal reads an enhanced audio tag body. ModEx modifiers are skipped;
// of a multitrack tag it reads track 0, or the first track when none has ID
// 0, after checking the sizes of all. A multichannel configuration is
// checked against its length. The FourCC and PacketType are not checked
// otherwise: callers switch on them and skip what they do not know (see
// ParseAudio). Data aliases b. On error t is left unchanged.
//
// Errors: ErrTruncated, ErrUnsupportedCodec (a sound format other than 9,
// see AudioTag; a multitrack type above 2 or a nested Multitrack).
func (t *ExAudioTag) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: audio tag body is empty", ErrTruncated)
	}
	if f := SoundFormat(b[0] >> 4); f != SoundFormatExHeader {
		return fmt.Errorf("%w: sound format %d, want %d (ExHeader)", ErrUnsupportedCodec, f, SoundFormatExHeader)
	}
	p, pos, err := skipModEx(b, 1, b[0]&0x0f)
	if err != nil {
		return fmt.Errorf("enhanced audio tag: %w", err)
	}
	v := ExAudioTag{PacketType: AudioPacketType(p)}
	if v.PacketType == AudioPacketTypeMultitrack {
		track, err := readMultitrack(b, pos, byte(AudioPacketTypeMultitrack), "audio")
		if err != nil {
			return err
		}
		v.PacketType, v.FourCC, v.Data = AudioPacketType(track.packetType), track.fourCC, track.data
	} else {
		if len(b)-pos < 4 {
			return fmt.Errorf("%w: enhanced audio tag of %d bytes, FourCC at byte %d needs 4", ErrTruncated, len(b), pos)
		}
		v.FourCC = FourCC(binary.BigEndian.Uint32(b[pos:]))
		v.Data = b[pos+4 : len(b) : len(b)]
	}
	if v.PacketType == AudioPacketTypeMultichannelConfig {
		if err := checkMultichannelConfig(v.Data); err != nil {
			return err
		}
	}
	*t = v
	return nil
}

// Audio channel orders of a multichannel configuration.
const (
	audioChannelOrderNative = 1 // a 32-bit mask of the channels present
	audioChannelOrderCustom = 2 // one byte per channel
)

// checkMultichannelConfig checks that a multichannel configuration holds
// what it announces: order and channel count, then channelCount bytes of
// mapping for the custom order or a 4-byte mask for the native order.
// Errors: ErrTruncated.
func checkMultichannelConfig(b []byte) error {
	if len(b) < 2 {
		return fmt.Errorf("%w: multichannel configuration of %d bytes, header needs 2", ErrTruncated, len(b))
	}
	need := 2
	switch b[0] {
	case audioChannelOrderNative:
		need += 4
	case audioChannelOrderCustom:
		need += int(b[1])
	}
	if len(b) < need {
		return fmt.Errorf("%w: multichannel configuration (order %d, %d channels) of %d bytes, needs %d",
			ErrTruncated, b[0], b[1], len(b), need)
	}
	return nil
}
