package flv

import (
	"errors"
	"fmt"

	"onair/internal/media"
)

// ErrEmptyPacket is returned by AudioPacketBody, and by VideoPacketBody for
// AV1, when the packet carries no data.
var ErrEmptyPacket = errors.New("empty packet")

// SoundFormat is the codec of an FLV audio tag (the high 4 bits of its first
// byte). This package handles AAC in legacy tags, and SoundFormatExHeader,
// the enhanced tags that name their codec by FourCC (see ExAudioTag).
type SoundFormat uint8

// SoundFormatAAC is AAC.
const SoundFormatAAC SoundFormat = 10

// aacHeader is the first byte of every AAC audio tag: sound format 10, rate
// index 3 (44 kHz), size 1 (16-bit), type 1 (stereo). The FLV specification
// says AAC always signals these, and that players ignore them and take rate
// and channels from the AudioSpecificConfig.
const aacHeader = byte(SoundFormatAAC)<<4 | 3<<2 | 1<<1 | 1

// AACPacketType says what an AAC audio tag carries.
type AACPacketType uint8

const (
	// AACPacketTypeSequenceHeader carries the AudioSpecificConfig.
	AACPacketTypeSequenceHeader AACPacketType = 0
	// AACPacketTypeRaw carries one raw AAC access unit (no ADTS header).
	AACPacketTypeRaw AACPacketType = 1
)

// AudioTag is the body of an FLV audio tag (tag type 8) carrying AAC: the
// AUDIODATA and AACAUDIODATA structures of the FLV specification.
type AudioTag struct {
	// SoundFormat must be SoundFormatAAC.
	SoundFormat   SoundFormat
	AACPacketType AACPacketType
	// Data is an AudioSpecificConfig for AACPacketTypeSequenceHeader, a
	// raw access unit for AACPacketTypeRaw.
	Data []byte
}

// Marshal writes the tag body; the rate, size and type bits are always 44
// kHz, 16-bit, stereo, as the FLV specification asks for AAC. Errors:
// ErrUnsupportedCodec (SoundFormat is not AAC).
func (t *AudioTag) Marshal() ([]byte, error) {
	if t.SoundFormat != SoundFormatAAC {
		return nil, fmt.Errorf("%w: sound format %d, want %d (AAC)", ErrUnsupportedCodec, t.SoundFormat, SoundFormatAAC)
	}
	b := make([]byte, 0, 2+len(t.Data))
	b = append(b, aacHeader, byte(t.AACPacketType))
	return append(b, t.Data...), nil
}

// Unmarshal reads a tag body. The rate, size and type bits are ignored, as
// players do for AAC: some writers set mono or other rates there. Data
// aliases b. AACPacketType is not checked: callers switch on it and skip
// what they do not know. On error t is left unchanged. Errors:
// ErrTruncated, ErrUnsupportedCodec.
func (t *AudioTag) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: audio tag body is empty", ErrTruncated)
	}
	if f := SoundFormat(b[0] >> 4); f != SoundFormatAAC {
		return fmt.Errorf("%w: sound format %d, want %d (AAC)", ErrUnsupportedCodec, f, SoundFormatAAC)
	}
	if len(b) < 2 {
		return fmt.Errorf("%w: AAC audio tag body of %d bytes, header needs 2", ErrTruncated, len(b))
	}
	*t = AudioTag{SoundFormat: SoundFormatAAC, AACPacketType: AACPacketType(b[1]), Data: b[2:len(b):len(b)]}
	return nil
}

// AudioPacketBody makes the body of the FLV audio tag for an AAC packet
// (AACPacketType 1, the raw access unit as it is), and its tag timestamp:
// DTS in whole milliseconds since the stream clock's zero, negative values
// (encoder priming) clamped to 0. A muxer that needs another base or
// monotonic timestamps runs p.DTS through a Timestamper instead.
//
// An Opus packet becomes an enhanced Opus CodedFrames tag (Enhanced RTMP
// v2) holding the packet as it is.
//
// Errors: ErrUnsupportedCodec (not AAC or Opus), ErrEmptyPacket.
func AudioPacketBody(p *media.Packet) ([]byte, uint32, error) {
	switch p.Codec {
	case media.CodecAAC:
	case media.CodecOpus:
		return opusPacketBody(p)
	default:
		return nil, 0, fmt.Errorf("%w: %v packet, want %v or %v", ErrUnsupportedCodec, p.Codec, media.CodecAAC, media.CodecOpus)
	}
	if len(p.Data) == 0 {
		return nil, 0, fmt.Errorf("%w: AAC packet at DTS %v", ErrEmptyPacket, p.DTS)
	}
	b := make([]byte, 0, 2+len(p.Data))
	b = append(b, aacHeader, byte(AACPacketTypeRaw))
	return append(b, p.Data...), tagTimestamp(p.DTS), nil
}

// AudioSequenceHeader makes the body of the AAC sequence header tag
// (AACPacketType 0) from an AAC configuration. The extradata, the encoder's
// AudioSpecificConfig, is checked and sent as it is. Without extradata, an
// AAC-LC configuration is made from SampleRate and Channels.
//
// For Opus it makes the enhanced Opus SequenceStart tag: the extradata,
// the encoder's OpusHead, is checked (see OpusHead.Unmarshal) and sent as
// it is. Opus needs extradata.
//
// Errors: ErrUnsupportedCodec (not AAC or Opus), those of
// AudioSpecificConfig.Unmarshal, NewAudioSpecificConfig and
// OpusHead.Unmarshal.
func AudioSequenceHeader(cfg *media.CodecConfig) ([]byte, error) {
	switch cfg.Codec {
	case media.CodecAAC:
	case media.CodecOpus:
		return opusSequenceHeader(cfg)
	default:
		return nil, fmt.Errorf("%w: %v configuration, want %v or %v", ErrUnsupportedCodec, cfg.Codec, media.CodecAAC, media.CodecOpus)
	}
	asc := cfg.Extradata
	if len(asc) > 0 {
		var c AudioSpecificConfig
		if err := c.Unmarshal(asc); err != nil {
			return nil, fmt.Errorf("AAC extradata: %w", err)
		}
	} else {
		c, err := NewAudioSpecificConfig(cfg.SampleRate, cfg.Channels)
		if err != nil {
			return nil, fmt.Errorf("AAC configuration without extradata: %w", err)
		}
		if asc, err = c.Marshal(); err != nil {
			return nil, fmt.Errorf("AAC configuration without extradata: %w", err)
		}
	}
	b := make([]byte, 0, 2+len(asc))
	b = append(b, aacHeader, byte(AACPacketTypeSequenceHeader))
	return append(b, asc...), nil
}
