package flv

import (
	"errors"
	"testing"
)

// casesExVideoTag marshal and unmarshal both ways, byte for byte.
var casesExVideoTag = []codecCase[ExVideoTag]{
	{
		"hvc1 SequenceStart",
		append(hexBytes("90 68 76 63 31"), x265MainRecord...),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeSequenceStart, FourCC: FourCCHEVC, Data: x265MainRecord},
	},
	{
		"hvc1 CodedFrames, key, composition time 67 ms",
		hexBytes("91 68 76 63 31 00 00 43 00 00 00 03 26 01 af"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: 67, Data: hexBytes("00 00 00 03 26 01 af")},
	},
	{
		"hvc1 CodedFrames, negative composition time",
		hexBytes("a1 68 76 63 31 ff ff df 00 00 00 02 02 01"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: -33, Data: hexBytes("00 00 00 02 02 01")},
	},
	{
		"hvc1 CodedFramesX, inter",
		hexBytes("a3 68 76 63 31 00 00 00 02 02 01"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, Data: hexBytes("00 00 00 02 02 01")},
	},
	{
		"avc1 CodedFrames, maximum composition time",
		hexBytes("a1 61 76 63 31 7f ff ff 00 00 00 02 41 9a"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCAVC, CompositionTime: MaxCompositionTime, Data: hexBytes("00 00 00 02 41 9a")},
	},
	{
		"av01 CodedFrames have no composition time",
		hexBytes("91 61 76 30 31 12 00 0a 0b"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCAV1, Data: hexBytes("12 00 0a 0b")},
	},
	{
		"vp09 CodedFrames",
		hexBytes("a1 76 70 30 39 aa bb"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCVP9, Data: hexBytes("aa bb")},
	},
	{
		"hvc1 SequenceEnd",
		hexBytes("92 68 76 63 31"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeSequenceEnd, FourCC: FourCCHEVC, Data: []byte{}},
	},
	{
		"hvc1 Metadata",
		hexBytes("94 68 76 63 31 02 00 09 63 6f 6c 6f 72 49 6e 66 6f 05"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeMetadata, FourCC: FourCCHEVC, Data: hexBytes("02 00 09 63 6f 6c 6f 72 49 6e 66 6f 05")},
	},
	{
		"command frame, end of seek, no FourCC",
		hexBytes("d1 01"),
		ExVideoTag{FrameType: FrameTypeCommand, PacketType: VideoPacketTypeCodedFrames, Data: hexBytes("01")},
	},
	{
		"command frame with packet type Multitrack is a command",
		hexBytes("d6 00"),
		ExVideoTag{FrameType: FrameTypeCommand, PacketType: VideoPacketTypeMultitrack, Data: hexBytes("00")},
	},
}

// casesExVideoTagRead unmarshal, but marshal to a single track without
// modifiers.
var casesExVideoTagRead = []codecCase[ExVideoTag]{
	{
		"ModEx TimestampOffsetNano skipped",
		hexBytes("97 02 00 01 02 01 68 76 63 31 00 00 43 00 00 00 02 26 01"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: 67, Data: hexBytes("00 00 00 02 26 01")},
	},
	{
		"ModEx with a 16-bit size",
		hexBytes("a7 ff 00 02 aa bb cc 03 68 76 63 31 00 00 00 02 02 01"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, Data: hexBytes("00 00 00 02 02 01")},
	},
	{
		"two ModEx in a row",
		hexBytes("a7 00 11 17 00 22 03 68 76 63 31 00 00 00 02 02 01"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, Data: hexBytes("00 00 00 02 02 01")},
	},
	{
		"ModEx before a command",
		hexBytes("d7 00 ff 01 00"),
		ExVideoTag{FrameType: FrameTypeCommand, PacketType: VideoPacketTypeCodedFrames, Data: hexBytes("00")},
	},
	{
		"Multitrack OneTrack",
		hexBytes("96 01 68 76 63 31 00 00 00 43 00 00 00 02 26 01"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: 67, Data: hexBytes("00 00 00 02 26 01")},
	},
	{
		"Multitrack OneTrack, track ID 3",
		append(hexBytes("96 00 68 76 63 31 03"), x265MainRecord...),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeSequenceStart, FourCC: FourCCHEVC, Data: x265MainRecord},
	},
	{
		"Multitrack ManyTracks: track 0 after track 1",
		hexBytes("a6 13 68 76 63 31 01 00 00 03 aa bb cc 00 00 00 02 dd ee"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, Data: hexBytes("dd ee")},
	},
	{
		"Multitrack ManyTracks without track 0: the first",
		hexBytes("a6 13 68 76 63 31 02 00 00 01 aa 01 00 00 02 dd ee"),
		ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, Data: hexBytes("aa")},
	},
	{
		"Multitrack ManyTracksManyCodecs: av01 track 0, hvc1 track 1",
		hexBytes("96 21 61 76 30 31 00 00 00 02 0a 0b 68 76 63 31 01 00 00 05 00 00 21 cc dd"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCAV1, Data: hexBytes("0a 0b")},
	},
	{
		"Multitrack ManyTracksManyCodecs: hvc1 track 0 second",
		hexBytes("96 21 61 76 30 31 01 00 00 02 0a 0b 68 76 63 31 00 00 00 05 00 00 21 cc dd"),
		ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: 33, Data: hexBytes("cc dd")},
	},
}

var codecExVideoTag = methodCodec[ExVideoTag]()

func TestExVideoTagUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesExVideoTag, codecExVideoTag.unmarshal, checkExVideoTagCap)
	runUnmarshalCases(t, casesExVideoTagRead, codecExVideoTag.unmarshal, checkExVideoTagCap)
}

func checkExVideoTagCap(t *testing.T, tag ExVideoTag) {
	if cap(tag.Data) != len(tag.Data) {
		t.Fatalf("Data capacity %d beyond its length %d", cap(tag.Data), len(tag.Data))
	}
}

func TestExVideoTagMarshal(t *testing.T) {
	runMarshalCases(t, casesExVideoTag, codecExVideoTag.marshal)
}

func TestExVideoTagRoundTrip(t *testing.T) {
	for _, ca := range append(append([]codecCase[ExVideoTag]{}, casesExVideoTag...), casesExVideoTagRead...) {
		t.Run(ca.name, func(t *testing.T) { codecExVideoTag.roundTrip(t, ca.dec) })
	}
}

// TestExVideoTagUnmarshalTruncated cuts every case at every length: each cut
// unmarshals or fails with ErrTruncated; single-track cuts before the data
// fail.
func TestExVideoTagUnmarshalTruncated(t *testing.T) {
	for _, ca := range append(append([]codecCase[ExVideoTag]{}, casesExVideoTag...), casesExVideoTagRead...) {
		checkPrefixes(t, ca.name, ca.enc, len(ca.enc)-len(ca.dec.Data), codecExVideoTag.unmarshal)
	}
}

// checkPrefixes checks that every prefix of enc unmarshals or fails with
// ErrTruncated, and that those shorter than header fail, unless enc is a
// multitrack tag with several tracks (a cut between tracks is a shorter
// valid tag).
func checkPrefixes[T any](t *testing.T, name string, enc []byte, header int, unmarshal func([]byte) (T, error)) {
	t.Helper()
	manyTracks := len(enc) > 1 && enc[1]>>4 != 0 && (enc[0]&0x0f == 6 || enc[0]>>4 == 9 && enc[0]&0x0f == 5)
	for n := 0; n < len(enc); n++ {
		_, err := unmarshal(enc[:n])
		if err != nil && !errors.Is(err, ErrTruncated) {
			t.Errorf("%s, %d of %d bytes: got %v, want %v", name, n, len(enc), err, ErrTruncated)
		}
		if err == nil && n < header && !manyTracks {
			t.Errorf("%s, %d of %d bytes: no error, want %v", name, n, len(enc), ErrTruncated)
		}
	}
}

func TestExVideoTagUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"legacy AVC tag", hexBytes("17 01 00 00 00 00 00 00 02 65 88"), ErrUnsupportedCodec},
		{"FourCC cut", hexBytes("90 68 76"), ErrTruncated},
		{"composition time cut", hexBytes("91 68 76 63 31 00 00"), ErrTruncated},
		{"ModEx without size", hexBytes("97"), ErrTruncated},
		{"ModEx data cut", hexBytes("97 05 00"), ErrTruncated},
		{"ModEx without packet type", hexBytes("97 00 00"), ErrTruncated},
		{"ModEx 16-bit size cut", hexBytes("97 ff 00"), ErrTruncated},
		{"ModEx 16-bit data cut", hexBytes("97 ff 01 00 00 00"), ErrTruncated},
		{"command without command byte", hexBytes("d1"), ErrTruncated},
		{"Multitrack without its type", hexBytes("96"), ErrTruncated},
		{"Multitrack type 3", hexBytes("96 31 68 76 63 31 00 00 00 00"), ErrUnsupportedCodec},
		{"Multitrack nested", hexBytes("96 06 68 76 63 31 00"), ErrUnsupportedCodec},
		{"Multitrack with ModEx", hexBytes("96 07 68 76 63 31 00"), ErrUnsupportedCodec},
		{"Multitrack FourCC cut", hexBytes("96 01 68 76"), ErrTruncated},
		{"Multitrack OneTrack without track ID", hexBytes("96 01 68 76 63 31"), ErrTruncated},
		{"Multitrack ManyTracks without tracks", hexBytes("96 11 68 76 63 31"), ErrTruncated},
		{"Multitrack track size beyond data", hexBytes("96 11 68 76 63 31 00 00 00 05 aa"), ErrTruncated},
		{"Multitrack second track header cut", hexBytes("96 11 68 76 63 31 00 00 00 01 aa 01 00"), ErrTruncated},
		{"Multitrack ManyTracksManyCodecs FourCC cut", hexBytes("96 21 68 76"), ErrTruncated},
	}, ExVideoTag{CompositionTime: 42})
}

func TestExVideoTagMarshalError(t *testing.T) {
	runErrorCases(t, []errorCase[ExVideoTag]{
		{"frame type 8", ExVideoTag{FrameType: 8, FourCC: FourCCHEVC}, ErrOutOfRange},
		{"packet type 16", ExVideoTag{FrameType: FrameTypeKey, PacketType: 16, FourCC: FourCCHEVC}, ErrOutOfRange},
		{"ModEx", ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeModEx, FourCC: FourCCHEVC}, ErrUnsupportedCodec},
		{"Multitrack", ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeMultitrack, FourCC: FourCCHEVC}, ErrUnsupportedCodec},
		{"composition time above 24 bits", ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCHEVC, CompositionTime: MaxCompositionTime + 1}, ErrOutOfRange},
		{"composition time below 24 bits", ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCAVC, CompositionTime: MinCompositionTime - 1}, ErrOutOfRange},
		{"composition time in CodedFramesX", ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFramesX, FourCC: FourCCHEVC, CompositionTime: 1}, ErrOutOfRange},
		{"composition time for av01", ExVideoTag{FrameType: FrameTypeInter, PacketType: VideoPacketTypeCodedFrames, FourCC: FourCCAV1, CompositionTime: 1}, ErrOutOfRange},
		{"command without command byte", ExVideoTag{FrameType: FrameTypeCommand, PacketType: VideoPacketTypeCodedFrames}, ErrOutOfRange},
		{"command with FourCC", ExVideoTag{FrameType: FrameTypeCommand, FourCC: FourCCHEVC, Data: []byte{0}}, ErrOutOfRange},
	}, func(tag ExVideoTag) error {
		_, err := tag.Marshal()
		return err
	})
}
