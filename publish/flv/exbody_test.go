package flv

import (
	"bytes"
	"testing"
	"time"

	"onair/internal/media"
)

func TestVideoPacketBodyEnhanced(t *testing.T) {
	for _, ca := range []struct {
		name   string
		packet media.Packet
		body   []byte
		ts     uint32
	}{
		{
			"x265 IDR with delimiter, parameter sets and SEI: key, CodedFrames",
			media.Packet{
				Codec: media.CodecHEVC, DTS: time.Second, PTS: time.Second + 2*frameDuration30,
				Data: JoinAnnexB([][]byte{x265AUD, x265MainVPS, x265MainSPS, x265MainPPS, x265SEI, x265IDR}),
			},
			append(append(hexBytes("91 68 76 63 31 00 00 43 00 00 00 08"), x265SEI...), append(hexBytes("00 00 00 08"), x265IDR...)...),
			1000,
		},
		{
			"inter frame without composition time: CodedFramesX",
			media.Packet{Codec: media.CodecHEVC, DTS: 100 * time.Millisecond, PTS: 100 * time.Millisecond, Data: append(hexBytes("00 00 01"), x265Inter...)},
			append(hexBytes("a3 68 76 63 31 00 00 00 06"), x265Inter...),
			100,
		},
		{
			"Key flag without IRAP",
			media.Packet{Codec: media.CodecHEVC, Key: true, DTS: 0, PTS: -frameDuration30, Data: JoinAnnexB([][]byte{x265Inter})},
			append(hexBytes("91 68 76 63 31 ff ff df 00 00 00 06"), x265Inter...),
			0,
		},
		{
			"CRA is a key frame",
			media.Packet{Codec: media.CodecHEVC, Data: hexBytes("00 00 00 01 2a 01 ac")},
			hexBytes("93 68 76 63 31 00 00 00 03 2a 01 ac"),
			0,
		},
		{
			"AV1 key temporal unit",
			media.Packet{Codec: media.CodecAV1, Key: true, DTS: 40 * time.Millisecond, PTS: 40 * time.Millisecond, Data: hexBytes("12 00 0a 0b")},
			hexBytes("91 61 76 30 31 12 00 0a 0b"),
			40,
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			body, ts, err := VideoPacketBody(&ca.packet)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, ca.body) || ts != ca.ts {
				t.Fatalf("got % x at %d ms, want % x at %d ms", body, ts, ca.body, ca.ts)
			}
			info, err := ParseVideo(body)
			if err != nil {
				t.Fatal(err)
			}
			if info.Codec != ca.packet.Codec || info.Header || info.End {
				t.Fatalf("parsed as %+v", info)
			}
		})
	}
}

func TestVideoPacketBodyEnhancedError(t *testing.T) {
	runErrorCases(t, []errorCase[media.Packet]{
		{"Opus packet", media.Packet{Codec: media.CodecOpus, Data: hexBytes("fc ff")}, ErrUnsupportedCodec},
		{"HEVC, empty", media.Packet{Codec: media.CodecHEVC}, ErrNoNALUs},
		{"HEVC, AVCC instead of Annex-B", media.Packet{Codec: media.CodecHEVC, Data: hexBytes("00 00 00 03 26 01 af")}, ErrNoStartCode},
		{"HEVC, only parameter sets", media.Packet{Codec: media.CodecHEVC, Data: JoinAnnexB([][]byte{x265AUD, x265MainVPS, x265MainSPS, x265MainPPS})}, ErrNoNALUs},
		{"HEVC, composition time beyond 24 bits", media.Packet{Codec: media.CodecHEVC, PTS: 3 * time.Hour, Data: JoinAnnexB([][]byte{x265Inter})}, ErrOutOfRange},
		{"AV1, empty", media.Packet{Codec: media.CodecAV1}, ErrEmptyPacket},
	}, func(p media.Packet) error {
		_, _, err := VideoPacketBody(&p)
		return err
	})
}

func TestVideoSequenceHeaderEnhanced(t *testing.T) {
	want := append(hexBytes("90 68 76 63 31"), x265MainRecord...)
	for _, ca := range []struct {
		name string
		cfg  media.CodecConfig
		want []byte
	}{
		{"HEVC Annex-B extradata", media.CodecConfig{Codec: media.CodecHEVC, Extradata: JoinAnnexB([][]byte{x265MainVPS, x265MainSPS, x265MainPPS})}, want},
		{"HEVC record extradata", media.CodecConfig{Codec: media.CodecHEVC, Extradata: x265MainRecord}, want},
		{"AV1 av1C extradata", media.CodecConfig{Codec: media.CodecAV1, Extradata: hexBytes("81 00 0c 00 0a 0b")}, hexBytes("90 61 76 30 31 81 00 0c 00 0a 0b")},
	} {
		t.Run(ca.name, func(t *testing.T) {
			got, err := VideoSequenceHeader(&ca.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, ca.want) {
				t.Fatalf("got % x, want % x", got, ca.want)
			}
		})
	}
}

func TestVideoSequenceHeaderEnhancedError(t *testing.T) {
	runErrorCases(t, []errorCase[media.CodecConfig]{
		{"Opus", media.CodecConfig{Codec: media.CodecOpus, Extradata: libopusHead}, ErrUnsupportedCodec},
		{"HEVC, no extradata", media.CodecConfig{Codec: media.CodecHEVC}, ErrNoNALUs},
		{"HEVC, no VPS", media.CodecConfig{Codec: media.CodecHEVC, Extradata: JoinAnnexB([][]byte{x265MainSPS, x265MainPPS})}, ErrMissingVPS},
		{"HEVC, truncated record", media.CodecConfig{Codec: media.CodecHEVC, Extradata: x265MainRecord[:30]}, ErrTruncated},
		{"HEVC, record without arrays", media.CodecConfig{Codec: media.CodecHEVC, Extradata: casesHVCC[3].enc}, ErrMissingVPS},
		{"AV1, short", media.CodecConfig{Codec: media.CodecAV1, Extradata: hexBytes("81 00")}, ErrTruncated},
		{"AV1, OBU cut short", media.CodecConfig{Codec: media.CodecAV1, Extradata: hexBytes("0a 0b 00 00 00")}, ErrTruncated},
		{"AV1, OBU without a size", media.CodecConfig{Codec: media.CodecAV1, Extradata: hexBytes("08 00 00 00 00")}, ErrOutOfRange},
		{"AV1, no sequence header", media.CodecConfig{Codec: media.CodecAV1, Extradata: hexBytes("12 00 32 01 00")}, ErrNoSequenceHeader},
	}, func(cfg media.CodecConfig) error {
		_, err := VideoSequenceHeader(&cfg)
		return err
	})
}

func TestAudioBodiesOpus(t *testing.T) {
	body, ts, err := AudioPacketBody(&media.Packet{Codec: media.CodecOpus, DTS: 20 * time.Millisecond, PTS: 20 * time.Millisecond, Data: hexBytes("fc ff fe")})
	if want := hexBytes("91 4f 70 75 73 fc ff fe"); err != nil || !bytes.Equal(body, want) || ts != 20 {
		t.Fatalf("AudioPacketBody: got % x at %d ms, %v; want % x at 20 ms", body, ts, err, want)
	}
	head, err := AudioSequenceHeader(&media.CodecConfig{Codec: media.CodecOpus, Extradata: libopusHead})
	if want := append(hexBytes("90 4f 70 75 73"), libopusHead...); err != nil || !bytes.Equal(head, want) {
		t.Fatalf("AudioSequenceHeader: got % x, %v; want % x", head, err, want)
	}
	runErrorCases(t, []errorCase[media.CodecConfig]{
		{"no extradata", media.CodecConfig{Codec: media.CodecOpus, SampleRate: 48000, Channels: 2}, ErrTruncated},
		{"AudioSpecificConfig as extradata", media.CodecConfig{Codec: media.CodecOpus, Extradata: append(hexBytes("11 90"), libopusHead[2:]...)}, ErrInvalidOpusHead},
		{"HEVC", media.CodecConfig{Codec: media.CodecHEVC}, ErrUnsupportedCodec},
	}, func(cfg media.CodecConfig) error {
		_, err := AudioSequenceHeader(&cfg)
		return err
	})
	runErrorCases(t, []errorCase[media.Packet]{
		{"empty Opus packet", media.Packet{Codec: media.CodecOpus}, ErrEmptyPacket},
		{"AV1 packet", media.Packet{Codec: media.CodecAV1, Data: []byte{1}}, ErrUnsupportedCodec},
	}, func(p media.Packet) error {
		_, _, err := AudioPacketBody(&p)
		return err
	})
}
