package flv

import (
	"fmt"

	"onair/internal/media"
)

// VideoInfo is what a reader needs of a video tag body, legacy (AVC, codec
// ID 7) or enhanced (FourCC) alike. See ParseVideo.
type VideoInfo struct {
	// Codec is H.264, HEVC or AV1; 0 for an enhanced command frame, which
	// names no codec.
	Codec media.Codec
	// Header: a sequence header (AVCPacketType 0, SequenceStart); Data is
	// the decoder configuration record (avcC, hvcC, av1C).
	Header bool
	// End: end of sequence; Data is empty.
	End bool
	// Key: a coded picture of frame type 1 (key frame) or 4 (generated key
	// frame, as FFmpeg reads it). Never set with Header, End, Command or
	// Metadata.
	Key bool
	// Command: frame type 5, a video info or command frame; Data is the
	// command byte (0 start of seek, 1 end of seek), no picture.
	Command bool
	// Metadata: an enhanced Metadata packet; Data is AMF0 data
	// (colorInfo), no picture.
	Metadata bool
	// CompositionTime is PTS minus DTS in milliseconds, for pictures.
	CompositionTime int32
	// Data is the record, or the picture: NAL units with 4-byte lengths
	// (AVC, HEVC) or OBUs (AV1). It aliases the body.
	Data []byte
}

// ParseVideo reads a video tag body, legacy or enhanced: it is what a
// server or player switches on. A coded picture has none of Header, End,
// Command and Metadata set. The picture data and records are not checked
// here: see UnmarshalAVCC, AVCDecoderConfigurationRecord and
// HEVCDecoderConfigurationRecord.
//
// Errors: ErrTruncated, ErrUnsupportedCodec (a legacy codec ID other than
// 7, a FourCC other than avc1, hvc1 and av01, a packet type it does not
// know: MPEG2TSSequenceStart, reserved types, multitrack types above 2),
// with the codec ID, FourCC or packet type in the message.
func ParseVideo(body []byte) (VideoInfo, error) {
	if len(body) == 0 {
		return VideoInfo{}, fmt.Errorf("%w: video tag body is empty", ErrTruncated)
	}
	if body[0]&exVideoHeaderBit == 0 {
		return parseLegacyVideo(body)
	}
	var t ExVideoTag
	if err := t.Unmarshal(body); err != nil {
		return VideoInfo{}, err
	}
	if t.FrameType == FrameTypeCommand && t.PacketType != VideoPacketTypeMetadata {
		return VideoInfo{Command: true, Data: t.Data}, nil
	}
	codec, ok := t.FourCC.Codec()
	if !ok || !codec.IsVideo() {
		return VideoInfo{}, fmt.Errorf("%w: video FourCC %v (packet type %d)", ErrUnsupportedCodec, t.FourCC, t.PacketType)
	}
	info := VideoInfo{Codec: codec, Data: t.Data}
	switch t.PacketType {
	case VideoPacketTypeSequenceStart:
		info.Header = true
	case VideoPacketTypeCodedFrames, VideoPacketTypeCodedFramesX:
		info.Key = isKeyFrameType(t.FrameType)
		info.CompositionTime = t.CompositionTime
	case VideoPacketTypeSequenceEnd:
		info.End = true
	case VideoPacketTypeMetadata:
		info.Metadata = true
	default:
		return VideoInfo{}, fmt.Errorf("%w: %v video packet type %d", ErrUnsupportedCodec, t.FourCC, t.PacketType)
	}
	return info, nil
}

func parseLegacyVideo(body []byte) (VideoInfo, error) {
	var t VideoTag
	if err := t.Unmarshal(body); err != nil {
		return VideoInfo{}, err
	}
	if t.FrameType == FrameTypeCommand {
		return VideoInfo{Codec: media.CodecH264, Command: true, Data: t.Data}, nil
	}
	info := VideoInfo{Codec: media.CodecH264, Data: t.Data}
	switch t.AVCPacketType {
	case AVCPacketTypeSequenceHeader:
		info.Header = true
	case AVCPacketTypeNALU:
		info.Key = isKeyFrameType(t.FrameType)
		info.CompositionTime = t.CompositionTime
	case AVCPacketTypeEndOfSequence:
		info.End = true
	default:
		return VideoInfo{}, fmt.Errorf("%w: AVC packet type %d", ErrUnsupportedCodec, t.AVCPacketType)
	}
	return info, nil
}

func isKeyFrameType(ft FrameType) bool {
	return ft == FrameTypeKey || ft == FrameTypeGeneratedKey
}

// IsKeyVideo reports whether a video tag body is a key frame a decoder can
// start from: a coded picture of frame type 1 or 4, legacy or enhanced, of
// any codec; not a sequence header, end of sequence, command or metadata
// tag. It is for GOP caches: it reads the headers only and never fails.
func IsKeyVideo(body []byte) bool {
	if len(body) == 0 {
		return false
	}
	if body[0]&exVideoHeaderBit == 0 {
		if !isKeyFrameType(FrameType(body[0] >> 4)) {
			return false
		}
		// AVC: a NALU packet, not a sequence header or end of sequence.
		// Other legacy codecs have no packet type.
		return CodecID(body[0]&0x0f) != CodecIDAVC || len(body) >= 5 && AVCPacketType(body[1]) == AVCPacketTypeNALU
	}
	var t ExVideoTag
	if t.Unmarshal(body) != nil {
		return false
	}
	return isKeyFrameType(t.FrameType) &&
		(t.PacketType == VideoPacketTypeCodedFrames || t.PacketType == VideoPacketTypeCodedFramesX)
}

// AudioInfo is what a reader needs of an audio tag body, legacy (AAC,
// sound format 10) or enhanced (FourCC) alike. See ParseAudio.
type AudioInfo struct {
	// Codec is AAC or Opus.
	Codec media.Codec
	// Header: a sequence header (AACPacketType 0, SequenceStart); Data is
	// the AudioSpecificConfig or the OpusHead.
	Header bool
	// End: an enhanced SequenceEnd; Data is empty.
	End bool
	// Multichannel: an enhanced MultichannelConfig; Data is the channel
	// order, count and mapping or mask, nothing to decode.
	Multichannel bool
	// Data is the configuration, or the coded audio: a raw AAC access
	// unit, Opus packets. It aliases the body.
	Data []byte
}

// ParseAudio reads an audio tag body, legacy or enhanced. Coded audio has
// none of Header, End and Multichannel set. Errors: ErrTruncated,
// ErrUnsupportedCodec (a legacy sound format other than 10, a FourCC other
// than mp4a and Opus, a packet type it does not know, multitrack types
// above 2), with the sound format, FourCC or packet type in the message.
func ParseAudio(body []byte) (AudioInfo, error) {
	if len(body) == 0 {
		return AudioInfo{}, fmt.Errorf("%w: audio tag body is empty", ErrTruncated)
	}
	if SoundFormat(body[0]>>4) != SoundFormatExHeader {
		var t AudioTag
		if err := t.Unmarshal(body); err != nil {
			return AudioInfo{}, err
		}
		switch t.AACPacketType {
		case AACPacketTypeSequenceHeader:
			return AudioInfo{Codec: media.CodecAAC, Header: true, Data: t.Data}, nil
		case AACPacketTypeRaw:
			return AudioInfo{Codec: media.CodecAAC, Data: t.Data}, nil
		}
		return AudioInfo{}, fmt.Errorf("%w: AAC packet type %d", ErrUnsupportedCodec, t.AACPacketType)
	}
	var t ExAudioTag
	if err := t.Unmarshal(body); err != nil {
		return AudioInfo{}, err
	}
	codec, ok := t.FourCC.Codec()
	if !ok || codec.IsVideo() {
		return AudioInfo{}, fmt.Errorf("%w: audio FourCC %v (packet type %d)", ErrUnsupportedCodec, t.FourCC, t.PacketType)
	}
	info := AudioInfo{Codec: codec, Data: t.Data}
	switch t.PacketType {
	case AudioPacketTypeSequenceStart:
		info.Header = true
	case AudioPacketTypeCodedFrames:
	case AudioPacketTypeSequenceEnd:
		info.End = true
	case AudioPacketTypeMultichannelConfig:
		info.Multichannel = true
	default:
		return AudioInfo{}, fmt.Errorf("%w: %v audio packet type %d", ErrUnsupportedCodec, t.FourCC, t.PacketType)
	}
	return info, nil
}

// PictureIsKey reports whether a coded picture, as VideoInfo.Data gives it,
// is one a decoder can start from, read from the data rather than the
// tag's frame type, which not every writer sets (gortmplib v1.0.1 writes
// enhanced tags with frame type 0): an H.264 picture with an IDR slice, an
// HEVC picture with an IRAP NAL unit (NAL units with 4-byte lengths), or
// an AV1 temporal unit that holds a sequence header OBU, as encoders put
// before each key frame. Data that does not parse is not key.
func PictureIsKey(c media.Codec, data []byte) bool {
	if c == media.CodecAV1 {
		obus, err := splitOBUs(data)
		if err != nil {
			return false
		}
		for _, obu := range obus {
			if (obu[0]>>3)&0x0f == obuTypeSequenceHeader {
				return true
			}
		}
		return false
	}
	nalus, err := UnmarshalAVCC(data, 4)
	if err != nil {
		return false
	}
	for _, nalu := range nalus {
		switch {
		case c == media.CodecH264 && NALUTypeOf(nalu) == NALUTypeIDR,
			c == media.CodecHEVC && HEVCNALUTypeOf(nalu).IsIRAP():
			return true
		}
	}
	return false
}

// Size is the picture size the record of a video sequence header says:
// from the SPS of an avcC or hvcC, or the sequence header of an av1C (its
// largest frame). ok is false for anything else, or a record that does not
// parse.
func (v VideoInfo) Size() (width, height int, ok bool) {
	if !v.Header {
		return 0, 0, false
	}
	switch v.Codec {
	case media.CodecH264:
		var rec AVCDecoderConfigurationRecord
		if rec.Unmarshal(v.Data) == nil && len(rec.SPS) > 0 {
			return SPSSize(rec.SPS[0])
		}
	case media.CodecHEVC:
		var rec HEVCDecoderConfigurationRecord
		if rec.Unmarshal(v.Data) == nil {
			if sps := rec.NALUs(HEVCNALUTypeSPS); len(sps) > 0 {
				return HEVCSPSSize(sps[0])
			}
		}
	case media.CodecAV1:
		return AV1RecordSize(v.Data)
	}
	return 0, 0, false
}

// Format is the sample rate and channel count an audio sequence header
// says: from the AudioSpecificConfig (AAC), or the OpusHead's channels at
// 48 kHz, the rate Opus decodes at whatever the input was. ok is false for
// anything else, or a configuration that does not parse.
func (a AudioInfo) Format() (rate, channels int, ok bool) {
	if !a.Header {
		return 0, 0, false
	}
	switch a.Codec {
	case media.CodecAAC:
		var asc AudioSpecificConfig
		if asc.Unmarshal(a.Data) == nil {
			return asc.SampleRate, asc.Channels(), true
		}
	case media.CodecOpus:
		var h OpusHead
		if h.Unmarshal(a.Data) == nil {
			return 48000, int(h.Channels), true
		}
	}
	return 0, 0, false
}
