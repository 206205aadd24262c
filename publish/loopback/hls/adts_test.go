package hls

import (
	"errors"
	"testing"

	"onair/publish/flv"
)

func TestADTSHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		asc    flv.AudioSpecificConfig
		auSize int
		want   string
	}{
		// 107 = 0x6b bytes in all: frame_length 0000001101011.
		{"48 kHz stereo LC", flv.AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2}, 100,
			"\xff\xf1\x4c\x80\x0d\x7f\xfc"},
		// The first ADTS header FFmpeg 5.1 wrote in an MPEG-TS file for
		// mono 48 kHz AAC-LC: a frame of 219 bytes.
		{"48 kHz mono LC", flv.AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 1}, 212,
			"\xff\xf1\x4c\x40\x1b\x7f\xfc"},
		{"44.1 kHz 5.1 LC", flv.AudioSpecificConfig{ObjectType: 2, SampleRate: 44100, ChannelConfig: 6}, 1000,
			"\xff\xf1\x51\x80\x7d\xff\xfc"},
		{"largest", flv.AudioSpecificConfig{ObjectType: 1, SampleRate: 8000, ChannelConfig: 7}, maxADTSFrameSize - 7,
			"\xff\xf1\x2d\xc3\xff\xff\xfc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newADTSConfig(&tc.asc)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got, err := appendADTSHeader(nil, c, tc.auSize)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if string(got) != tc.want {
				t.Errorf("%s:\ngot  % x\nwant % x", tc.name, got, tc.want)
			}
			// Read the fields back.
			profile := got[2] >> 6
			rate := got[2] >> 2 & 0x0f
			ch := got[2]&1<<2 | got[3]>>6
			size := int(got[3]&3)<<11 | int(got[4])<<3 | int(got[5]>>5)
			if int(profile)+1 != tc.asc.ObjectType || sampleRateIndex(tc.asc.SampleRate) != int(rate) ||
				int(ch) != tc.asc.ChannelConfig || size != 7+tc.auSize {
				t.Errorf("%s: read back profile %d rate index %d channels %d size %d", tc.name, profile, rate, ch, size)
			}
		})
	}
}

func TestADTSErrors(t *testing.T) {
	c, err := newADTSConfig(&flv.AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := appendADTSHeader(nil, c, maxADTSFrameSize-6); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("too large: %v", err)
	}
	for _, asc := range []flv.AudioSpecificConfig{
		{ObjectType: flv.AACObjectTypeSBR, SampleRate: 48000, ChannelConfig: 2},
		{ObjectType: 2, SampleRate: 50000, ChannelConfig: 2},
		{ObjectType: 2, SampleRate: 48000, ChannelConfig: 8},
	} {
		if _, err := newADTSConfig(&asc); !errors.Is(err, ErrUnsupportedCodec) {
			t.Errorf("%+v: %v", asc, err)
		}
	}
}
