package flv

import (
	"encoding/binary"
	"fmt"
)

// VideoPacketType says what an enhanced video tag carries (the low 4 bits
// of its first byte, Enhanced RTMP v2).
type VideoPacketType uint8

const (
	// VideoPacketTypeSequenceStart carries the decoder configuration
	// record: avcC, hvcC, av1C, vpcC.
	VideoPacketTypeSequenceStart VideoPacketType = 0
	// VideoPacketTypeCodedFrames carries one picture; for avc1, hvc1 and
	// vvc1 after a composition time.
	VideoPacketTypeCodedFrames VideoPacketType = 1
	// VideoPacketTypeSequenceEnd marks the end of the stream; no data.
	VideoPacketTypeSequenceEnd VideoPacketType = 2
	// VideoPacketTypeCodedFramesX carries one picture with a composition
	// time of 0, not sent.
	VideoPacketTypeCodedFramesX VideoPacketType = 3
	// VideoPacketTypeMetadata carries AMF-encoded metadata (colorInfo), not
	// a picture; the frame type is ignored.
	VideoPacketTypeMetadata VideoPacketType = 4
	// VideoPacketTypeMPEG2TSSequenceStart carries an AV1 video descriptor
	// of MPEG-2 TS instead of a configuration record.
	VideoPacketTypeMPEG2TSSequenceStart VideoPacketType = 5
	// VideoPacketTypeMultitrack announces multitrack framing.
	VideoPacketTypeMultitrack VideoPacketType = 6
	// VideoPacketTypeModEx announces a modifier before the packet type.
	VideoPacketTypeModEx VideoPacketType = 7
)

// exVideoHeaderBit is bit 7 of the first byte of a video tag: IsExHeader,
// set for enhanced tags. Legacy tags have a 4-bit frame type below 8 there.
const exVideoHeaderBit = 0x80

// ExVideoTag is the body of an enhanced video tag (Enhanced RTMP v2,
// ExVideoTagHeader and ExVideoTagBody) for one track: the first byte with
// IsExHeader set, a 3-bit frame type and the packet type, then the FourCC.
type ExVideoTag struct {
	// FrameType is FrameTypeKey, FrameTypeInter, ..., FrameTypeCommand: 0
	// to 7.
	FrameType  FrameType
	PacketType VideoPacketType
	// FourCC is the codec; 0 for a command frame, which has none.
	FourCC FourCC
	// CompositionTime is PTS minus DTS in milliseconds, MinCompositionTime
	// to MaxCompositionTime. Only VideoPacketTypeCodedFrames of FourCCAVC,
	// FourCCHEVC and FourCCVVC carries one; it is 0 for all others.
	CompositionTime int32
	// Data is the configuration record (SequenceStart), the picture
	// (CodedFrames, CodedFramesX: NAL units with 4-byte lengths for AVC and
	// HEVC, OBUs for AV1), the AMF data (Metadata), empty (SequenceEnd), or
	// for FrameTypeCommand (unless PacketType is Metadata) the command byte
	// and anything after it.
	Data []byte
}

// Marshal writes the tag body as one track without modifiers. It writes
// PacketType as it is: VideoPacketBody picks CodedFramesX for pictures
// without composition time, as OBS does. Errors: ErrOutOfRange (FrameType
// above 7, PacketType above 15, a composition time beyond 24 bits or where
// the tag has none, a command frame without its command byte),
// ErrUnsupportedCodec (PacketType ModEx or Multitrack).
func (t *ExVideoTag) Marshal() ([]byte, error) {
	if t.FrameType > 7 {
		return nil, fmt.Errorf("%w: enhanced video frame type %d does not fit 3 bits", ErrOutOfRange, t.FrameType)
	}
	if t.PacketType > 15 {
		return nil, fmt.Errorf("%w: video packet type %d does not fit 4 bits", ErrOutOfRange, t.PacketType)
	}
	first := exVideoHeaderBit | byte(t.FrameType)<<4 | byte(t.PacketType)
	if t.PacketType == VideoPacketTypeModEx {
		return nil, fmt.Errorf("%w: Marshal does not write video packet type %d (ModEx)", ErrUnsupportedCodec, t.PacketType)
	}
	if t.FrameType == FrameTypeCommand && t.PacketType != VideoPacketTypeMetadata {
		if len(t.Data) == 0 {
			return nil, fmt.Errorf("%w: enhanced video command frame without its command byte", ErrOutOfRange)
		}
		if t.CompositionTime != 0 || t.FourCC != 0 {
			return nil, fmt.Errorf("%w: enhanced video command frame with FourCC %v and composition time %d ms; it has neither",
				ErrOutOfRange, t.FourCC, t.CompositionTime)
		}
		return append([]byte{first}, t.Data...), nil
	}
	if t.PacketType == VideoPacketTypeMultitrack {
		return nil, fmt.Errorf("%w: Marshal does not write video packet type %d (Multitrack)", ErrUnsupportedCodec, t.PacketType)
	}
	b := make([]byte, 0, 8+len(t.Data))
	b = append(b, first)
	b = binary.BigEndian.AppendUint32(b, uint32(t.FourCC))
	if t.PacketType == VideoPacketTypeCodedFrames && t.FourCC.hasCompositionTime() {
		cts := t.CompositionTime
		if cts < MinCompositionTime || cts > MaxCompositionTime {
			return nil, fmt.Errorf("%w: composition time (%d ms) is beyond %d..%d ms",
				ErrOutOfRange, cts, MinCompositionTime, MaxCompositionTime)
		}
		b = append(b, byte(cts>>16), byte(cts>>8), byte(cts))
	} else if t.CompositionTime != 0 {
		return nil, fmt.Errorf("%w: composition time %d ms in a %v tag of video packet type %d, which has none",
			ErrOutOfRange, t.CompositionTime, t.FourCC, t.PacketType)
	}
	return append(b, t.Data...), nil
}

// Unmarshal reads an enhanced video tag body. ModEx modifiers are skipped
// (their only kind, a nanosecond timestamp offset, is dropped). Of a
// multitrack tag it reads track 0, or the first track when none has ID 0,
// after checking the sizes of all; FrameType applies to every track. The
// FourCC and PacketType are not checked: callers switch on them and skip
// what they do not know (see ParseVideo). Data aliases b. On error t is
// left unchanged.
//
// Errors: ErrTruncated, ErrUnsupportedCodec (IsExHeader not set: a legacy
// tag, see VideoTag; a multitrack type above 2 or a nested Multitrack).
func (t *ExVideoTag) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: video tag body is empty", ErrTruncated)
	}
	if b[0]&exVideoHeaderBit == 0 {
		return fmt.Errorf("%w: video tag first byte 0x%02x has IsExHeader 0 (legacy codec ID %d)",
			ErrUnsupportedCodec, b[0], b[0]&0x0f)
	}
	ft := FrameType(b[0] >> 4 & 0x07)
	p, pos, err := skipModEx(b, 1, b[0]&0x0f)
	if err != nil {
		return fmt.Errorf("enhanced video tag: %w", err)
	}
	pt := VideoPacketType(p)
	if ft == FrameTypeCommand && pt != VideoPacketTypeMetadata {
		if pos == len(b) {
			return fmt.Errorf("%w: enhanced video command frame of %d bytes has no command byte", ErrTruncated, len(b))
		}
		*t = ExVideoTag{FrameType: ft, PacketType: pt, Data: b[pos:len(b):len(b)]}
		return nil
	}
	v := ExVideoTag{FrameType: ft, PacketType: pt}
	if pt == VideoPacketTypeMultitrack {
		track, err := readMultitrack(b, pos, byte(VideoPacketTypeMultitrack), "video")
		if err != nil {
			return err
		}
		v.PacketType, v.FourCC, v.Data = VideoPacketType(track.packetType), track.fourCC, track.data
	} else {
		if len(b)-pos < 4 {
			return fmt.Errorf("%w: enhanced video tag of %d bytes, FourCC at byte %d needs 4", ErrTruncated, len(b), pos)
		}
		v.FourCC = FourCC(binary.BigEndian.Uint32(b[pos:]))
		v.Data = b[pos+4 : len(b) : len(b)]
	}
	if v.PacketType == VideoPacketTypeCodedFrames && v.FourCC.hasCompositionTime() {
		d := v.Data
		if len(d) < 3 {
			return fmt.Errorf("%w: %v CodedFrames: composition time needs 3 bytes, %d remain", ErrTruncated, v.FourCC, len(d))
		}
		// Sign-extend the 24-bit value.
		v.CompositionTime = int32(uint32(d[0])<<24|uint32(d[1])<<16|uint32(d[2])<<8) >> 8
		v.Data = d[3:len(d):len(d)]
	}
	*t = v
	return nil
}
