package flv

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortmplib/pkg/rawmessage"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"

	"onair/internal/media"
)

// Cross-checks with bluenviron/gortmplib (the RTMP library of mediamtx):
// what this package writes, gortmplib reads, and the other way round.

// gortmplibRead sends a tag body as an RTMP message through gortmplib's
// chunk writer and reads it back with its message reader.
func gortmplibRead(t *testing.T, typ uint8, body []byte) message.Message {
	t.Helper()
	var buf bytes.Buffer
	w := rawmessage.NewWriter(&buf, bytecounter.NewWriter(&buf), false)
	if err := w.Write(&rawmessage.Message{ChunkStreamID: 6, Type: typ, MessageStreamID: 1, Timestamp: time.Second, Body: body}); err != nil {
		t.Fatal(err)
	}
	r := message.NewReader(&buf, bytecounter.NewReader(&buf), func(uint32) error { return nil })
	msg, err := r.Read()
	if err != nil {
		t.Fatalf("gortmplib reading % x: %v", body, err)
	}
	return msg
}

// gortmplibWrite writes a message with gortmplib and returns its body.
func gortmplibWrite(t *testing.T, msg message.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := message.NewWriter(&buf, bytecounter.NewWriter(&buf), false).Write(msg); err != nil {
		t.Fatal(err)
	}
	raw, err := rawmessage.NewReader(&buf, bytecounter.NewReader(&buf), func(uint32) error { return nil }).Read()
	if err != nil {
		t.Fatal(err)
	}
	return raw.Body
}

func TestGortmplibReadsVideo(t *testing.T) {
	seq, err := VideoSequenceHeader(&media.CodecConfig{Codec: media.CodecHEVC, Extradata: JoinAnnexB([][]byte{x265MainVPS, x265MainSPS, x265MainPPS})})
	if err != nil {
		t.Fatal(err)
	}
	start, ok := gortmplibRead(t, 9, seq).(*message.VideoExSequenceStart)
	if !ok || start.FourCC != message.FourCCHEVC || start.HEVCConfig == nil {
		t.Fatalf("got %#v", start)
	}
	c := start.HEVCConfig
	if c.GeneralProfileIdc != 1 || c.GeneralLevelIdc != 93 || c.ChromaFormatIdc != 1 || c.LengthSizeMinusOne != 3 ||
		len(c.NaluArrays) != 3 || !bytes.Equal(c.NaluArrays[1].Nalus[0].NALUnit, x265MainSPS) ||
		!c.GeneralProfileCompatibility[1] || !c.GeneralProfileCompatibility[2] ||
		c.GeneralConstraintIndicator != [6]uint8{0x90} {
		t.Fatalf("hvcC %+v", c)
	}

	key := media.Packet{Codec: media.CodecHEVC, DTS: time.Second, PTS: time.Second + 2*frameDuration30, Data: JoinAnnexB([][]byte{x265AUD, x265SEI, x265IDR})}
	body, _, err := VideoPacketBody(&key)
	if err != nil {
		t.Fatal(err)
	}
	frames, ok := gortmplibRead(t, 9, body).(*message.VideoExCodedFrames)
	if !ok || frames.FourCC != message.FourCCHEVC || frames.PTSDelta != 67*time.Millisecond ||
		!bytes.Equal(frames.Payload, MarshalAVCC([][]byte{x265SEI, x265IDR})) {
		t.Fatalf("got %#v", frames)
	}

	inter := media.Packet{Codec: media.CodecHEVC, Data: JoinAnnexB([][]byte{x265Inter})}
	if body, _, err = VideoPacketBody(&inter); err != nil {
		t.Fatal(err)
	}
	framesX, ok := gortmplibRead(t, 9, body).(*message.VideoExFramesX)
	if !ok || framesX.FourCC != message.FourCCHEVC || !bytes.Equal(framesX.Payload, MarshalAVCC([][]byte{x265Inter})) {
		t.Fatalf("got %#v", framesX)
	}

	av1 := media.Packet{Codec: media.CodecAV1, Key: true, Data: hexBytes("12 00 0a 0b")}
	if body, _, err = VideoPacketBody(&av1); err != nil {
		t.Fatal(err)
	}
	if m, ok := gortmplibRead(t, 9, body).(*message.VideoExCodedFrames); !ok || m.FourCC != message.FourCCAV1 || !bytes.Equal(m.Payload, av1.Data) {
		t.Fatalf("got %#v", m)
	}

	end, err := (&ExVideoTag{FrameType: FrameTypeKey, PacketType: VideoPacketTypeSequenceEnd, FourCC: FourCCHEVC}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := gortmplibRead(t, 9, end).(*message.VideoExSequenceEnd); !ok || m.FourCC != message.FourCCHEVC {
		t.Fatalf("got %#v", m)
	}
}

func TestGortmplibReadsAudio(t *testing.T) {
	seq, err := AudioSequenceHeader(&media.CodecConfig{Codec: media.CodecOpus, Extradata: libopusHead})
	if err != nil {
		t.Fatal(err)
	}
	start, ok := gortmplibRead(t, 8, seq).(*message.AudioExSequenceStart)
	// mediacommon v2.9.3 reads PreSkip, InputSampleRate and OutputGain
	// big-endian, against RFC 7845 5.1 (little-endian): only the byte
	// fields compare. It writes them back the same, so the bytes survive.
	if !ok || start.FourCC != message.FourCCOpus || start.OpusConfig == nil ||
		start.OpusConfig.Version != 1 || start.OpusConfig.ChannelCount != 2 || start.OpusConfig.ChannelMappingFamily != 0 {
		t.Fatalf("got %#v, OpusHead %+v", start, start.OpusConfig)
	}
	body, _, err := AudioPacketBody(&media.Packet{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := gortmplibRead(t, 8, body).(*message.AudioExCodedFrames); !ok || m.FourCC != message.FourCCOpus || !bytes.Equal(m.Payload, hexBytes("fc ff fe")) {
		t.Fatalf("got %#v", m)
	}
}

func TestParseGortmplibVideo(t *testing.T) {
	var hvcc HEVCDecoderConfigurationRecord
	if err := hvcc.Unmarshal(x265MainRecord); err != nil {
		t.Fatal(err)
	}
	// gortmplib's own hvcC, read from FFmpeg's record, written again.
	theirs, ok := gortmplibRead(t, 9, append(hexBytes("90 68 76 63 31"), x265MainRecord...)).(*message.VideoExSequenceStart)
	if !ok {
		t.Fatalf("got %#v", theirs)
	}
	payload := MarshalAVCC([][]byte{x265SEI, x265IDR})
	for _, ca := range []struct {
		name string
		msg  message.Message
		want VideoInfo
	}{
		{"SequenceStart", &message.VideoExSequenceStart{ChunkStreamID: 6, FourCC: message.FourCCHEVC, HEVCConfig: theirs.HEVCConfig},
			VideoInfo{Codec: media.CodecHEVC, Header: true, Data: x265MainRecord}},
		{"CodedFrames", &message.VideoExCodedFrames{ChunkStreamID: 6, FourCC: message.FourCCHEVC, PTSDelta: 67 * time.Millisecond, Payload: payload},
			VideoInfo{Codec: media.CodecHEVC, CompositionTime: 67, Data: payload}},
		{"FramesX", &message.VideoExFramesX{ChunkStreamID: 6, FourCC: message.FourCCHEVC, Payload: payload},
			VideoInfo{Codec: media.CodecHEVC, Data: payload}},
		{"AV1 CodedFrames", &message.VideoExCodedFrames{ChunkStreamID: 6, FourCC: message.FourCCAV1, Payload: hexBytes("12 00")},
			VideoInfo{Codec: media.CodecAV1, Data: hexBytes("12 00")}},
		{"SequenceEnd", &message.VideoExSequenceEnd{ChunkStreamID: 6, FourCC: message.FourCCHEVC},
			VideoInfo{Codec: media.CodecHEVC, End: true, Data: []byte{}}},
		{"Multitrack OneTrack CodedFrames", &message.VideoExMultitrack{
			MultitrackType: message.VideoExMultitrackTypeOneTrack, TrackID: 0,
			Wrapped: &message.VideoExCodedFrames{ChunkStreamID: 6, FourCC: message.FourCCHEVC, PTSDelta: 33 * time.Millisecond, Payload: payload},
		}, VideoInfo{Codec: media.CodecHEVC, CompositionTime: 33, Data: payload}},
	} {
		t.Run(ca.name, func(t *testing.T) {
			body := gortmplibWrite(t, ca.msg)
			got, err := ParseVideo(body)
			if err != nil {
				t.Fatalf("% x: %v", body, err)
			}
			// gortmplib writes frame type 0: no key flag to compare.
			if !reflect.DeepEqual(got, ca.want) {
				t.Fatalf("% x: got %+v, want %+v", body, got, ca.want)
			}
		})
	}
}

func TestParseGortmplibAudio(t *testing.T) {
	var head opus.IDHeader
	if err := head.Unmarshal(libopusHead); err != nil {
		t.Fatal(err)
	}
	for _, ca := range []struct {
		name string
		msg  message.Message
		want AudioInfo
	}{
		{"SequenceStart", &message.AudioExSequenceStart{ChunkStreamID: 6, FourCC: message.FourCCOpus, OpusConfig: &head},
			AudioInfo{Codec: media.CodecOpus, Header: true, Data: libopusHead}},
		{"CodedFrames", &message.AudioExCodedFrames{ChunkStreamID: 6, FourCC: message.FourCCOpus, Payload: hexBytes("fc ff fe")},
			AudioInfo{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")}},
		{"Multitrack OneTrack", &message.AudioExMultitrack{
			MultitrackType: message.AudioExMultitrackTypeOneTrack, TrackID: 0,
			Wrapped: &message.AudioExCodedFrames{ChunkStreamID: 6, FourCC: message.FourCCOpus, Payload: hexBytes("fc ff fe")},
		}, AudioInfo{Codec: media.CodecOpus, Data: hexBytes("fc ff fe")}},
	} {
		t.Run(ca.name, func(t *testing.T) {
			body := gortmplibWrite(t, ca.msg)
			got, err := ParseAudio(body)
			if err != nil {
				t.Fatalf("% x: %v", body, err)
			}
			if !reflect.DeepEqual(got, ca.want) {
				t.Fatalf("% x: got %+v, want %+v", body, got, ca.want)
			}
		})
	}
}

// TestMediacommonHEVCSPS checks the SPS fields the record takes against
// mediacommon's full SPS parser.
func TestMediacommonHEVCSPS(t *testing.T) {
	for _, ca := range casesHVCCX265 {
		sps := ca.dec.NALUs(HEVCNALUTypeSPS)[0]
		var theirs h265.SPS
		if err := theirs.Unmarshal(sps); err != nil {
			t.Fatal(err)
		}
		ours, err := parseHEVCSPS(sps)
		if err != nil {
			t.Fatal(err)
		}
		ptl := theirs.ProfileTierLevel
		var compat uint32
		for j, f := range ptl.GeneralProfileCompatibilityFlag {
			if f {
				compat |= 1 << (31 - j)
			}
		}
		if ours.profileIDC != ptl.GeneralProfileIdc || ours.levelIDC != ptl.GeneralLevelIdc ||
			ours.compatibilityFlags != compat || ours.profileSpace != ptl.GeneralProfileSpace ||
			ours.maxSubLayersMinus1 != theirs.MaxSubLayersMinus1 || ours.temporalIDNesting != theirs.TemporalIDNestingFlag ||
			uint32(ours.chromaFormat) != theirs.ChromaFormatIdc || uint32(ours.bitDepthLumaMinus8) != theirs.BitDepthLumaMinus8 ||
			ours.width != theirs.Width() || ours.height != theirs.Height() ||
			ours.constraintFlags>>47 != boolUint64(ptl.GeneralProgressiveSourceFlag) {
			t.Errorf("%s: ours %+v, mediacommon %+v (width %d, height %d)", ca.name, ours, theirs, theirs.Width(), theirs.Height())
		}
	}
}

func boolUint64(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}
