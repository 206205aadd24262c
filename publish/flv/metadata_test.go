package flv

import (
	"reflect"
	"testing"

	"onair/internal/media"
)

var (
	testVideoConfig = media.CodecConfig{
		Codec: media.CodecH264, Extradata: JoinAnnexB([][]byte{x264HighSPS, x264HighPPS}),
		Bitrate: 2_500_000, Width: 1280, Height: 720, FrameRate: 30,
	}
	testAudioConfig = media.CodecConfig{
		Codec: media.CodecAAC, Extradata: hexBytes("11 90"),
		Bitrate: 128_000, SampleRate: 48000, Channels: 2,
	}
)

var casesMetadata = []struct {
	name         string
	video, audio *media.CodecConfig
	want         AMF0ECMAArray
}{
	{
		"video and audio",
		&testVideoConfig,
		&testAudioConfig,
		AMF0ECMAArray{
			{Key: "width", Value: 1280.0},
			{Key: "height", Value: 720.0},
			{Key: "framerate", Value: 30.0},
			{Key: "videocodecid", Value: 7.0},
			{Key: "videodatarate", Value: 2500.0},
			{Key: "audiocodecid", Value: 10.0},
			{Key: "audiodatarate", Value: 128.0},
			{Key: "audiosamplerate", Value: 48000.0},
			{Key: "audiosamplesize", Value: 16.0},
			{Key: "stereo", Value: true},
			{Key: "encoder", Value: "OnAir"},
		},
	},
	{
		"video only, fractional frame rate",
		&media.CodecConfig{Codec: media.CodecH264, Width: 640, Height: 360, FrameRate: 29.97, Bitrate: 800_000},
		nil,
		AMF0ECMAArray{
			{Key: "width", Value: 640.0},
			{Key: "height", Value: 360.0},
			{Key: "framerate", Value: 29.97},
			{Key: "videocodecid", Value: 7.0},
			{Key: "videodatarate", Value: 800.0},
			{Key: "encoder", Value: "OnAir"},
		},
	},
	{
		"audio only, rate and channels from the AudioSpecificConfig",
		nil,
		&media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("12 08")},
		AMF0ECMAArray{
			{Key: "audiocodecid", Value: 10.0},
			{Key: "audiosamplerate", Value: 44100.0},
			{Key: "audiosamplesize", Value: 16.0},
			{Key: "stereo", Value: false},
			{Key: "encoder", Value: "OnAir"},
		},
	},
	{
		"no tracks",
		nil,
		nil,
		AMF0ECMAArray{{Key: "encoder", Value: "OnAir"}},
	},
}

func TestMetadata(t *testing.T) {
	for _, ca := range casesMetadata {
		t.Run(ca.name, func(t *testing.T) {
			values, err := UnmarshalAMF0(Metadata(ca.video, ca.audio))
			if err != nil {
				t.Fatal(err)
			}
			want := []any{"onMetaData", ca.want}
			if !reflect.DeepEqual(values, want) {
				t.Fatalf("got %#v, want %#v", values, want)
			}
		})
	}
}

func TestMetadataMatchesMarshalAMF0(t *testing.T) {
	for _, ca := range casesMetadata {
		t.Run(ca.name, func(t *testing.T) {
			want, err := MarshalAMF0("onMetaData", ca.want)
			if err != nil {
				t.Fatal(err)
			}
			if got := Metadata(ca.video, ca.audio); !reflect.DeepEqual(got, want) {
				t.Fatalf("got % x, want % x", got, want)
			}
		})
	}
}

func TestSetDataFrame(t *testing.T) {
	values, err := UnmarshalAMF0(SetDataFrame(Metadata(&testVideoConfig, &testAudioConfig)))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"@setDataFrame", "onMetaData", casesMetadata[0].want}
	if !reflect.DeepEqual(values, want) {
		t.Fatalf("got %#v, want %#v", values, want)
	}
}
