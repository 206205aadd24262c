package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"onair/internal/media"
)

var casesParseVideo = []struct {
	name string
	body []byte
	want VideoInfo
}{
	{"legacy AVC sequence header", append(hexBytes("17 00 00 00 00"), x264HighRecord...),
		VideoInfo{Codec: media.CodecH264, Header: true, Data: x264HighRecord}},
	{"legacy AVC key frame", hexBytes("17 01 00 00 43 00 00 00 02 65 88"),
		VideoInfo{Codec: media.CodecH264, Key: true, CompositionTime: 67, Data: hexBytes("00 00 00 02 65 88")}},
	{"legacy AVC generated key frame", hexBytes("47 01 00 00 00 00 00 00 02 65 88"),
		VideoInfo{Codec: media.CodecH264, Key: true, Data: hexBytes("00 00 00 02 65 88")}},
	{"legacy AVC inter frame", hexBytes("27 01 ff ff df 00 00 00 02 41 9a"),
		VideoInfo{Codec: media.CodecH264, CompositionTime: -33, Data: hexBytes("00 00 00 02 41 9a")}},
	{"legacy AVC end of sequence", hexBytes("17 02 00 00 00"),
		VideoInfo{Codec: media.CodecH264, End: true, Data: []byte{}}},
	{"legacy AVC command", hexBytes("57 01"),
		VideoInfo{Codec: media.CodecH264, Command: true, Data: hexBytes("01")}},
	{"hvc1 SequenceStart", append(hexBytes("90 68 76 63 31"), x265MainRecord...),
		VideoInfo{Codec: media.CodecHEVC, Header: true, Data: x265MainRecord}},
	{"hvc1 CodedFrames key", hexBytes("91 68 76 63 31 00 00 43 00 00 00 03 26 01 af"),
		VideoInfo{Codec: media.CodecHEVC, Key: true, CompositionTime: 67, Data: hexBytes("00 00 00 03 26 01 af")}},
	{"hvc1 CodedFramesX inter", hexBytes("a3 68 76 63 31 00 00 00 02 02 01"),
		VideoInfo{Codec: media.CodecHEVC, Data: hexBytes("00 00 00 02 02 01")}},
	{"hvc1 SequenceEnd", hexBytes("92 68 76 63 31"),
		VideoInfo{Codec: media.CodecHEVC, End: true, Data: []byte{}}},
	{"hvc1 Metadata", hexBytes("94 68 76 63 31 02 00 01 61"),
		VideoInfo{Codec: media.CodecHEVC, Metadata: true, Data: hexBytes("02 00 01 61")}},
	{"avc1 CodedFrames", hexBytes("a1 61 76 63 31 00 00 21 00 00 00 02 41 9a"),
		VideoInfo{Codec: media.CodecH264, CompositionTime: 33, Data: hexBytes("00 00 00 02 41 9a")}},
	{"av01 SequenceStart", hexBytes("90 61 76 30 31 81 00 0c 00"),
		VideoInfo{Codec: media.CodecAV1, Header: true, Data: hexBytes("81 00 0c 00")}},
	{"av01 CodedFrames key", hexBytes("91 61 76 30 31 12 00 0a 0b"),
		VideoInfo{Codec: media.CodecAV1, Key: true, Data: hexBytes("12 00 0a 0b")}},
	{"enhanced command", hexBytes("d1 00"),
		VideoInfo{Command: true, Data: hexBytes("00")}},
	{"hvc1 with ModEx", hexBytes("97 02 00 01 02 01 68 76 63 31 00 00 43 00 00 00 02 26 01"),
		VideoInfo{Codec: media.CodecHEVC, Key: true, CompositionTime: 67, Data: hexBytes("00 00 00 02 26 01")}},
	{"hvc1 Multitrack OneTrack", hexBytes("96 01 68 76 63 31 00 00 00 43 00 00 00 02 26 01"),
		VideoInfo{Codec: media.CodecHEVC, Key: true, CompositionTime: 67, Data: hexBytes("00 00 00 02 26 01")}},
}

func TestParseVideo(t *testing.T) {
	for _, ca := range casesParseVideo {
		t.Run(ca.name, func(t *testing.T) {
			got, err := ParseVideo(ca.body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, ca.want) {
				t.Fatalf("got %+v, want %+v", got, ca.want)
			}
			if cap(got.Data) != len(got.Data) {
				t.Fatalf("Data capacity %d beyond its length %d", cap(got.Data), len(got.Data))
			}
			if IsKeyVideo(ca.body) != ca.want.Key {
				t.Fatalf("IsKeyVideo: %v", !ca.want.Key)
			}
			checkPrefixes(t, ca.name, ca.body, len(ca.body)-len(ca.want.Data), ParseVideo)
		})
	}
}

func TestParseVideoError(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"legacy AVC cut", hexBytes("17 01 00"), ErrTruncated},
		{"legacy Sorenson H.263", hexBytes("22 00 00 00 00"), ErrUnsupportedCodec},
		{"legacy HEVC as codec ID 12", hexBytes("1c 00 00 00 00"), ErrUnsupportedCodec},
		{"legacy AVC packet type 3", hexBytes("17 03 00 00 00"), ErrUnsupportedCodec},
		{"vp09", hexBytes("a1 76 70 30 39 aa bb"), ErrUnsupportedCodec},
		{"Opus FourCC in a video tag", hexBytes("91 4f 70 75 73 aa"), ErrUnsupportedCodec},
		{"MPEG2TSSequenceStart", hexBytes("95 61 76 30 31 aa"), ErrUnsupportedCodec},
		{"reserved packet type 8", hexBytes("98 68 76 63 31"), ErrUnsupportedCodec},
		{"hvc1 CodedFrames cut", hexBytes("91 68 76 63 31 00"), ErrTruncated},
	}, func(b []byte) error {
		_, err := ParseVideo(b)
		return err
	})
}

func TestIsKeyVideo(t *testing.T) {
	for _, ca := range []struct {
		name string
		body []byte
		key  bool
	}{
		{"legacy VP6 key frame", hexBytes("14 00 aa"), true},
		{"legacy VP6 inter frame", hexBytes("24 00 aa"), false},
		{"legacy AVC sequence header", append(hexBytes("17 00 00 00 00"), x264HighRecord...), false},
		{"legacy AVC cut", hexBytes("17 01"), false},
		{"vp09 key frame", hexBytes("91 76 70 30 39 aa bb"), true},
		{"hvc1 SequenceStart", append(hexBytes("90 68 76 63 31"), x265MainRecord...), false},
		{"hvc1 CodedFrames cut", hexBytes("91 68 76 63 31 00"), false},
		{"empty", nil, false},
	} {
		if got := IsKeyVideo(ca.body); got != ca.key {
			t.Errorf("%s: got %v, want %v", ca.name, got, ca.key)
		}
	}
}

var casesParseAudio = []struct {
	name string
	body []byte
	want AudioInfo
}{
	{"legacy AAC sequence header", hexBytes("af 00 11 90"),
		AudioInfo{Codec: media.CodecAAC, Header: true, Data: hexBytes("11 90")}},
	{"legacy AAC raw", hexBytes("af 01 21 10 04 60"),
		AudioInfo{Codec: media.CodecAAC, Data: hexBytes("21 10 04 60")}},
	{"Opus SequenceStart", append(hexBytes("90 4f 70 75 73"), libopusHead...),
		AudioInfo{Codec: media.CodecOpus, Header: true, Data: libopusHead}},
	{"Opus CodedFrames", hexBytes("91 4f 70 75 73 fc ff fe"),
		AudioInfo{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")}},
	{"Opus SequenceEnd", hexBytes("92 4f 70 75 73"),
		AudioInfo{Codec: media.CodecOpus, End: true, Data: []byte{}}},
	{"Opus MultichannelConfig", hexBytes("94 4f 70 75 73 01 06 00 00 00 3f"),
		AudioInfo{Codec: media.CodecOpus, Multichannel: true, Data: hexBytes("01 06 00 00 00 3f")}},
	{"mp4a SequenceStart", hexBytes("90 6d 70 34 61 11 90"),
		AudioInfo{Codec: media.CodecAAC, Header: true, Data: hexBytes("11 90")}},
	{"Opus with ModEx", hexBytes("97 02 00 01 02 01 4f 70 75 73 fc ff fe"),
		AudioInfo{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")}},
	{"Opus Multitrack OneTrack", hexBytes("95 01 4f 70 75 73 00 fc ff fe"),
		AudioInfo{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")}},
}

func TestParseAudio(t *testing.T) {
	for _, ca := range casesParseAudio {
		t.Run(ca.name, func(t *testing.T) {
			got, err := ParseAudio(ca.body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, ca.want) {
				t.Fatalf("got %+v, want %+v", got, ca.want)
			}
			header := len(ca.body) - len(ca.want.Data)
			if ca.want.Multichannel {
				header = len(ca.body)
			}
			checkPrefixes(t, ca.name, ca.body, header, ParseAudio)
		})
	}
}

func TestParseAudioError(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"legacy AAC cut", hexBytes("af"), ErrTruncated},
		{"legacy MP3", hexBytes("2f ff fb"), ErrUnsupportedCodec},
		{"legacy AAC packet type 2", hexBytes("af 02"), ErrUnsupportedCodec},
		{".mp3", hexBytes("91 2e 6d 70 33 ff fb"), ErrUnsupportedCodec},
		{"fLaC", hexBytes("91 66 4c 61 43 ff f8"), ErrUnsupportedCodec},
		{"hvc1 FourCC in an audio tag", hexBytes("91 68 76 63 31 aa"), ErrUnsupportedCodec},
		{"reserved packet type 3", hexBytes("93 4f 70 75 73"), ErrUnsupportedCodec},
		{"FourCC cut", hexBytes("91 4f 70"), ErrTruncated},
	}, func(b []byte) error {
		_, err := ParseAudio(b)
		return err
	})
}

// plainExTag reports whether an enhanced tag has neither ModEx nor
// multitrack framing, so that Marshal gives its bytes back.
func plainExTag(b []byte, multitrack uint8, command bool) bool {
	pt := b[0] & 0x0f
	return pt != packetTypeModEx && (pt != multitrack || command)
}

func FuzzParseVideo(f *testing.F) {
	for _, ca := range casesParseVideo {
		f.Add(ca.body)
	}
	seedFuzz(f, casesExVideoTag)
	seedFuzz(f, casesExVideoTagRead)
	seedFuzz(f, casesVideoTag)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseVideo(b)
		if err == nil {
			if cap(info.Data) != len(info.Data) {
				t.Fatalf("Data capacity %d beyond its length %d", cap(info.Data), len(info.Data))
			}
			if IsKeyVideo(b) != info.Key {
				t.Fatalf("IsKeyVideo %v, ParseVideo Key %v", !info.Key, info.Key)
			}
		} else if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrUnsupportedCodec) {
			t.Fatalf("error %v is neither %v nor %v", err, ErrTruncated, ErrUnsupportedCodec)
		}
		if len(b) == 0 {
			return
		}
		var enc []byte
		if b[0]&exVideoHeaderBit == 0 {
			var tag VideoTag
			if tag.Unmarshal(b) != nil {
				return
			}
			enc = codecVideoTag.roundTrip(t, tag)
			if !bytes.Equal(enc, b) {
				t.Fatalf("legacy round trip: got % x, want % x", enc, b)
			}
		} else {
			var tag ExVideoTag
			if tag.Unmarshal(b) != nil {
				return
			}
			enc = codecExVideoTag.roundTrip(t, tag)
			command := tag.FrameType == FrameTypeCommand && tag.PacketType != VideoPacketTypeMetadata
			if plainExTag(b, byte(VideoPacketTypeMultitrack), command) && !bytes.Equal(enc, b) {
				t.Fatalf("round trip: got % x, want % x", enc, b)
			}
		}
		if err == nil {
			again, err := ParseVideo(enc)
			if err != nil || !reflect.DeepEqual(again, info) {
				t.Fatalf("remarshaled % x: got %+v, %v; want %+v", enc, again, err, info)
			}
		}
	})
}

func FuzzParseAudio(f *testing.F) {
	for _, ca := range casesParseAudio {
		f.Add(ca.body)
	}
	seedFuzz(f, casesExAudioTag)
	seedFuzz(f, casesExAudioTagRead)
	seedFuzz(f, casesAudioTag)
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseAudio(b)
		if err == nil {
			if cap(info.Data) != len(info.Data) {
				t.Fatalf("Data capacity %d beyond its length %d", cap(info.Data), len(info.Data))
			}
		} else if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrUnsupportedCodec) {
			t.Fatalf("error %v is neither %v nor %v", err, ErrTruncated, ErrUnsupportedCodec)
		}
		if len(b) == 0 {
			return
		}
		var enc []byte
		if SoundFormat(b[0]>>4) != SoundFormatExHeader {
			var tag AudioTag
			if tag.Unmarshal(b) != nil {
				return
			}
			enc = codecAudioTag.roundTrip(t, tag)
		} else {
			var tag ExAudioTag
			if tag.Unmarshal(b) != nil {
				return
			}
			enc = codecExAudioTag.roundTrip(t, tag)
			if plainExTag(b, byte(AudioPacketTypeMultitrack), false) && !bytes.Equal(enc, b) {
				t.Fatalf("round trip: got % x, want % x", enc, b)
			}
		}
		if err == nil {
			again, err := ParseAudio(enc)
			if err != nil || !reflect.DeepEqual(again, info) {
				t.Fatalf("remarshaled % x: got %+v, %v; want %+v", enc, again, err, info)
			}
		}
	})
}

// PictureIsKey reads keyness from the data: IDR (H.264), IRAP (HEVC), a
// sequence header OBU (AV1); anything that does not parse is not key.
func TestPictureIsKey(t *testing.T) {
	for _, c := range []struct {
		name  string
		codec media.Codec
		data  string
		want  bool
	}{
		{"h264 IDR after SEI", media.CodecH264, "00 00 00 02 06 05 00 00 00 02 65 88", true},
		{"h264 non-IDR", media.CodecH264, "00 00 00 02 41 9a", false},
		{"h264 cut short", media.CodecH264, "00 00 00 09 65", false},
		{"hevc IDR_W_RADL", media.CodecHEVC, "00 00 00 03 26 01 af", true},
		{"hevc CRA", media.CodecHEVC, "00 00 00 03 2a 01 af", true},
		{"hevc TRAIL_R", media.CodecHEVC, "00 00 00 03 02 01 d0", false},
		{"av1 TD, sequence header, frame", media.CodecAV1, "12 00 0a 02 00 00 32 01 00", true},
		{"av1 TD, frame", media.CodecAV1, "12 00 32 01 00", false},
		{"av1 without sizes", media.CodecAV1, "08 00 00", false},
		{"aac", media.CodecAAC, "00 00 00 02 65 88", false},
	} {
		if got := PictureIsKey(c.codec, hexBytes(c.data)); got != c.want {
			t.Errorf("%s: PictureIsKey = %v, want %v", c.name, got, c.want)
		}
	}
}

// Size and Format read what a sequence header's record says; anything that
// is not a header, or does not parse, says nothing.
func TestSequenceHeaderFacts(t *testing.T) {
	hevc, err := ParseVideo(append(hexBytes("90 68 76 63 31"), x265MainRecord...))
	if err != nil {
		t.Fatal(err)
	}
	if w, h, ok := hevc.Size(); !ok || w != 1280 || h != 720 {
		t.Errorf("HEVC record: %dx%d %v, want 1280x720", w, h, ok)
	}
	if _, _, ok := (VideoInfo{Codec: media.CodecHEVC, Data: x265MainRecord}).Size(); ok {
		t.Error("a picture (not a header) gave a size")
	}
	for _, c := range []struct {
		info     AudioInfo
		rate, ch int
		ok       bool
	}{
		{AudioInfo{Codec: media.CodecAAC, Header: true, Data: hexBytes("12 08")}, 44100, 1, true},
		{AudioInfo{Codec: media.CodecOpus, Header: true, Data: libopusHead}, 48000, 2, true},
		{AudioInfo{Codec: media.CodecOpus, Header: true, Data: hexBytes("4f 70")}, 0, 0, false},
		{AudioInfo{Codec: media.CodecAAC, Data: hexBytes("12 08")}, 0, 0, false},
	} {
		rate, ch, ok := c.info.Format()
		if rate != c.rate || ch != c.ch || ok != c.ok {
			t.Errorf("%v % x header %v: %d Hz %d ch %v, want %d Hz %d ch %v", c.info.Codec, c.info.Data, c.info.Header, rate, ch, ok, c.rate, c.ch, c.ok)
		}
	}
}
