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
	// CodecHEVC is H.265; in FLV it needs Enhanced RTMP (FourCC hvc1).
	CodecHEVC
	// CodecOpus is Opus; in FLV it needs Enhanced RTMP (FourCC Opus).
	CodecOpus
	// CodecAV1 is AV1; in FLV it needs Enhanced RTMP (FourCC av01).
	CodecAV1
)

func (c Codec) String() string {
	switch c {
	case CodecH264:
		return "h264"
	case CodecAAC:
		return "aac"
	case CodecHEVC:
		return "hevc"
	case CodecOpus:
		return "opus"
	case CodecAV1:
		return "av1"
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

// IsVideo reports whether the codec carries pictures.
func (c Codec) IsVideo() bool { return c == CodecH264 || c == CodecHEVC || c == CodecAV1 }

// Enhanced reports whether FLV and RTMP carry the codec only with Enhanced
// RTMP (FourCC tags), which a server must support.
func (c Codec) Enhanced() bool { return c == CodecHEVC || c == CodecOpus || c == CodecAV1 }

// Packet is one encoded access unit.
//
// H.264 and HEVC data is Annex-B (start-code delimited NAL units); AAC data
// is a raw access unit without ADTS header; Opus data is one Opus packet;
// AV1 data is a temporal unit of OBUs (low-overhead format, as ISOBMFF and
// FLV carry it). PTS and DTS are on the stream clock of
// the frames they were made from and are kept apart: DTS <= PTS.
type Packet struct {
	Codec Codec
	PTS   time.Duration
	DTS   time.Duration
	// Key marks a packet that a decoder can start from (an IDR picture).
	Key  bool
	Data []byte
	// Duration, when known, is how long the packet plays (a muxer that
	// wants it otherwise assumes the track's frame duration).
	Duration time.Duration
}

// CodecConfig describes an encoded track: what a muxer must send before the
// first packet (sequence header) and what goes into stream metadata.
type CodecConfig struct {
	Codec Codec
	// Extradata: for H.264 the SPS and PPS, for HEVC the VPS, SPS and PPS,
	// as Annex-B NAL units (or a decoder configuration record: avcC,
	// hvcC); for AAC the AudioSpecificConfig; for Opus the OpusHead
	// identification header (RFC 7845 5.1); for AV1 the
	// AV1CodecConfigurationRecord (av1C).
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
