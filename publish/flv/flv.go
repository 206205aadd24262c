// Package flv makes and reads FLV tag bodies for RTMP publishing and FLV
// files: H.264 (AVC) and AAC tag bodies with their sequence headers, the
// enhanced tags of Enhanced RTMP v2 (E-RTMP, veovera) for HEVC, AV1 and
// Opus, the onMetaData script body in AMF0, and the FLV file framing that
// HTTP-FLV and recordings use.
//
// It is a protocol edge. Inside the pipeline, media.Packet and
// media.CodecConfig carry time as time.Duration on the stream clock and
// H.264 and HEVC as Annex-B, the way FFmpeg's libx264 and libx265 give it
// with the global-header flag. FLV wants something else, and this package
// makes it:
//
//   - AVCC (NAL units with a 4-byte big-endian length prefix) instead of
//     Annex-B start codes, see SplitAnnexB and MarshalAVCC;
//   - an AVCDecoderConfigurationRecord built from the SPS and PPS as the AVC
//     sequence header, and an HEVCDecoderConfigurationRecord built from the
//     VPS, SPS and PPS as the HEVC one, see VideoSequenceHeader;
//   - the AudioSpecificConfig as the AAC sequence header, the OpusHead as
//     the Opus one, see AudioSequenceHeader;
//   - legacy tags (codec ID 7, sound format 10) for H.264 and AAC, so that
//     every server and player takes them, and enhanced tags (IsExHeader,
//     sound format 9, a FourCC) for HEVC, AV1 and Opus, see VideoPacketBody
//     and AudioPacketBody;
//   - timestamps in whole milliseconds, uint32, made here and nowhere else:
//     see Timestamper and VideoPacketBody.
//
// Readers (a server, a player) switch on ParseVideo and ParseAudio, which
// read legacy and enhanced tags alike, ModEx modifiers and multitrack tags
// included; IsKeyVideo serves GOP caches.
//
// One idea per file: annexb.go, avcc.go, nalu.go, sps.go, avcconfig.go and
// videotag.go for H.264; hevcnalu.go, hevcsps.go and hvcc.go for HEVC;
// asc.go and audiotag.go for AAC; opushead.go for Opus; fourcc.go,
// exheader.go (ModEx, multitrack), exvideotag.go, exaudiotag.go and
// exbody.go for enhanced tags; parse.go for the reading view; amf0.go and
// metadata.go for script data; file.go for the FLV header, tags and
// TagReader; timestamp.go for milliseconds; bits.go for bit fields.
//
// Parsers take a byte slice or an io.Reader, check every announced length
// against what remains and fail with a wrapped sentinel error, never a
// panic. What they return aliases their input unless a doc comment says
// otherwise.
//
// Specifications: Adobe Flash Video File Format Specification 10.1 (FLV),
// Enhanced RTMP v2 (veovera), ITU-T H.264 Annex B and 7.3.2.1 (byte
// stream, SPS), ITU-T H.265 7.3.2.2 and 7.3.3 (SPS, profile_tier_level),
// ISO/IEC 14496-15 5.3.3 and 8.3.3 (AVC and HEVC decoder configuration
// records), ISO/IEC 14496-3 1.6.2.1 (AudioSpecificConfig), RFC 7845 5.1
// (OpusHead), Adobe AMF0 File Format Specification.
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
	// ID 7) or AAC (sound format 10), by ExVideoTag.Unmarshal and
	// ExAudioTag.Unmarshal for a tag that is not enhanced or a multitrack
	// framing they do not know, by the Marshal methods for such tags, by
	// ParseVideo and ParseAudio for a codec ID, sound format, FourCC or
	// packet type they do not handle, and by the packet and
	// sequence-header helpers when the packet or configuration is not of a
	// codec they handle (H.264, HEVC and AV1; AAC and Opus).
	ErrUnsupportedCodec = errors.New("unsupported codec")
)
