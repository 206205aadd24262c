package flv

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"onair/internal/media"
)

var casesVideoTag = []codecCase[VideoTag]{
	{
		"sequence header",
		append(hexBytes("17 00 00 00 00"), x264HighRecord...),
		VideoTag{FrameType: FrameTypeKey, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeSequenceHeader, Data: x264HighRecord},
	},
	{
		"key frame",
		hexBytes("17 01 00 00 00 00 00 00 02 65 88"),
		VideoTag{FrameType: FrameTypeKey, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeNALU, Data: hexBytes("00 00 00 02 65 88")},
	},
	{
		"inter frame, composition time 67 ms",
		hexBytes("27 01 00 00 43 00 00 00 02 41 9a"),
		VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeNALU, CompositionTime: 67, Data: hexBytes("00 00 00 02 41 9a")},
	},
	{
		"negative composition time",
		hexBytes("27 01 ff ff df 00 00 00 02 41 9a"),
		VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeNALU, CompositionTime: -33, Data: hexBytes("00 00 00 02 41 9a")},
	},
	{
		"minimum composition time",
		hexBytes("27 01 80 00 00 00 00 00 01 01"),
		VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeNALU, CompositionTime: MinCompositionTime, Data: hexBytes("00 00 00 01 01")},
	},
	{
		"maximum composition time",
		hexBytes("27 01 7f ff ff 00 00 00 01 01"),
		VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeNALU, CompositionTime: MaxCompositionTime, Data: hexBytes("00 00 00 01 01")},
	},
	{
		"end of sequence",
		hexBytes("17 02 00 00 00"),
		VideoTag{FrameType: FrameTypeKey, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeEndOfSequence, Data: []byte{}},
	},
	{
		"command frame",
		hexBytes("57 01"),
		VideoTag{FrameType: FrameTypeCommand, CodecID: CodecIDAVC, Data: []byte{1}},
	},
}

var codecVideoTag = methodCodec[VideoTag]()

func TestVideoTagUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesVideoTag, codecVideoTag.unmarshal)
}

func TestVideoTagMarshal(t *testing.T) {
	runMarshalCases(t, casesVideoTag, codecVideoTag.marshal)
}

func TestVideoTagUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrTruncated},
		{"1 byte", hexBytes("17"), ErrTruncated},
		{"4 bytes", hexBytes("17 01 00 00"), ErrTruncated},
		{"Sorenson H.263", hexBytes("22 00 00 00 00"), ErrUnsupportedCodec},
		{"HEVC as codec 12", hexBytes("1c 00 00 00 00"), ErrUnsupportedCodec},
	}, VideoTag{CompositionTime: 42})
}

func TestVideoTagMarshalError(t *testing.T) {
	runErrorCases(t, []errorCase[VideoTag]{
		{"composition time above 24 bits", VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, CompositionTime: MaxCompositionTime + 1}, ErrOutOfRange},
		{"composition time below 24 bits", VideoTag{FrameType: FrameTypeInter, CodecID: CodecIDAVC, CompositionTime: MinCompositionTime - 1}, ErrOutOfRange},
		{"frame type 16", VideoTag{FrameType: 16, CodecID: CodecIDAVC}, ErrOutOfRange},
		{"codec ID 0", VideoTag{FrameType: FrameTypeKey}, ErrUnsupportedCodec},
	}, func(tag VideoTag) error {
		_, err := tag.Marshal()
		return err
	})
}

// frameDuration30 is one frame at 30 fps on the stream clock.
const frameDuration30 = time.Second / 30

var casesVideoPacketBody = []struct {
	name   string
	packet media.Packet
	body   []byte
	ts     uint32
}{
	{
		"x264 IDR with delimiter, parameter sets and SEI",
		media.Packet{
			Codec: media.CodecH264, Key: true,
			DTS: time.Second, PTS: time.Second + 2*frameDuration30,
			Data: append(JoinAnnexB([][]byte{aud, x264HighSPS, x264HighPPS}), append(hexBytes("00 00 01"), JoinAnnexB([][]byte{x264SEI, x264IDR})...)...),
		},
		append(append(hexBytes("17 01 00 00 43 00 00 00 14"), x264SEI...), append(hexBytes("00 00 00 12"), x264IDR...)...),
		1000,
	},
	{
		"inter frame",
		media.Packet{Codec: media.CodecH264, DTS: 3 * frameDuration30, PTS: 3 * frameDuration30, Data: hexBytes("00 00 00 01 41 9a 22")},
		hexBytes("27 01 00 00 00 00 00 00 03 41 9a 22"),
		100,
	},
	{
		"IDR slice without the Key flag is a key frame",
		media.Packet{Codec: media.CodecH264, Data: hexBytes("00 00 01 65 88 84")},
		hexBytes("17 01 00 00 00 00 00 00 03 65 88 84"),
		0,
	},
	{
		"negative composition time",
		media.Packet{Codec: media.CodecH264, DTS: 100 * time.Millisecond, PTS: 80 * time.Millisecond, Data: hexBytes("00 00 00 01 41 9a")},
		hexBytes("27 01 ff ff ec 00 00 00 02 41 9a"),
		100,
	},
	{
		"negative DTS gives timestamp 0",
		media.Packet{Codec: media.CodecH264, DTS: -2 * frameDuration30, PTS: 0, Data: hexBytes("00 00 00 01 41 9a")},
		hexBytes("27 01 00 00 43 00 00 00 02 41 9a"),
		0,
	},
	{
		"milliseconds rounded half away from zero",
		media.Packet{Codec: media.CodecH264, DTS: 33500 * time.Microsecond, PTS: 33900 * time.Microsecond, Data: hexBytes("00 00 00 01 41 9a")},
		hexBytes("27 01 00 00 00 00 00 00 02 41 9a"),
		34,
	},
	{
		"timestamp above 2^24 ms",
		media.Packet{Codec: media.CodecH264, DTS: 5 * time.Hour, PTS: 5 * time.Hour, Data: hexBytes("00 00 00 01 41 9a")},
		hexBytes("27 01 00 00 00 00 00 00 02 41 9a"),
		18_000_000,
	},
}

func TestVideoPacketBody(t *testing.T) {
	for _, ca := range casesVideoPacketBody {
		t.Run(ca.name, func(t *testing.T) {
			body, ts, err := VideoPacketBody(&ca.packet)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, ca.body) || ts != ca.ts {
				t.Fatalf("got % x at %d ms, want % x at %d ms", body, ts, ca.body, ca.ts)
			}
			var tag VideoTag
			if err := tag.Unmarshal(body); err != nil {
				t.Fatal(err)
			}
			if _, err := UnmarshalAVCC(tag.Data, 4); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVideoPacketBodyError(t *testing.T) {
	runErrorCases(t, []errorCase[media.Packet]{
		{"AAC packet", media.Packet{Codec: media.CodecAAC, Data: hexBytes("21 10")}, ErrUnsupportedCodec},
		{"empty", media.Packet{Codec: media.CodecH264}, ErrNoNALUs},
		{"AVCC instead of Annex-B", media.Packet{Codec: media.CodecH264, Data: hexBytes("00 00 00 02 41 9a")}, ErrNoStartCode},
		{"only parameter sets", media.Packet{Codec: media.CodecH264, Data: JoinAnnexB([][]byte{aud, x264HighSPS, x264HighPPS})}, ErrNoNALUs},
		{"composition time beyond 24 bits", media.Packet{Codec: media.CodecH264, PTS: 3 * time.Hour, Data: hexBytes("00 00 01 41 9a")}, ErrOutOfRange},
	}, func(p media.Packet) error {
		_, _, err := VideoPacketBody(&p)
		return err
	})
}

func TestVideoSequenceHeader(t *testing.T) {
	want := append(hexBytes("17 00 00 00 00"), x264HighRecord...)
	for _, ca := range []struct {
		name      string
		extradata []byte
	}{
		{"Annex-B extradata", JoinAnnexB([][]byte{x264HighSPS, x264HighPPS})},
		{"Annex-B extradata, 3-byte start codes", append(append(hexBytes("00 00 01"), x264HighSPS...), append(hexBytes("00 00 01"), x264HighPPS...)...)},
		{"AVCDecoderConfigurationRecord extradata", x264HighRecord},
	} {
		t.Run(ca.name, func(t *testing.T) {
			got, err := VideoSequenceHeader(&media.CodecConfig{Codec: media.CodecH264, Extradata: ca.extradata})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got % x, want % x", got, want)
			}
		})
	}
}

func TestVideoSequenceHeaderError(t *testing.T) {
	runErrorCases(t, []errorCase[media.CodecConfig]{
		{"AAC", media.CodecConfig{Codec: media.CodecAAC, Extradata: hexBytes("11 90")}, ErrUnsupportedCodec},
		{"no extradata", media.CodecConfig{Codec: media.CodecH264}, ErrNoNALUs},
		{"no PPS", media.CodecConfig{Codec: media.CodecH264, Extradata: JoinAnnexB([][]byte{x264HighSPS})}, ErrMissingPPS},
		{"truncated record", media.CodecConfig{Codec: media.CodecH264, Extradata: x264HighRecord[:10]}, ErrTruncated},
	}, func(cfg media.CodecConfig) error {
		_, err := VideoSequenceHeader(&cfg)
		return err
	})
}

func TestVideoEndOfSequence(t *testing.T) {
	var tag VideoTag
	if err := tag.Unmarshal(VideoEndOfSequence()); err != nil {
		t.Fatal(err)
	}
	want := VideoTag{FrameType: FrameTypeKey, CodecID: CodecIDAVC, AVCPacketType: AVCPacketTypeEndOfSequence, Data: []byte{}}
	if !reflect.DeepEqual(tag, want) {
		t.Fatalf("got %+v, want %+v", tag, want)
	}
}

func FuzzVideoTagUnmarshal(f *testing.F) {
	seedFuzz(f, casesVideoTag)
	fuzzRoundTrip(f, codecVideoTag, func(t *testing.T, b []byte, _ VideoTag, enc []byte) {
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip: got % x, want % x", enc, b)
		}
	})
}

// BenchmarkVideoPacketBody converts a 100 kB key frame: delimiter, SEI and
// one IDR slice, as x264 writes them.
func BenchmarkVideoPacketBody(b *testing.B) {
	slice := make([]byte, 100_000)
	slice[0] = 0x65
	for i := 1; i < len(slice); i++ {
		slice[i] = byte(i*7%251 + 1) // never 0: no start code inside
	}
	p := media.Packet{
		Codec: media.CodecH264, Key: true, DTS: time.Second, PTS: time.Second + frameDuration30,
		Data: JoinAnnexB([][]byte{aud, x264SEI, slice}),
	}
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := VideoPacketBody(&p); err != nil {
			b.Fatal(err)
		}
	}
}
