// Package flv makes and reads FLV tag bodies for RTMP publishing and FLV
// files: H.264 (AVC) and AAC tag bodies with their sequence headers, the
// onMetaData script body in AMF0, and the FLV file framing that HTTP-FLV and
// recordings use.
//
// It is a protocol edge. Inside the pipeline, media.Packet and
// media.CodecConfig carry time as time.Duration on the stream clock and
// H.264 as Annex-B, the way FFmpeg's libx264 gives it with the global-header
// flag. FLV wants something else, and this package makes it:
//
//   - AVCC (NAL units with a 4-byte big-endian length prefix) instead of
//     Annex-B start codes, see SplitAnnexB and MarshalAVCC;
//   - an AVCDecoderConfigurationRecord built from the SPS and PPS as the AVC
//     sequence header, see VideoSequenceHeader;
//   - the AudioSpecificConfig as the AAC sequence header, see
//     AudioSequenceHeader;
//   - timestamps in whole milliseconds, uint32, made here and nowhere else:
//     see Timestamper and VideoPacketBody.
//
// One idea per file: annexb.go, avcc.go, nalu.go, sps.go, avcconfig.go and
// videotag.go for H.264; asc.go and audiotag.go for AAC; amf0.go and
// metadata.go for script data; file.go for the FLV header, tags and
// TagReader; timestamp.go for milliseconds; bits.go for bit fields.
//
// Parsers take a byte slice or an io.Reader, check every announced length
// against what remains and fail with a wrapped sentinel error, never a
// panic. What they return aliases their input unless a doc comment says
// otherwise.
//
// Specifications: Adobe Flash Video File Format Specification 10.1 (FLV),
// ITU-T H.264 Annex B and 7.3.2.1 (byte stream, SPS), ISO/IEC 14496-15 5.3.3
// (AVCDecoderConfigurationRecord), ISO/IEC 14496-3 1.6.2.1
// (AudioSpecificConfig), Adobe AMF0 File Format Specification.
package flv

import "errors"

// Errors shared by several parsers and writers. Each function documents the
// sentinels it returns; the wrapping message gives the numbers.
var (
	// ErrTruncated is returned by the Unmarshal functions and methods of
	// this package when the input ends before a field it announces: a NAL
	// unit length larger than the bytes that remain, a tag shorter than its
	// header, an AMF0 string cut short.
	ErrTruncated = errors.New("input truncated")

	// ErrOutOfRange is returned by the Marshal functions and methods and by
	// the constructors of this package when a value does not fit the field
	// that carries it: a composition time beyond the signed 24 bits of FLV,
	// more than 31 SPS in a decoder configuration, an AMF0 key longer than
	// 65535 bytes, a channel count AAC cannot signal.
	ErrOutOfRange = errors.New("value out of range")

	// ErrUnsupportedCodec is returned by VideoTag.Unmarshal and
	// AudioTag.Unmarshal when a tag carries a codec other than H.264 (codec
	// ID 7) or AAC (sound format 10), by the Marshal methods for such tags,
	// and by the packet and sequence-header helpers when the packet or
	// configuration is not of the codec they handle.
	ErrUnsupportedCodec = errors.New("unsupported codec")
)
