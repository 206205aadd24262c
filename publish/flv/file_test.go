package flv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

func TestWriteHeader(t *testing.T) {
	for _, ca := range []struct {
		video, audio bool
		want         []byte
	}{
		{true, true, hexBytes("46 4c 56 01 05 00 00 00 09 00 00 00 00")},
		{true, false, hexBytes("46 4c 56 01 01 00 00 00 09 00 00 00 00")},
		{false, true, hexBytes("46 4c 56 01 04 00 00 00 09 00 00 00 00")},
	} {
		var buf bytes.Buffer
		if err := WriteHeader(&buf, ca.video, ca.audio); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), ca.want) {
			t.Errorf("WriteHeader(%v, %v) wrote % x, want % x", ca.video, ca.audio, buf.Bytes(), ca.want)
		}
		h, err := NewTagReader(&buf).ReadHeader()
		if err != nil || h != (Header{Version: 1, HasVideo: ca.video, HasAudio: ca.audio}) {
			t.Errorf("ReadHeader: got %+v, %v", h, err)
		}
	}
}

// casesTag are tags and their PreviousTagSize.
var casesTag = []codecCase[Tag]{
	{
		"script data at 0 ms",
		hexBytes("12 00 00 03 00 00 00 00 00 00 00 05 06 05 00 00 00 0e"),
		Tag{Type: TagTypeScriptData, Timestamp: 0, Data: hexBytes("05 06 05")},
	},
	{
		"video at 0x123456 ms",
		hexBytes("09 00 00 05 12 34 56 00 00 00 00 17 02 00 00 00 00 00 00 10"),
		Tag{Type: TagTypeVideo, Timestamp: 0x123456, Data: hexBytes("17 02 00 00 00")},
	},
	{
		"audio above 2^24 ms: extended timestamp byte",
		hexBytes("08 00 00 02 23 45 67 01 00 00 00 af 01 00 00 00 0d"),
		Tag{Type: TagTypeAudio, Timestamp: 0x01234567, Data: hexBytes("af 01")},
	},
	{
		"audio above 2^31 ms",
		hexBytes("08 00 00 02 dc ba 98 fe 00 00 00 af 01 00 00 00 0d"),
		Tag{Type: TagTypeAudio, Timestamp: 0xfedcba98, Data: hexBytes("af 01")},
	},
	{
		"empty body",
		hexBytes("09 00 00 00 00 00 01 00 00 00 00 00 00 00 0b"),
		Tag{Type: TagTypeVideo, Timestamp: 1, Data: []byte{}},
	},
	{
		"encrypted tag keeps its whole type byte",
		hexBytes("28 00 00 01 00 00 00 00 00 00 00 aa 00 00 00 0c"),
		Tag{Type: 0x28, Data: hexBytes("aa")},
	},
}

// codecTag writes a tag and its PreviousTagSize, and reads them back: no more
// may follow.
var codecTag = testCodec[Tag]{
	unmarshal: func(b []byte) (Tag, error) {
		tr := NewTagReader(bytes.NewReader(b))
		tag, err := tr.ReadTag()
		if err != nil {
			return Tag{}, err
		}
		if _, err := tr.ReadTag(); err != io.EOF {
			return Tag{}, fmt.Errorf("after the last tag: got %v, want io.EOF", err)
		}
		return tag, nil
	},
	marshal: func(tag Tag) ([]byte, error) {
		var buf bytes.Buffer
		err := WriteTag(&buf, tag.Type, tag.Timestamp, tag.Data)
		return buf.Bytes(), err
	},
}

func TestWriteTag(t *testing.T) {
	runMarshalCases(t, casesTag, codecTag.marshal)
}

func TestTagReaderReadTag(t *testing.T) {
	runUnmarshalCases(t, casesTag, codecTag.unmarshal)
}

// testStream is an FLV stream with a header and every tag of casesTag; ends
// lists the offsets at which a tag ends.
func testStream(t testing.TB) (stream []byte, ends []int) {
	var buf bytes.Buffer
	if err := WriteHeader(&buf, true, true); err != nil {
		t.Fatal(err)
	}
	ends = append(ends, buf.Len())
	for _, ca := range casesTag {
		if err := WriteTag(&buf, ca.dec.Type, ca.dec.Timestamp, ca.dec.Data); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, buf.Len())
	}
	return buf.Bytes(), ends
}

func TestTagReaderStream(t *testing.T) {
	stream, _ := testStream(t)
	tr := NewTagReader(bytes.NewReader(stream))
	if _, err := tr.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	for _, ca := range casesTag {
		tag, err := tr.ReadTag()
		if err != nil {
			t.Fatalf("%s: %v", ca.name, err)
		}
		if !reflect.DeepEqual(tag, ca.dec) {
			t.Fatalf("%s: got %+v, want %+v", ca.name, tag, ca.dec)
		}
	}
	if _, err := tr.ReadTag(); err != io.EOF {
		t.Fatalf("at the end: got %v, want io.EOF", err)
	}
}

// TestTagReaderTruncated cuts the stream at every byte: reading stops with
// io.EOF exactly at tag boundaries and io.ErrUnexpectedEOF anywhere else.
func TestTagReaderTruncated(t *testing.T) {
	stream, ends := testStream(t)
	boundary := map[int]bool{0: true}
	for _, e := range ends {
		boundary[e] = true
	}
	for n := 0; n < len(stream); n++ {
		tr := NewTagReader(bytes.NewReader(stream[:n]))
		_, err := tr.ReadHeader()
		for err == nil {
			_, err = tr.ReadTag()
		}
		switch {
		case boundary[n] && err != io.EOF:
			t.Errorf("cut at tag boundary %d: got %v, want io.EOF", n, err)
		case !boundary[n] && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Errorf("cut at %d, inside a tag: got %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
}

func TestTagReaderMaxTagSize(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTag(&buf, TagTypeVideo, 0, make([]byte, 11)); err != nil {
		t.Fatal(err)
	}
	tr := NewTagReader(bytes.NewReader(buf.Bytes()))
	tr.MaxTagSize = 10
	if _, err := tr.ReadTag(); !errors.Is(err, ErrTagTooLarge) {
		t.Fatalf("got %v, want %v", err, ErrTagTooLarge)
	}
	tr = NewTagReader(bytes.NewReader(buf.Bytes()))
	tr.MaxTagSize = 11
	if _, err := tr.ReadTag(); err != nil {
		t.Fatal(err)
	}
}

func TestTagReaderLargeTag(t *testing.T) {
	// Larger than the first read chunk, so the body grows as it arrives.
	body := make([]byte, 300_000)
	for i := range body {
		body[i] = byte(i)
	}
	var buf bytes.Buffer
	if err := WriteTag(&buf, TagTypeVideo, 40, body); err != nil {
		t.Fatal(err)
	}
	tag, err := NewTagReader(&buf).ReadTag()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tag.Data, body) {
		t.Fatal("body differs")
	}
}

func TestTagReaderError(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"not FLV", hexBytes("46 4c 58 01 05 00 00 00 09 00 00 00 00"), ErrNotFLV},
		{"DataOffset below 9", hexBytes("46 4c 56 01 05 00 00 00 05 00 00 00 00"), ErrNotFLV},
		{"DataOffset huge", hexBytes("46 4c 56 01 05 ff ff ff ff 00 00 00 00"), ErrNotFLV},
		{"PreviousTagSize wrong", append(hexBytes("46 4c 56 01 05 00 00 00 09 00 00 00 00"),
			hexBytes("09 00 00 01 00 00 00 00 00 00 00 aa 00 00 00 0b")...), ErrPreviousTagSize},
		{"body announced beyond data", append(hexBytes("46 4c 56 01 05 00 00 00 09 00 00 00 00"),
			hexBytes("09 ff ff ff 00 00 00 00 00 00 00 aa")...), io.ErrUnexpectedEOF},
	}, func(stream []byte) error {
		tr := NewTagReader(bytes.NewReader(stream))
		_, err := tr.ReadHeader()
		for err == nil {
			_, err = tr.ReadTag()
		}
		return err
	})
}

func TestTagReaderDataOffset(t *testing.T) {
	// A header with 3 extra bytes before PreviousTagSize0.
	stream := hexBytes("46 4c 56 01 01 00 00 00 0c ee ee ee 00 00 00 00")
	stream = append(stream, casesTag[1].enc...)
	tr := NewTagReader(bytes.NewReader(stream))
	h, err := tr.ReadHeader()
	if err != nil || !h.HasVideo || h.HasAudio {
		t.Fatalf("got %+v, %v", h, err)
	}
	tag, err := tr.ReadTag()
	if err != nil || !reflect.DeepEqual(tag, casesTag[1].dec) {
		t.Fatalf("got %+v, %v; want %+v", tag, err, casesTag[1].dec)
	}
}

func TestWriteTagTooLarge(t *testing.T) {
	err := WriteTag(io.Discard, TagTypeVideo, 0, make([]byte, MaxTagBodySize+1))
	if !errors.Is(err, ErrTagTooLarge) {
		t.Fatalf("got %v, want %v", err, ErrTagTooLarge)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteError(t *testing.T) {
	want := errors.New("disk full")
	if err := WriteHeader(failingWriter{want}, true, true); !errors.Is(err, want) {
		t.Errorf("WriteHeader: got %v, want %v", err, want)
	}
	if err := WriteTag(failingWriter{want}, TagTypeAudio, 0, hexBytes("af 01")); !errors.Is(err, want) {
		t.Errorf("WriteTag: got %v, want %v", err, want)
	}
}

func FuzzTagReader(f *testing.F) {
	stream, _ := testStream(f)
	f.Add(stream)
	for _, ca := range casesTag {
		f.Add(append(hexBytes("46 4c 56 01 05 00 00 00 09 00 00 00 00"), ca.enc...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr := NewTagReader(bytes.NewReader(b))
		tr.MaxTagSize = 1 << 20
		if _, err := tr.ReadHeader(); err != nil {
			return
		}
		var tags []Tag
		var out bytes.Buffer
		for {
			tag, err := tr.ReadTag()
			if err != nil {
				break
			}
			tags = append(tags, tag)
			if err := WriteTag(&out, tag.Type, tag.Timestamp, tag.Data); err != nil {
				t.Fatal(err)
			}
		}
		// What was read writes back to the same tags.
		tr = NewTagReader(&out)
		for i, want := range tags {
			got, err := tr.ReadTag()
			if err != nil {
				t.Fatalf("tag %d: %v", i, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("tag %d: got %+v, want %+v", i, got, want)
			}
		}
		if _, err := tr.ReadTag(); err != io.EOF {
			t.Fatalf("after %d tags: got %v, want io.EOF", len(tags), err)
		}
	})
}
