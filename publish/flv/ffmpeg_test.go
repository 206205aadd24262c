package flv

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"onair/internal/media"
)

// ffmpegFLV was written by FFmpeg 5.1 (Debian 12) with libx264 (High
// profile, B-frames, global header) and its native AAC encoder:
//
//	ffmpeg -f lavfi -i testsrc2=size=160x120:rate=25 \
//	  -f lavfi -i sine=frequency=440:sample_rate=48000 -ac 2 -t 0.4 \
//	  -c:v libx264 -preset veryfast -profile:v high -bf 2 -g 5 \
//	  -c:a aac -b:a 64k -ac 2 -f flv ffmpeg-libx264-aac.flv
const ffmpegFLV = "testdata/ffmpeg-libx264-aac.flv"

// TestFFmpegFLV reads a file FFmpeg wrote and makes every tag again from
// what a pipeline would hold: Annex-B extradata and packets with PTS and DTS
// as time.Duration. The result must be FFmpeg's file, byte for byte.
func TestFFmpegFLV(t *testing.T) {
	file, err := os.ReadFile(ffmpegFLV)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTagReader(bytes.NewReader(file))
	h, err := tr.ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	if h != (Header{Version: 1, HasVideo: true, HasAudio: true}) {
		t.Fatalf("header %+v", h)
	}
	var out bytes.Buffer
	if err := WriteHeader(&out, true, true); err != nil {
		t.Fatal(err)
	}

	counts := map[string]int{}
	for {
		tag, err := tr.ReadTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ts, body := tag.Timestamp, []byte(nil)
		switch tag.Type {
		case TagTypeScriptData:
			body = remakeScriptData(t, tag.Data)
			counts["script"]++
		case TagTypeVideo:
			var vt VideoTag
			if err := vt.Unmarshal(tag.Data); err != nil {
				t.Fatal(err)
			}
			counts[[...]string{"video sequence header", "video", "video end"}[vt.AVCPacketType]]++
			ts, body = remakeVideo(t, tag.Timestamp, &vt)
		case TagTypeAudio:
			var at AudioTag
			if err := at.Unmarshal(tag.Data); err != nil {
				t.Fatal(err)
			}
			counts[[...]string{"audio sequence header", "audio"}[at.AACPacketType]]++
			ts, body = remakeAudio(t, tag.Timestamp, &at)
		default:
			t.Fatalf("tag type %d", tag.Type)
		}
		if ts != tag.Timestamp || !bytes.Equal(body, tag.Data) {
			t.Fatalf("tag type %d at %d ms:\ngot  %d ms % x\nwant %d ms % x", tag.Type, tag.Timestamp, ts, body, tag.Timestamp, tag.Data)
		}
		if err := WriteTag(&out, tag.Type, ts, body); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"script": 1, "video sequence header": 1, "video": 10, "video end": 1, "audio sequence header": 1, "audio": 20}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("tags: got %v, want %v", counts, want)
	}
	if !bytes.Equal(out.Bytes(), file) {
		t.Errorf("rewritten file differs from FFmpeg's")
	}
}

func remakeScriptData(t *testing.T, data []byte) []byte {
	values, err := UnmarshalAMF0(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 2 || values[0] != "onMetaData" {
		t.Fatalf("script data %#v", values)
	}
	meta, ok := values[1].(AMF0ECMAArray)
	if !ok {
		t.Fatalf("onMetaData carries %T", values[1])
	}
	for key, want := range map[string]any{
		"width": 160.0, "height": 120.0, "framerate": 25.0, "videocodecid": 7.0,
		"audiocodecid": 10.0, "audiosamplerate": 48000.0, "audiosamplesize": 16.0, "stereo": true,
	} {
		if got, _ := meta.Get(key); got != want {
			t.Errorf("onMetaData %s: got %v, want %v", key, got, want)
		}
	}
	body, err := MarshalAMF0(values...)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func remakeVideo(t *testing.T, ts uint32, vt *VideoTag) (uint32, []byte) {
	switch vt.AVCPacketType {
	case AVCPacketTypeSequenceHeader:
		var r AVCDecoderConfigurationRecord
		if err := r.Unmarshal(vt.Data); err != nil {
			t.Fatal(err)
		}
		// What libx264 gives as extradata.
		cfg := media.CodecConfig{Codec: media.CodecH264, Extradata: r.AnnexB()}
		body, err := VideoSequenceHeader(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		return ts, body
	case AVCPacketTypeNALU:
		nalus, err := UnmarshalAVCC(vt.Data, 4)
		if err != nil {
			t.Fatal(err)
		}
		dts := time.Duration(ts) * time.Millisecond
		p := media.Packet{
			Codec: media.CodecH264,
			DTS:   dts,
			PTS:   dts + time.Duration(vt.CompositionTime)*time.Millisecond,
			Key:   vt.FrameType == FrameTypeKey,
			Data:  JoinAnnexB(nalus),
		}
		body, ts, err := VideoPacketBody(&p)
		if err != nil {
			t.Fatal(err)
		}
		return ts, body
	case AVCPacketTypeEndOfSequence:
		return ts, VideoEndOfSequence()
	}
	t.Fatalf("AVC packet type %d", vt.AVCPacketType)
	return 0, nil
}

func remakeAudio(t *testing.T, ts uint32, at *AudioTag) (uint32, []byte) {
	switch at.AACPacketType {
	case AACPacketTypeSequenceHeader:
		var asc AudioSpecificConfig
		if err := asc.Unmarshal(at.Data); err != nil {
			t.Fatal(err)
		}
		if asc != (AudioSpecificConfig{ObjectType: AACObjectTypeLC, SampleRate: 48000, ChannelConfig: 2}) {
			t.Fatalf("AudioSpecificConfig %+v", asc)
		}
		cfg := media.CodecConfig{Codec: media.CodecAAC, Extradata: at.Data}
		body, err := AudioSequenceHeader(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		return ts, body
	case AACPacketTypeRaw:
		dts := time.Duration(ts) * time.Millisecond
		body, ts, err := AudioPacketBody(&media.Packet{Codec: media.CodecAAC, DTS: dts, PTS: dts, Data: at.Data})
		if err != nil {
			t.Fatal(err)
		}
		return ts, body
	}
	t.Fatalf("AAC packet type %d", at.AACPacketType)
	return 0, nil
}

// TestFFmpegFLVTruncated cuts FFmpeg's file at many places: the reader and
// parsers fail with errors, never panic.
func TestFFmpegFLVTruncated(t *testing.T) {
	file, err := os.ReadFile(ffmpegFLV)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(file); n += 97 {
		tr := NewTagReader(bytes.NewReader(file[:n]))
		_, err := tr.ReadHeader()
		for err == nil {
			var tag Tag
			if tag, err = tr.ReadTag(); err == nil {
				parseAny(tag)
			}
		}
		if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
}

// parseAny runs every parser that could apply to a tag body, on the body
// and all its prefixes, and ignores the errors.
func parseAny(tag Tag) {
	for n := 0; n <= len(tag.Data) && n < 64; n++ {
		b := tag.Data[:n]
		var vt VideoTag
		var at AudioTag
		var r AVCDecoderConfigurationRecord
		var asc AudioSpecificConfig
		_ = vt.Unmarshal(b)
		_ = at.Unmarshal(b)
		_, _ = UnmarshalAMF0(b)
		if len(b) > 5 {
			_ = r.Unmarshal(b[5:])
			_, _ = UnmarshalAVCC(b[5:], 4)
		}
		if len(b) > 2 {
			_ = asc.Unmarshal(b[2:])
		}
	}
}
