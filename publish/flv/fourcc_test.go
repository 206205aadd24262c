package flv

import (
	"testing"

	"onair/internal/media"
)

func TestFourCCString(t *testing.T) {
	for f, want := range map[FourCC]string{
		FourCCAVC: "avc1", FourCCHEVC: "hvc1", FourCCAV1: "av01", FourCCVP9: "vp09", FourCCVVC: "vvc1",
		FourCCOpus: "Opus", FourCCAAC: "mp4a", FourCCMP3: ".mp3", FourCCAC3: "ac-3", FourCCEAC3: "ec-3",
		FourCCFLAC: "fLaC", 0: "0x00000000", 0x61766301: "0x61766301",
	} {
		if got := f.String(); got != want {
			t.Errorf("%#x: got %q, want %q", uint32(f), got, want)
		}
	}
}

func TestFourCCCodec(t *testing.T) {
	for _, c := range []media.Codec{media.CodecH264, media.CodecAAC, media.CodecHEVC, media.CodecOpus, media.CodecAV1} {
		f, ok := FourCCOf(c)
		if !ok {
			t.Fatalf("FourCCOf(%v): not found", c)
		}
		if back, ok := f.Codec(); !ok || back != c {
			t.Errorf("%v -> %v -> %v, %v", c, f, back, ok)
		}
	}
	if f, ok := FourCCOf(media.Codec(99)); ok {
		t.Errorf("FourCCOf(99) = %v", f)
	}
	for _, f := range []FourCC{FourCCVP9, FourCCVVC, FourCCMP3, FourCCAC3, FourCCEAC3, FourCCFLAC, 0} {
		if c, ok := f.Codec(); ok {
			t.Errorf("%v.Codec() = %v", f, c)
		}
	}
}
