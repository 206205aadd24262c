package flv

import (
	"fmt"

	"onair/internal/media"
)

// The enhanced (E-RTMP) tag bodies that VideoPacketBody,
// VideoSequenceHeader, AudioPacketBody and AudioSequenceHeader make for
// HEVC, AV1 and Opus.

// av1CMarker is the first byte of an AV1CodecConfigurationRecord: marker 1
// and version 1.
const av1CMarker = 0x81

// appendExVideoHeader appends the first byte and the FourCC of an enhanced
// video tag.
func appendExVideoHeader(b []byte, ft FrameType, pt VideoPacketType, f FourCC) []byte {
	return append(b, exVideoHeaderBit|byte(ft)<<4|byte(pt), byte(f>>24), byte(f>>16), byte(f>>8), byte(f))
}

// appendExAudioHeader appends the first byte and the FourCC of an enhanced
// audio tag.
func appendExAudioHeader(b []byte, pt AudioPacketType, f FourCC) []byte {
	return append(b, byte(SoundFormatExHeader)<<4|byte(pt), byte(f>>24), byte(f>>16), byte(f>>8), byte(f))
}

// hevcPacketBody is VideoPacketBody for HEVC.
func hevcPacketBody(p *media.Packet) ([]byte, uint32, error) {
	kept, ft, cts, err := pictureNALUs(p, "HEVC", func(nalu []byte) (drop, key bool) {
		switch typ := HEVCNALUTypeOf(nalu); {
		case typ == HEVCNALUTypeAUD, typ == HEVCNALUTypeVPS, typ == HEVCNALUTypeSPS, typ == HEVCNALUTypePPS:
			return true, false
		default:
			return false, typ.IsIRAP()
		}
	})
	if err != nil {
		return nil, 0, err
	}
	b := make([]byte, 0, 8+avccSize(kept))
	if cts == 0 {
		b = appendExVideoHeader(b, ft, VideoPacketTypeCodedFramesX, FourCCHEVC)
	} else {
		b = appendExVideoHeader(b, ft, VideoPacketTypeCodedFrames, FourCCHEVC)
		b = append(b, byte(cts>>16), byte(cts>>8), byte(cts))
	}
	return appendAVCC(b, kept), tagTimestamp(p.DTS), nil
}

// av1PacketBody is VideoPacketBody for AV1: the temporal unit as it is.
func av1PacketBody(p *media.Packet) ([]byte, uint32, error) {
	if len(p.Data) == 0 {
		return nil, 0, fmt.Errorf("%w: AV1 packet at DTS %v", ErrEmptyPacket, p.DTS)
	}
	ft := FrameTypeInter
	if p.Key {
		ft = FrameTypeKey
	}
	b := make([]byte, 0, 5+len(p.Data))
	b = appendExVideoHeader(b, ft, VideoPacketTypeCodedFrames, FourCCAV1)
	return append(b, p.Data...), tagTimestamp(p.DTS), nil
}

// hevcSequenceHeader is VideoSequenceHeader for HEVC.
func hevcSequenceHeader(cfg *media.CodecConfig) ([]byte, error) {
	record := cfg.Extradata
	if len(record) > 0 && record[0] == 1 {
		var r HEVCDecoderConfigurationRecord
		if err := r.Unmarshal(record); err != nil {
			return nil, fmt.Errorf("HEVC extradata: %w", err)
		}
		if err := r.checkParamSets(); err != nil {
			return nil, fmt.Errorf("HEVC extradata: %w", err)
		}
	} else {
		r, err := NewHEVCDecoderConfigurationRecord(cfg.Extradata)
		if err != nil {
			return nil, err
		}
		if record, err = r.Marshal(); err != nil {
			return nil, fmt.Errorf("HEVC sequence header: %w", err)
		}
	}
	b := make([]byte, 0, 5+len(record))
	b = appendExVideoHeader(b, FrameTypeKey, VideoPacketTypeSequenceStart, FourCCHEVC)
	return append(b, record...), nil
}

// av1SequenceHeader is VideoSequenceHeader for AV1: the av1C record,
// made from a sequence header OBU (NewAV1CodecConfigurationRecord) or
// given, checked for its marker, version and 4-byte size.
func av1SequenceHeader(cfg *media.CodecConfig) ([]byte, error) {
	record := cfg.Extradata
	if len(record) > 0 && record[0] != av1CMarker {
		var err error
		if record, err = NewAV1CodecConfigurationRecord(record); err != nil {
			return nil, err
		}
	}
	if len(record) < 4 {
		return nil, fmt.Errorf("%w: AV1 extradata of %d bytes, an av1C record needs 4", ErrTruncated, len(record))
	}
	if record[0] != av1CMarker {
		return nil, fmt.Errorf("%w: AV1 extradata begins with 0x%02x, want 0x%02x (av1C marker and version 1)",
			ErrConfigurationVersion, record[0], av1CMarker)
	}
	b := make([]byte, 0, 5+len(record))
	b = appendExVideoHeader(b, FrameTypeKey, VideoPacketTypeSequenceStart, FourCCAV1)
	return append(b, record...), nil
}

// opusPacketBody is AudioPacketBody for Opus.
func opusPacketBody(p *media.Packet) ([]byte, uint32, error) {
	if len(p.Data) == 0 {
		return nil, 0, fmt.Errorf("%w: Opus packet at DTS %v", ErrEmptyPacket, p.DTS)
	}
	b := make([]byte, 0, 5+len(p.Data))
	b = appendExAudioHeader(b, AudioPacketTypeCodedFrames, FourCCOpus)
	return append(b, p.Data...), tagTimestamp(p.DTS), nil
}

// opusSequenceHeader is AudioSequenceHeader for Opus.
func opusSequenceHeader(cfg *media.CodecConfig) ([]byte, error) {
	var h OpusHead
	if err := h.Unmarshal(cfg.Extradata); err != nil {
		return nil, fmt.Errorf("Opus extradata: %w", err)
	}
	b := make([]byte, 0, 5+len(cfg.Extradata))
	b = appendExAudioHeader(b, AudioPacketTypeSequenceStart, FourCCOpus)
	return append(b, cfg.Extradata...), nil
}
