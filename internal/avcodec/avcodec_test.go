package avcodec

import (
	"testing"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// Every codec OnAir carries has an FFmpeg decoder in Debian's build.
func TestIDHasDecoder(t *testing.T) {
	for _, c := range []media.Codec{media.CodecH264, media.CodecHEVC, media.CodecAV1, media.CodecAAC, media.CodecOpus} {
		id := ID(c)
		if id == astiav.CodecIDNone {
			t.Errorf("%v: no FFmpeg codec ID", c)
			continue
		}
		if astiav.FindDecoder(id) == nil {
			t.Errorf("%v: FFmpeg has no decoder for %v", c, id)
		}
	}
	if ID(media.Codec(99)) != astiav.CodecIDNone {
		t.Error("an unknown codec maps to an FFmpeg codec")
	}
}
