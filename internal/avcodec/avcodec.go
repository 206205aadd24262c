// Package avcodec maps OnAir's codecs (internal/media) to FFmpeg's, for
// the packages that hand packets to FFmpeg's decoders and muxers.
package avcodec

import (
	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// ID is FFmpeg's codec ID for c, or CodecIDNone.
func ID(c media.Codec) astiav.CodecID {
	switch c {
	case media.CodecH264:
		return astiav.CodecIDH264
	case media.CodecHEVC:
		return astiav.CodecIDHevc
	case media.CodecAV1:
		// go-astiav v0.16.0 names no AV1 ID: take it from a decoder.
		for _, name := range []string{"libdav1d", "av1", "libaom-av1"} {
			if d := astiav.FindDecoderByName(name); d != nil {
				return d.ID()
			}
		}
	case media.CodecAAC:
		return astiav.CodecIDAac
	case media.CodecOpus:
		return astiav.CodecIDOpus
	}
	return astiav.CodecIDNone
}

// Codec is OnAir's codec for FFmpeg's id; 0 (no codec) for the others.
func Codec(id astiav.CodecID) media.Codec {
	switch id {
	case astiav.CodecIDH264:
		return media.CodecH264
	case astiav.CodecIDHevc:
		return media.CodecHEVC
	case astiav.CodecIDAac:
		return media.CodecAAC
	case astiav.CodecIDOpus:
		return media.CodecOpus
	case astiav.CodecIDNone:
		return 0
	}
	if id == ID(media.CodecAV1) {
		return media.CodecAV1
	}
	return 0
}
