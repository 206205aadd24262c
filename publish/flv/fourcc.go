package flv

import (
	"fmt"

	"onair/internal/media"
)

// FourCC names the codec of an enhanced (E-RTMP) video or audio tag: four
// ASCII characters, sent big-endian after the tag's first byte.
type FourCC uint32

// The FourCC values of the Enhanced RTMP v2 specification this package
// names.
const (
	FourCCAVC  FourCC = 'a'<<24 | 'v'<<16 | 'c'<<8 | '1' // H.264
	FourCCHEVC FourCC = 'h'<<24 | 'v'<<16 | 'c'<<8 | '1' // H.265
	FourCCAV1  FourCC = 'a'<<24 | 'v'<<16 | '0'<<8 | '1'
	FourCCVP9  FourCC = 'v'<<24 | 'p'<<16 | '0'<<8 | '9'
	FourCCVVC  FourCC = 'v'<<24 | 'v'<<16 | 'c'<<8 | '1' // H.266

	FourCCOpus FourCC = 'O'<<24 | 'p'<<16 | 'u'<<8 | 's'
	FourCCAAC  FourCC = 'm'<<24 | 'p'<<16 | '4'<<8 | 'a'
	FourCCMP3  FourCC = '.'<<24 | 'm'<<16 | 'p'<<8 | '3'
	FourCCAC3  FourCC = 'a'<<24 | 'c'<<16 | '-'<<8 | '3'
	FourCCEAC3 FourCC = 'e'<<24 | 'c'<<16 | '-'<<8 | '3'
	FourCCFLAC FourCC = 'f'<<24 | 'L'<<16 | 'a'<<8 | 'C'
)

// String returns the four characters, or the value in hex when one of them
// is not printable ASCII.
func (f FourCC) String() string {
	b := []byte{byte(f >> 24), byte(f >> 16), byte(f >> 8), byte(f)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("0x%08x", uint32(f))
		}
	}
	return string(b)
}

// FourCCOf returns the FourCC of a codec; false for a codec it does not
// know.
func FourCCOf(c media.Codec) (FourCC, bool) {
	switch c {
	case media.CodecH264:
		return FourCCAVC, true
	case media.CodecHEVC:
		return FourCCHEVC, true
	case media.CodecAV1:
		return FourCCAV1, true
	case media.CodecAAC:
		return FourCCAAC, true
	case media.CodecOpus:
		return FourCCOpus, true
	}
	return 0, false
}

// Codec returns the media codec of the FourCC: H.264, HEVC, AV1, AAC or
// Opus; false for the others.
func (f FourCC) Codec() (media.Codec, bool) {
	for _, c := range []media.Codec{media.CodecH264, media.CodecHEVC, media.CodecAV1, media.CodecAAC, media.CodecOpus} {
		if g, _ := FourCCOf(c); g == f {
			return c, true
		}
	}
	return 0, false
}

// hasCompositionTime reports whether CodedFrames tags of the codec carry a
// composition time offset (SI24) before their data: the codecs with
// B-frame reordering in NAL units.
func (f FourCC) hasCompositionTime() bool {
	return f == FourCCAVC || f == FourCCHEVC || f == FourCCVVC
}
