package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"onair/internal/media"
)

var casesAudioTag = []codecCase[AudioTag]{
	{
		"sequence header, 48000 Hz stereo",
		hexBytes("af 00 11 90"),
		AudioTag{SoundFormat: SoundFormatAAC, AACPacketType: AACPacketTypeSequenceHeader, Data: hexBytes("11 90")},
	},
	{
		"raw access unit",
		hexBytes("af 01 21 10 04 60 8c 1c"),
		AudioTag{SoundFormat: SoundFormatAAC, AACPacketType: AACPacketTypeRaw, Data: hexBytes("21 10 04 60 8c 1c")},
	},
	{
		"raw, empty",
		hexBytes("af 01"),
		AudioTag{SoundFormat: SoundFormatAAC, AACPacketType: AACPacketTypeRaw, Data: []byte{}},
	},
}

var codecAudioTag = methodCodec[AudioTag]()

func TestAudioTagUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesAudioTag, codecAudioTag.unmarshal)
}

func TestAudioTagMarshal(t *testing.T) {
	runMarshalCases(t, casesAudioTag, codecAudioTag.marshal)
}

func TestAudioTagUnmarshalIgnoresRateSizeType(t *testing.T) {
	// AAC, 22 kHz, 8-bit, mono: players ignore these bits for AAC.
	var tag AudioTag
	if err := tag.Unmarshal(hexBytes("a8 01 21 10")); err != nil {
		t.Fatal(err)
	}
	want := AudioTag{SoundFormat: SoundFormatAAC, AACPacketType: AACPacketTypeRaw, Data: hexBytes("21 10")}
	if !reflect.DeepEqual(tag, want) {
		t.Fatalf("got %+v, want %+v", tag, want)
	}
}

func TestAudioTagUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"1 byte", hexBytes("af"), ErrTruncated},
		{"MP3", hexBytes("2f 01 ff fb"), ErrUnsupportedCodec},
		{"Opus as sound format 13", hexBytes("d0 01"), ErrUnsupportedCodec},
	}, AudioTag{AACPacketType: 42})
}

func TestAudioTagMarshalError(t *testing.T) {
	tag := AudioTag{SoundFormat: 2, Data: hexBytes("ff fb")}
	if _, err := tag.Marshal(); !errors.Is(err, ErrUnsupportedCodec) {
		t.Fatalf("got %v, want %v", err, ErrUnsupportedCodec)
	}
}

func TestAudioPacketBody(t *testing.T) {
	for _, ca := range []struct {
		name   string
		packet media.Packet
		body   []byte
		ts     uint32
	}{
		{
			"1024 samples at 44100 Hz",
			media.Packet{Codec: media.CodecAAC, DTS: 1024 * time.Second / 44100, PTS: 1024 * time.Second / 44100, Data: hexBytes("21 10 04 60")},
			hexBytes("af 01 21 10 04 60"),
			23,
		},
		{
			"negative DTS of encoder priming",
			media.Packet{Codec: media.CodecAAC, DTS: -1024 * time.Second / 48000, PTS: -1024 * time.Second / 48000, Data: hexBytes("de 02")},
			hexBytes("af 01 de 02"),
			0,
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			body, ts, err := AudioPacketBody(&ca.packet)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, ca.body) || ts != ca.ts {
				t.Fatalf("got % x at %d ms, want % x at %d ms", body, ts, ca.body, ca.ts)
			}
		})
	}
}

func TestAudioPacketBodyError(t *testing.T) {
	runErrorCases(t, []errorCase[media.Packet]{
		{"H.264 packet", media.Packet{Codec: media.CodecH264, Data: hexBytes("00 00 01 65")}, ErrUnsupportedCodec},
		{"empty", media.Packet{Codec: media.CodecAAC}, ErrEmptyPacket},
	}, func(p media.Packet) error {
		_, _, err := AudioPacketBody(&p)
		return err
	})
}

func TestAudioSequenceHeader(t *testing.T) {
	for _, ca := range []struct {
		name string
		cfg  media.CodecConfig
		want []byte
	}{
		{
			"extradata sent as it is",
			media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("11 90"), SampleRate: 44100, Channels: 1},
			hexBytes("af 00 11 90"),
		},
		{
			"HE-AAC extradata kept whole",
			media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("2b 92 08 00")},
			hexBytes("af 00 2b 92 08 00"),
		},
		{
			"made from sample rate and channels",
			media.CodecConfig{Codec: media.CodecAAC, SampleRate: 44100, Channels: 2},
			hexBytes("af 00 12 10"),
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			got, err := AudioSequenceHeader(&ca.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, ca.want) {
				t.Fatalf("got % x, want % x", got, ca.want)
			}
		})
	}
}

func TestAudioSequenceHeaderError(t *testing.T) {
	runErrorCases(t, []errorCase[media.CodecConfig]{
		{"H.264", media.CodecConfig{Codec: media.CodecH264, Extradata: hexBytes("11 90")}, ErrUnsupportedCodec},
		{"reserved frequency index", media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("16 90")}, ErrInvalidASC},
		{"truncated extradata", media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("11")}, ErrTruncated},
		{"no extradata, 7 channels", media.CodecConfig{Codec: media.CodecAAC, SampleRate: 48000, Channels: 7}, ErrOutOfRange},
		{"no extradata, no sample rate", media.CodecConfig{Codec: media.CodecAAC, Channels: 2}, ErrOutOfRange},
	}, func(cfg media.CodecConfig) error {
		_, err := AudioSequenceHeader(&cfg)
		return err
	})
}

func FuzzAudioTagUnmarshal(f *testing.F) {
	seedFuzz(f, casesAudioTag)
	fuzzRoundTrip(f, codecAudioTag, func(t *testing.T, b []byte, _ AudioTag, enc []byte) {
		// The rate, size and type bits are normalized; the rest is kept.
		if enc[0] != 0xaf || !bytes.Equal(enc[1:], b[1:]) {
			t.Fatalf("round trip: got % x from % x", enc, b)
		}
	})
}
