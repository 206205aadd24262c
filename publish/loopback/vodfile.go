package loopback

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"onair/publish/flv"
)

// vodFile is a recording opened for playing on demand: the headers a
// viewer needs first (onMetaData with the duration, then the sequence
// headers) and its media as Units in file order, from the start or from a
// keyframe. One viewer reads it; each opens its own.
type vodFile struct {
	src      vodSource
	duration time.Duration
	headers  []*Unit
	video    bool // it has a video track
}

// vodSource reads the media of one kind of file.
type vodSource interface {
	// next is the next media unit (no metadata, no header already among
	// the file's headers); io.EOF at the end.
	next() (*Unit, error)
	// seek moves to the last video keyframe shown at or before t (the
	// start when there is none); with no video, to about t.
	seek(t time.Duration) error
	// keyframes are the decode times of every video keyframe (seek to one
	// may start a keyframe earlier: seek goes by presentation time).
	keyframes() ([]time.Duration, error)
	close() error
}

// openVOD opens an FLV file with OnAir's own reader (it reads Enhanced
// RTMP tags: HEVC, AV1, Opus), anything else (MP4, MKV, MPEG-TS) through
// FFmpeg.
func openVOD(path string) (*vodFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var sig [3]byte
	_, err = io.ReadFull(f, sig[:])
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: too short", ErrVODUnreadable)
	}
	if string(sig[:]) == "FLV" {
		return openFLVFile(path)
	}
	return openAVFile(path)
}

// ErrVODUnreadable is returned for a file that is not a recording OnAir
// can play on demand (damaged, or no H.264, HEVC, AV1, AAC or Opus track).
var ErrVODUnreadable = errors.New("not a playable recording")

func (f *vodFile) close() error { return f.src.close() }

// isHeader reports whether u is one of the file's headers.
func (f *vodFile) isHeader(u *Unit) bool {
	for _, h := range f.headers {
		if h.Kind == u.Kind && bytes.Equal(h.Body, u.Body) {
			return true
		}
	}
	return false
}

// withDuration is an onMetaData body (or a new one when body is not one)
// saying the file lasts d; a "keyframes" index is dropped (its file
// positions are those of another file).
func withDuration(body []byte, d time.Duration) []byte {
	var props []flv.AMF0Property
	if vals, err := flv.UnmarshalAMF0(body); err == nil && len(vals) >= 2 && vals[0] == "onMetaData" {
		switch v := vals[1].(type) {
		case flv.AMF0ECMAArray:
			props = v
		case flv.AMF0Object:
			props = v
		}
	}
	out := flv.AMF0ECMAArray{{Key: "duration", Value: d.Seconds()}}
	for _, p := range props {
		if p.Key != "duration" && p.Key != "keyframes" {
			out = append(out, p)
		}
	}
	b, err := flv.MarshalAMF0("onMetaData", out)
	if err != nil {
		b, _ = flv.MarshalAMF0("onMetaData", flv.AMF0ECMAArray{{Key: "duration", Value: d.Seconds()}})
	}
	return b
}

// flvFile reads an FLV file: an index of its keyframes (file offset and
// time) is made when it opens, from the tag headers alone.
type flvFile struct {
	f    *os.File
	pr   posReader
	tr   *flv.TagReader
	keys []flvKey
	hdrs *vodFile // to leave out the headers already sent
}

// flvKey is a keyframe: when it shows, and where its tag begins.
type flvKey struct {
	dts, pts time.Duration
	off      int64
}

// compositionTime is the composition time offset at the start of a
// video tag body (AVC; Enhanced RTMP CodedFrames); 0 when it has none or
// it is cut short.
func compositionTime(body []byte) time.Duration {
	var c []byte
	switch {
	case len(body) >= 5 && body[0]&0x80 == 0 && body[0]&0x0f == 7 && body[1] == 1:
		c = body[2:5]
	case len(body) >= 8 && body[0]&0x80 != 0 && body[0]&0x0f == 1:
		c = body[5:8] // ExVideoTagHeader: 1 + FourCC 4, then the offset
	default:
		return 0
	}
	v := int32(uint32(c[0])<<24|uint32(c[1])<<16|uint32(c[2])<<8) >> 8 // signed 24 bits
	return time.Duration(v) * time.Millisecond
}

// posReader counts what is read through it: the file offset of the next
// tag.
type posReader struct {
	r   *bufio.Reader
	pos int64
}

func (p *posReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.pos += int64(n)
	return n, err
}

// flvHeaderScan bounds how many tags openFLVFile reads for the headers.
const flvHeaderScan = 64

func openFLVFile(path string) (*vodFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &flvFile{f: f}
	s.pr.r = bufio.NewReaderSize(f, 64<<10)
	s.tr = flv.NewTagReader(&s.pr)
	if _, err := s.tr.ReadHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %v", ErrVODUnreadable, err)
	}
	first := s.pr.pos
	keys, last, err := scanFLV(f, first)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.keys = keys
	v := &vodFile{src: s, duration: last}
	var meta []byte
	var video, audio *Unit
	for range flvHeaderScan {
		t, err := s.tr.ReadTag()
		if err != nil {
			break
		}
		u := &Unit{Kind: Kind(t.Type), DTS: time.Duration(t.Timestamp) * time.Millisecond, Body: t.Data}
		classify(u)
		switch {
		case u.Kind == KindData && meta == nil:
			meta = u.Body
		case u.Kind == KindVideo && u.Header && video == nil:
			video = u
		case u.Kind == KindAudio && u.Header && audio == nil:
			audio = u
		}
		if video != nil && audio != nil && meta != nil {
			break
		}
	}
	v.headers = append(v.headers, &Unit{Kind: KindData, Header: true, Body: withDuration(meta, last)})
	for _, u := range []*Unit{video, audio} {
		if u != nil {
			u.DTS = 0
			v.headers = append(v.headers, u)
		}
	}
	v.video = video != nil || len(keys) > 0
	if video == nil && audio == nil {
		f.Close()
		return nil, fmt.Errorf("%w: no sequence header among its first %d tags", ErrVODUnreadable, flvHeaderScan)
	}
	s.hdrs = v
	if err := s.moveTo(first); err != nil {
		f.Close()
		return nil, err
	}
	return v, nil
}

// scanFLV reads the tag headers from off to the end (or to a tag cut
// short: a recording being written, or one a crash ended) and returns the
// video keyframes and the last media time.
func scanFLV(f *os.File, off int64) (keys []flvKey, last time.Duration, err error) {
	var b [19]byte // tag header and the first eight body bytes
	var prev [4]byte
	for {
		n, err := f.ReadAt(b[:], off)
		if n < 13 {
			if err == nil || errors.Is(err, io.EOF) {
				return keys, last, nil
			}
			return nil, 0, err
		}
		size := int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
		ts := time.Duration(uint32(b[7])<<24|uint32(b[4])<<16|uint32(b[5])<<8|uint32(b[6])) * time.Millisecond
		end := off + 11 + size + 4
		if n, _ := f.ReadAt(prev[:], end-4); n < 4 || int64(binary.BigEndian.Uint32(prev[:])) != 11+size {
			return keys, last, nil // cut short, or not a tag
		}
		if kind := Kind(b[0] & 0x1f); kind == KindVideo || kind == KindAudio {
			body := b[11:min(n, 11+int(size))]
			u := Unit{Kind: kind, Body: body}
			if size >= 2 {
				classify(&u)
			}
			if kind == KindVideo && u.Key && !u.Header {
				keys = append(keys, flvKey{dts: ts, pts: ts + compositionTime(body), off: off})
			}
			if !u.Header {
				last = max(last, ts)
			}
		}
		off = end
	}
}

func (s *flvFile) moveTo(off int64) error {
	if _, err := s.f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	s.pr.r.Reset(s.f)
	s.pr.pos = off
	return nil
}

func (s *flvFile) next() (*Unit, error) {
	for {
		t, err := s.tr.ReadTag()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF // a recording cut short ends there
			}
			return nil, err
		}
		u := &Unit{Kind: Kind(t.Type), DTS: time.Duration(t.Timestamp) * time.Millisecond, Body: t.Data}
		if u.Kind != KindVideo && u.Kind != KindAudio {
			continue // metadata (sent with the headers) and anything else
		}
		classify(u)
		if u.Header && s.hdrs.isHeader(u) {
			continue
		}
		return u, nil
	}
}

func (s *flvFile) seek(t time.Duration) error {
	i := sort.Search(len(s.keys), func(i int) bool { return s.keys[i].pts > t })
	if i == 0 {
		if len(s.keys) == 0 {
			return s.seekAudio(t)
		}
		return s.moveTo(s.keys[0].off)
	}
	return s.moveTo(s.keys[i-1].off)
}

// seekAudio moves an audio-only file to its first tag at or after t.
func (s *flvFile) seekAudio(t time.Duration) error {
	if err := s.moveTo(0); err != nil {
		return err
	}
	if _, err := s.tr.ReadHeader(); err != nil {
		return err
	}
	for {
		off := s.pr.pos
		tag, err := s.tr.ReadTag()
		if err != nil {
			return s.moveTo(off) // the end: nothing more to play
		}
		if tag.Type == flv.TagTypeAudio && time.Duration(tag.Timestamp)*time.Millisecond >= t {
			return s.moveTo(off)
		}
	}
}

func (s *flvFile) keyframes() ([]time.Duration, error) {
	out := make([]time.Duration, len(s.keys))
	for i, k := range s.keys {
		out[i] = k.dts
	}
	return out, nil
}

func (s *flvFile) close() error { return s.f.Close() }
