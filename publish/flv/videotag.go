package flv

import (
	"fmt"

	"onair/internal/media"
)

// FrameType is the frame type of an FLV video tag (the high 4 bits of its
// first byte).
type FrameType uint8

const (
	// FrameTypeKey is a key frame: for AVC, an IDR picture, and the
	// sequence header.
	FrameTypeKey FrameType = 1
	// FrameTypeInter is an inter frame.
	FrameTypeInter FrameType = 2
	// FrameTypeDisposableInter is an inter frame no other frame refers to
	// (H.263 only).
	FrameTypeDisposableInter FrameType = 3
	// FrameTypeGeneratedKey is a key frame made by the server.
	FrameTypeGeneratedKey FrameType = 4
	// FrameTypeCommand is a video info or command frame: its body is a
	// single command byte instead of a picture.
	FrameTypeCommand FrameType = 5
)

// CodecID is the codec of an FLV video tag (the low 4 bits of its first
// byte) in legacy tags, those without IsExHeader: this package handles AVC;
// enhanced tags name their codec by FourCC, see ExVideoTag.
type CodecID uint8

// CodecIDAVC is H.264.
const CodecIDAVC CodecID = 7

// AVCPacketType says what an AVC video tag carries.
type AVCPacketType uint8

const (
	// AVCPacketTypeSequenceHeader carries an AVCDecoderConfigurationRecord.
	AVCPacketTypeSequenceHeader AVCPacketType = 0
	// AVCPacketTypeNALU carries one picture as AVCC NAL units.
	AVCPacketTypeNALU AVCPacketType = 1
	// AVCPacketTypeEndOfSequence marks the end of the stream; no data.
	AVCPacketTypeEndOfSequence AVCPacketType = 2
)

// The composition time of an AVC video tag is a signed 24-bit number of
// milliseconds.
const (
	MinCompositionTime = -1 << 23
	MaxCompositionTime = 1<<23 - 1
)

// VideoTag is the body of an FLV video tag (tag type 9) carrying AVC: the
// VIDEODATA and AVCVIDEOPACKET structures of the FLV specification.
type VideoTag struct {
	FrameType FrameType
	// CodecID must be CodecIDAVC.
	CodecID       CodecID
	AVCPacketType AVCPacketType
	// CompositionTime is PTS minus DTS in milliseconds, MinCompositionTime
	// to MaxCompositionTime; negative values are allowed. It is 0 except
	// for AVCPacketTypeNALU.
	CompositionTime int32
	// Data is an AVCDecoderConfigurationRecord for
	// AVCPacketTypeSequenceHeader, AVCC NAL units with 4-byte lengths for
	// AVCPacketTypeNALU, empty for AVCPacketTypeEndOfSequence, and the
	// command byte for FrameTypeCommand (which has no AVCPacketType or
	// CompositionTime).
	Data []byte
}

// Marshal writes the tag body. Errors: ErrUnsupportedCodec (CodecID is not
// AVC), ErrOutOfRange (FrameType above 15, CompositionTime beyond 24 bits).
func (t *VideoTag) Marshal() ([]byte, error) {
	b, err := appendVideoTagHeader(make([]byte, 0, 5+len(t.Data)), t.FrameType, t.CodecID, t.AVCPacketType, t.CompositionTime)
	if err != nil {
		return nil, err
	}
	return append(b, t.Data...), nil
}

func appendVideoTagHeader(b []byte, ft FrameType, codec CodecID, pt AVCPacketType, cts int32) ([]byte, error) {
	if codec != CodecIDAVC {
		return nil, fmt.Errorf("%w: video codec ID %d, want %d (AVC)", ErrUnsupportedCodec, codec, CodecIDAVC)
	}
	if ft > 15 {
		return nil, fmt.Errorf("%w: frame type %d does not fit 4 bits", ErrOutOfRange, ft)
	}
	b = append(b, byte(ft)<<4|byte(codec))
	if ft == FrameTypeCommand {
		return b, nil
	}
	if cts < MinCompositionTime || cts > MaxCompositionTime {
		return nil, fmt.Errorf("%w: composition time (%d ms) is beyond %d..%d ms",
			ErrOutOfRange, cts, MinCompositionTime, MaxCompositionTime)
	}
	return append(b, byte(pt), byte(cts>>16), byte(cts>>8), byte(cts)), nil
}

// Unmarshal reads a tag body. Data aliases b. AVCPacketType is not checked:
// callers switch on it and skip what they do not know. On error t is left
// unchanged. Errors: ErrTruncated, ErrUnsupportedCodec.
func (t *VideoTag) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: video tag body is empty", ErrTruncated)
	}
	v := VideoTag{FrameType: FrameType(b[0] >> 4), CodecID: CodecID(b[0] & 0x0f)}
	if v.CodecID != CodecIDAVC {
		return fmt.Errorf("%w: video codec ID %d, want %d (AVC)", ErrUnsupportedCodec, v.CodecID, CodecIDAVC)
	}
	if v.FrameType == FrameTypeCommand {
		v.Data = b[1:len(b):len(b)]
		*t = v
		return nil
	}
	if len(b) < 5 {
		return fmt.Errorf("%w: AVC video tag body of %d bytes, header needs 5", ErrTruncated, len(b))
	}
	v.AVCPacketType = AVCPacketType(b[1])
	// Sign-extend the 24-bit value.
	v.CompositionTime = int32(uint32(b[2])<<24|uint32(b[3])<<16|uint32(b[4])<<8) >> 8
	v.Data = b[5:len(b):len(b)]
	*t = v
	return nil
}

// VideoPacketBody makes the body of the FLV video tag for an H.264 packet
// (AVCPacketType 1), and its tag timestamp.
//
// The packet's Annex-B NAL units become AVCC with 4-byte lengths. Access
// unit delimiters (type 9) are dropped: FLV frames pictures itself. So are
// SPS and PPS (types 7 and 8): they belong in the sequence header (see
// VideoSequenceHeader), and libx264 with the global-header flag does not
// repeat them anyway. If an encoder changes its parameter sets mid-stream,
// send a new sequence header before the packet. SEI (type 6) and all other
// NAL units are kept.
//
// The frame type is key when p.Key is set or the packet holds an IDR slice.
// The composition time is PTS-DTS rounded to whole milliseconds. The
// timestamp is DTS in whole milliseconds since the stream clock's zero,
// negative values clamped to 0; a muxer that needs another base or
// monotonic timestamps across packets runs p.DTS through a Timestamper
// instead.
//
// HEVC packets become an enhanced hvc1 tag (Enhanced RTMP v2) the same
// way: Annex-B to 4-byte lengths; delimiters (type 35) and VPS, SPS and
// PPS (32 to 34) dropped; key when p.Key is set or the packet holds an IRAP
// picture (types 16 to 23). A composition time of 0 gives CodedFramesX,
// which does not send it, as OBS does; others give CodedFrames. AV1
// packets become an av01 CodedFrames tag holding the temporal unit as it
// is, key when p.Key is set.
//
// Errors: ErrUnsupportedCodec (not H.264, HEVC or AV1), those of
// SplitAnnexB, ErrNoNALUs (only delimiters and parameter sets),
// ErrOutOfRange (composition time beyond 24 bits), ErrEmptyPacket (AV1).
func VideoPacketBody(p *media.Packet) ([]byte, uint32, error) {
	switch p.Codec {
	case media.CodecH264:
	case media.CodecHEVC:
		return hevcPacketBody(p)
	case media.CodecAV1:
		return av1PacketBody(p)
	default:
		return nil, 0, fmt.Errorf("%w: %v packet, want %v, %v or %v", ErrUnsupportedCodec, p.Codec,
			media.CodecH264, media.CodecHEVC, media.CodecAV1)
	}
	kept, ft, cts, err := pictureNALUs(p, "H.264", func(nalu []byte) (drop, key bool) {
		switch NALUTypeOf(nalu) {
		case NALUTypeAUD, NALUTypeSPS, NALUTypePPS:
			return true, false
		case NALUTypeIDR:
			return false, true
		}
		return false, false
	})
	if err != nil {
		return nil, 0, err
	}
	b := make([]byte, 0, 5+avccSize(kept))
	if b, err = appendVideoTagHeader(b, ft, CodecIDAVC, AVCPacketTypeNALU, cts); err != nil {
		return nil, 0, err
	}
	return appendAVCC(b, kept), tagTimestamp(p.DTS), nil
}

// pictureNALUs splits an H.264 or HEVC packet (Annex-B, the codec's name
// for messages) into the NAL units
// its tag carries, those classify does not drop (delimiters and parameter
// sets belong in the sequence header), and reads its frame type (key when
// p.Key is set or classify says a NAL unit makes the picture key) and its
// composition time, PTS-DTS in whole milliseconds. Errors: those of
// SplitAnnexB, ErrNoNALUs (only dropped NAL units), ErrOutOfRange
// (composition time beyond 24 bits).
func pictureNALUs(p *media.Packet, name string, classify func(nalu []byte) (drop, key bool)) ([][]byte, FrameType, int32, error) {
	nalus, err := SplitAnnexB(p.Data)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s packet: %w", name, err)
	}
	key := p.Key
	kept := nalus[:0]
	for _, nalu := range nalus {
		drop, k := classify(nalu)
		if drop {
			continue
		}
		key = key || k
		kept = append(kept, nalu)
	}
	if len(kept) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: %s packet of %d bytes holds only %d delimiters and parameter sets",
			ErrNoNALUs, name, len(p.Data), len(nalus))
	}
	ft := FrameTypeInter
	if key {
		ft = FrameTypeKey
	}
	cts := durationMS(p.PTS - p.DTS)
	if cts < MinCompositionTime || cts > MaxCompositionTime {
		return nil, 0, 0, fmt.Errorf("%w: composition time (%d ms) is beyond %d..%d ms",
			ErrOutOfRange, cts, MinCompositionTime, MaxCompositionTime)
	}
	return kept, ft, int32(cts), nil
}

// VideoSequenceHeader makes the body of the AVC sequence header tag
// (AVCPacketType 0, key frame, timestamp 0 or the first DTS) from an H.264
// configuration. Extradata in Annex-B form (libx264) becomes an
// AVCDecoderConfigurationRecord, see NewAVCDecoderConfigurationRecord;
// extradata that already is a record (it begins with 0x01, as some encoders
// give it) is checked and sent as it is.
//
// For HEVC it makes the enhanced hvc1 SequenceStart tag the same way, with
// an HEVCDecoderConfigurationRecord (see
// NewHEVCDecoderConfigurationRecord); a record given as extradata must
// list a VPS, an SPS and a PPS. For AV1 it makes the av01 SequenceStart
// tag from the av1C extradata, checked for its first byte 0x81.
//
// Errors: ErrUnsupportedCodec (not H.264, HEVC or AV1), those of
// NewAVCDecoderConfigurationRecord and NewHEVCDecoderConfigurationRecord,
// of the records' Marshal and Unmarshal, ErrMissingVPS, ErrMissingSPS,
// ErrMissingPPS (an HEVC record without them), ErrTruncated and
// ErrConfigurationVersion (AV1).
func VideoSequenceHeader(cfg *media.CodecConfig) ([]byte, error) {
	switch cfg.Codec {
	case media.CodecH264:
	case media.CodecHEVC:
		return hevcSequenceHeader(cfg)
	case media.CodecAV1:
		return av1SequenceHeader(cfg)
	default:
		return nil, fmt.Errorf("%w: %v configuration, want %v, %v or %v", ErrUnsupportedCodec, cfg.Codec,
			media.CodecH264, media.CodecHEVC, media.CodecAV1)
	}
	record := cfg.Extradata
	if len(record) > 0 && record[0] == 1 {
		var r AVCDecoderConfigurationRecord
		if err := r.Unmarshal(record); err != nil {
			return nil, fmt.Errorf("H.264 extradata: %w", err)
		}
	} else {
		r, err := NewAVCDecoderConfigurationRecord(cfg.Extradata)
		if err != nil {
			return nil, err
		}
		if record, err = r.Marshal(); err != nil {
			return nil, fmt.Errorf("AVC sequence header: %w", err)
		}
	}
	b := make([]byte, 0, 5+len(record))
	b = append(b, byte(FrameTypeKey)<<4|byte(CodecIDAVC), byte(AVCPacketTypeSequenceHeader), 0, 0, 0)
	return append(b, record...), nil
}

// VideoEndOfSequence returns the body of the AVC end-of-sequence tag
// (AVCPacketType 2) that FFmpeg writes after the last picture.
func VideoEndOfSequence() []byte {
	return []byte{byte(FrameTypeKey)<<4 | byte(CodecIDAVC), byte(AVCPacketTypeEndOfSequence), 0, 0, 0}
}
