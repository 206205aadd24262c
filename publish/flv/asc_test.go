package flv

import (
	"bytes"
	"errors"
	"testing"
)

var casesASC = []codecCase[AudioSpecificConfig]{
	{"AAC-LC 48000 Hz stereo", hexBytes("11 90"), AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2}},
	{"AAC-LC 44100 Hz stereo", hexBytes("12 10"), AudioSpecificConfig{ObjectType: 2, SampleRate: 44100, ChannelConfig: 2}},
	{"AAC-LC 44100 Hz mono", hexBytes("12 08"), AudioSpecificConfig{ObjectType: 2, SampleRate: 44100, ChannelConfig: 1}},
	{"AAC-LC 8000 Hz 7.1", hexBytes("15 b8"), AudioSpecificConfig{ObjectType: 2, SampleRate: 8000, ChannelConfig: 7}},
	{"explicit 37800 Hz (index 15)", hexBytes("17 80 49 d4 10"), AudioSpecificConfig{ObjectType: 2, SampleRate: 37800, ChannelConfig: 2}},
	{"object type 42 (escape 31)", hexBytes("f9 46 40"), AudioSpecificConfig{ObjectType: 42, SampleRate: 48000, ChannelConfig: 2}},
}

var codecASC = methodCodec[AudioSpecificConfig]()

func TestAudioSpecificConfigUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesASC, codecASC.unmarshal)
}

func TestAudioSpecificConfigMarshal(t *testing.T) {
	runMarshalCases(t, casesASC, codecASC.marshal)
}

func TestAudioSpecificConfigUnmarshalTolerant(t *testing.T) {
	runUnmarshalCases(t, []codecCase[AudioSpecificConfig]{
		{"HE-AAC with explicit SBR signalling", hexBytes("2b 92 08 00"), AudioSpecificConfig{ObjectType: 5, SampleRate: 22050, ChannelConfig: 2}},
		{"table rate sent explicitly", hexBytes("17 80 5d c0 10"), AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2}},
		{"GASpecificConfig cut", hexBytes("11 90")[:2], AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2}},
		{"frameLengthFlag set (960 samples)", hexBytes("11 94"), AudioSpecificConfig{ObjectType: 2, SampleRate: 48000, ChannelConfig: 2}},
	}, codecASC.unmarshal)
}

func TestAudioSpecificConfigUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"1 byte", hexBytes("12"), ErrTruncated},
		{"explicit rate truncated", hexBytes("17 80 49"), ErrTruncated},
		{"object type escape truncated", hexBytes("f9"), ErrTruncated},
		{"reserved frequency index 13", hexBytes("16 90"), ErrInvalidASC},
		{"object type 0", hexBytes("01 90"), ErrInvalidASC},
		{"explicit rate 0 Hz", hexBytes("17 80 00 00 10"), ErrInvalidASC},
	}, AudioSpecificConfig{SampleRate: 42})
}

func TestAudioSpecificConfigMarshalError(t *testing.T) {
	for _, c := range []AudioSpecificConfig{
		{ObjectType: 0, SampleRate: 48000, ChannelConfig: 2},
		{ObjectType: 96, SampleRate: 48000, ChannelConfig: 2},
		{ObjectType: 2, SampleRate: 0, ChannelConfig: 2},
		{ObjectType: 2, SampleRate: 1 << 24, ChannelConfig: 2},
		{ObjectType: 2, SampleRate: 48000, ChannelConfig: 16},
	} {
		if _, err := c.Marshal(); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Marshal of %+v: got %v, want %v", c, err, ErrOutOfRange)
		}
	}
}

func TestNewAudioSpecificConfig(t *testing.T) {
	for _, ca := range []struct {
		rate, channels int
		enc            []byte
		err            error
	}{
		{48000, 2, hexBytes("11 90"), nil},
		{44100, 2, hexBytes("12 10"), nil},
		{44100, 1, hexBytes("12 08"), nil},
		{8000, 8, hexBytes("15 b8"), nil},
		{37800, 2, hexBytes("17 80 49 d4 10"), nil},
		{44100, 7, nil, ErrOutOfRange},
		{44100, 0, nil, ErrOutOfRange},
		{0, 2, nil, ErrOutOfRange},
		{1 << 24, 2, nil, ErrOutOfRange},
	} {
		c, err := NewAudioSpecificConfig(ca.rate, ca.channels)
		if !errors.Is(err, ca.err) {
			t.Errorf("NewAudioSpecificConfig(%d, %d): got %v, want %v", ca.rate, ca.channels, err, ca.err)
			continue
		}
		if err != nil {
			continue
		}
		enc, err := c.Marshal()
		if err != nil || !bytes.Equal(enc, ca.enc) {
			t.Errorf("NewAudioSpecificConfig(%d, %d).Marshal() = % x, %v; want % x", ca.rate, ca.channels, enc, err, ca.enc)
		}
		if c.Channels() != ca.channels {
			t.Errorf("NewAudioSpecificConfig(%d, %d).Channels() = %d", ca.rate, ca.channels, c.Channels())
		}
	}
}

func TestAudioSpecificConfigChannels(t *testing.T) {
	for config, want := range map[int]int{0: 0, 1: 1, 2: 2, 6: 6, 7: 8, 8: 0, 15: 0} {
		c := AudioSpecificConfig{ChannelConfig: config}
		if got := c.Channels(); got != want {
			t.Errorf("channel configuration %d: got %d channels, want %d", config, got, want)
		}
	}
}

func FuzzAudioSpecificConfigUnmarshal(f *testing.F) {
	seedFuzz(f, casesASC)
	fuzzRoundTrip(f, codecASC, nil)
}
