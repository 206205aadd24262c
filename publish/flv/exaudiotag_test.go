package flv

import "testing"

// libopusHead is the OpusHead FFmpeg's libopus encoder gives for 48 kHz
// stereo: version 1, pre-skip 312, mapping family 0.
var libopusHead = hexBytes("4f 70 75 73 48 65 61 64 01 02 38 01 80 bb 00 00 00 00 00")

var casesExAudioTag = []codecCase[ExAudioTag]{
	{
		"Opus SequenceStart",
		append(hexBytes("90 4f 70 75 73"), libopusHead...),
		ExAudioTag{PacketType: AudioPacketTypeSequenceStart, FourCC: FourCCOpus, Data: libopusHead},
	},
	{
		"Opus CodedFrames",
		hexBytes("91 4f 70 75 73 fc ff fe"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCOpus, Data: hexBytes("fc ff fe")},
	},
	{
		"mp4a SequenceStart",
		hexBytes("90 6d 70 34 61 11 90"),
		ExAudioTag{PacketType: AudioPacketTypeSequenceStart, FourCC: FourCCAAC, Data: hexBytes("11 90")},
	},
	{
		"Opus SequenceEnd",
		hexBytes("92 4f 70 75 73"),
		ExAudioTag{PacketType: AudioPacketTypeSequenceEnd, FourCC: FourCCOpus, Data: []byte{}},
	},
	{
		"Opus MultichannelConfig, native order",
		hexBytes("94 4f 70 75 73 01 06 00 00 00 3f"),
		ExAudioTag{PacketType: AudioPacketTypeMultichannelConfig, FourCC: FourCCOpus, Data: hexBytes("01 06 00 00 00 3f")},
	},
	{
		"Opus MultichannelConfig, custom order",
		hexBytes("94 4f 70 75 73 02 02 01 00"),
		ExAudioTag{PacketType: AudioPacketTypeMultichannelConfig, FourCC: FourCCOpus, Data: hexBytes("02 02 01 00")},
	},
	{
		"Opus MultichannelConfig, unspecified order",
		hexBytes("94 4f 70 75 73 00 02"),
		ExAudioTag{PacketType: AudioPacketTypeMultichannelConfig, FourCC: FourCCOpus, Data: hexBytes("00 02")},
	},
	{
		"fLaC CodedFrames",
		hexBytes("91 66 4c 61 43 ff f8"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCFLAC, Data: hexBytes("ff f8")},
	},
}

var casesExAudioTagRead = []codecCase[ExAudioTag]{
	{
		"ModEx TimestampOffsetNano skipped",
		hexBytes("97 02 00 01 02 01 4f 70 75 73 fc ff fe"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCOpus, Data: hexBytes("fc ff fe")},
	},
	{
		"Multitrack OneTrack",
		hexBytes("95 01 4f 70 75 73 00 fc ff fe"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCOpus, Data: hexBytes("fc ff fe")},
	},
	{
		"Multitrack ManyTracks: track 0 second",
		hexBytes("95 11 4f 70 75 73 01 00 00 01 aa 00 00 00 02 fc ff"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCOpus, Data: hexBytes("fc ff")},
	},
	{
		"Multitrack ManyTracksManyCodecs: mp4a track 0, Opus track 1",
		hexBytes("95 21 6d 70 34 61 00 00 00 02 21 10 4f 70 75 73 01 00 00 01 fc"),
		ExAudioTag{PacketType: AudioPacketTypeCodedFrames, FourCC: FourCCAAC, Data: hexBytes("21 10")},
	},
}

var codecExAudioTag = methodCodec[ExAudioTag]()

func TestExAudioTagUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesExAudioTag, codecExAudioTag.unmarshal)
	runUnmarshalCases(t, casesExAudioTagRead, codecExAudioTag.unmarshal)
}

func TestExAudioTagMarshal(t *testing.T) {
	runMarshalCases(t, casesExAudioTag, codecExAudioTag.marshal)
}

func TestExAudioTagRoundTrip(t *testing.T) {
	for _, ca := range append(append([]codecCase[ExAudioTag]{}, casesExAudioTag...), casesExAudioTagRead...) {
		t.Run(ca.name, func(t *testing.T) { codecExAudioTag.roundTrip(t, ca.dec) })
	}
}

func TestExAudioTagUnmarshalTruncated(t *testing.T) {
	for _, ca := range append(append([]codecCase[ExAudioTag]{}, casesExAudioTag...), casesExAudioTagRead...) {
		header := len(ca.enc) - len(ca.dec.Data)
		if ca.dec.PacketType == AudioPacketTypeMultichannelConfig {
			header = len(ca.enc)
		}
		checkPrefixes(t, ca.name, ca.enc, header, codecExAudioTag.unmarshal)
	}
}

func TestExAudioTagUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"legacy AAC tag", hexBytes("af 01 21 10"), ErrUnsupportedCodec},
		{"FourCC cut", hexBytes("91 4f 70"), ErrTruncated},
		{"ModEx data cut", hexBytes("97 03 00 00"), ErrTruncated},
		{"MultichannelConfig without channel count", hexBytes("94 4f 70 75 73 01"), ErrTruncated},
		{"MultichannelConfig mask cut", hexBytes("94 4f 70 75 73 01 06 00 00 00"), ErrTruncated},
		{"MultichannelConfig mapping cut", hexBytes("94 4f 70 75 73 02 03 00 01"), ErrTruncated},
		{"Multitrack type 3", hexBytes("95 31 4f 70 75 73 00"), ErrUnsupportedCodec},
		{"Multitrack nested", hexBytes("95 05 4f 70 75 73 00"), ErrUnsupportedCodec},
		{"Multitrack track size beyond data", hexBytes("95 11 4f 70 75 73 00 00 00 03 fc"), ErrTruncated},
	}, ExAudioTag{PacketType: 42})
}

func TestExAudioTagMarshalError(t *testing.T) {
	runErrorCases(t, []errorCase[ExAudioTag]{
		{"packet type 16", ExAudioTag{PacketType: 16, FourCC: FourCCOpus}, ErrOutOfRange},
		{"ModEx", ExAudioTag{PacketType: AudioPacketTypeModEx, FourCC: FourCCOpus}, ErrUnsupportedCodec},
		{"Multitrack", ExAudioTag{PacketType: AudioPacketTypeMultitrack, FourCC: FourCCOpus}, ErrUnsupportedCodec},
		{"MultichannelConfig cut", ExAudioTag{PacketType: AudioPacketTypeMultichannelConfig, FourCC: FourCCOpus, Data: hexBytes("02 02 00")}, ErrTruncated},
	}, func(tag ExAudioTag) error {
		_, err := tag.Marshal()
		return err
	})
}
