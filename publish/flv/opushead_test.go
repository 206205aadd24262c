package flv

import (
	"reflect"
	"testing"
)

var casesOpusHead = []codecCase[OpusHead]{
	{
		"libopus 48 kHz stereo",
		libopusHead,
		OpusHead{Version: 1, Channels: 2, PreSkip: 312, InputSampleRate: 48000},
	},
	{
		"mono, negative gain",
		hexBytes("4f 70 75 73 48 65 61 64 01 01 38 01 44 ac 00 00 00 ff 00"),
		OpusHead{Version: 1, Channels: 1, PreSkip: 312, InputSampleRate: 44100, OutputGain: -256},
	},
	{
		"5.1, mapping family 1",
		hexBytes("4f 70 75 73 48 65 61 64 01 06 38 01 80 bb 00 00 00 00 01 04 02 00 04 01 02 03 05"),
		OpusHead{Version: 1, Channels: 6, PreSkip: 312, InputSampleRate: 48000, MappingFamily: 1,
			StreamCount: 4, CoupledCount: 2, ChannelMapping: hexBytes("00 04 01 02 03 05")},
	},
}

var codecOpusHead = methodCodec[OpusHead]()

func TestOpusHeadUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesOpusHead, codecOpusHead.unmarshal)
}

func TestOpusHeadMarshal(t *testing.T) {
	runMarshalCases(t, casesOpusHead, codecOpusHead.marshal)
}

func TestOpusHeadUnmarshalTrailingBytes(t *testing.T) {
	var h OpusHead
	if err := h.Unmarshal(append(append([]byte{}, libopusHead...), 0xaa)); err != nil || !reflect.DeepEqual(h, casesOpusHead[0].dec) {
		t.Fatalf("got %+v, %v", h, err)
	}
}

func TestOpusHeadUnmarshalError(t *testing.T) {
	head := func(change func(b []byte)) []byte {
		b := append([]byte{}, libopusHead...)
		change(b)
		return b
	}
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"18 bytes", libopusHead[:18], ErrTruncated},
		{"Ogg Vorbis header", hexBytes("01 76 6f 72 62 69 73 00 00 00 00 02 80 bb 00 00 00 00 00"), ErrInvalidOpusHead},
		{"version 16", head(func(b []byte) { b[8] = 16 }), ErrInvalidOpusHead},
		{"0 channels", head(func(b []byte) { b[9] = 0 }), ErrInvalidOpusHead},
		{"3 channels in family 0", head(func(b []byte) { b[9] = 3 }), ErrInvalidOpusHead},
		{"family 1 without mapping", head(func(b []byte) { b[18] = 1 }), ErrTruncated},
		{"family 1, 0 streams", append(head(func(b []byte) { b[18] = 1 }), 0, 0, 0, 1), ErrInvalidOpusHead},
		{"family 1, more coupled than streams", append(head(func(b []byte) { b[18] = 1 }), 1, 2, 0, 1), ErrInvalidOpusHead},
		{"family 1, mapping beyond streams", append(head(func(b []byte) { b[18] = 1 }), 1, 1, 0, 2), ErrInvalidOpusHead},
	}, OpusHead{PreSkip: 42})
}

func TestOpusHeadMarshalError(t *testing.T) {
	runErrorCases(t, []errorCase[OpusHead]{
		{"0 channels", OpusHead{Version: 1}, ErrInvalidOpusHead},
		{"version 16", OpusHead{Version: 16, Channels: 2}, ErrInvalidOpusHead},
		{"3 channels in family 0", OpusHead{Version: 1, Channels: 3}, ErrInvalidOpusHead},
		{"mapping in family 0", OpusHead{Version: 1, Channels: 1, ChannelMapping: []byte{0}}, ErrInvalidOpusHead},
		{"mapping shorter than channels", OpusHead{Version: 1, Channels: 2, MappingFamily: 1, StreamCount: 1, CoupledCount: 1, ChannelMapping: []byte{0}}, ErrInvalidOpusHead},
	}, func(h OpusHead) error {
		_, err := h.Marshal()
		return err
	})
}
