package media

import (
	"fmt"
	"time"
)

// Codec names a compressed format.
type Codec int

const (
	CodecH264 Codec = iota + 1
	CodecAAC
)

func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "h264"
	case CodecAAC:
		return "aac"
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

// IsVideo reports whether the codec carries pictures.
func (c Codec) IsVideo() bool { return c == CodecH264 }

// Packet is one encoded access unit.
//
// H.264 data is Annex-B (start-code delimited NAL units); AAC data is a raw
// access unit without ADTS header. PTS and DTS are on the stream clock of
// the frames they were made from and are kept apart: DTS <= PTS.
type Packet struct {
	Codec Codec
	PTS   time.Duration
	DTS   time.Duration
	// Key marks a packet that a decoder can start from (an IDR picture).
	Key  bool
	Data []byte
}

// CodecConfig describes an encoded track: what a muxer must send before the
// first packet (sequence header) and what goes into stream metadata.
type CodecConfig struct {
	Codec Codec
	// Extradata: for H.264 the SPS and PPS as Annex-B NAL units; for AAC the
	// AudioSpecificConfig.
	Extradata []byte
	// Bitrate is the target in bits per second.
	Bitrate int

	// Video.
	Width, Height int
	FrameRate     float64

	// Audio.
	SampleRate int
	Channels   int
}
