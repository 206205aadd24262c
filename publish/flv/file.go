package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// TagType is the type byte of an FLV tag.
type TagType uint8

// FLV tag types.
const (
	TagTypeAudio      TagType = 8
	TagTypeVideo      TagType = 9
	TagTypeScriptData TagType = 18
)

// MaxTagBodySize is the largest tag body the 24-bit DataSize field of an FLV
// tag can announce.
const MaxTagBodySize = 1<<24 - 1

// DefaultMaxTagSize is TagReader's limit on a tag body when MaxTagSize is
// zero: 16 MiB, more than MaxTagBodySize, so by default only the format
// limits the size. Servers reading from untrusted peers set less.
const DefaultMaxTagSize = 16 << 20

const (
	headerSize    = 9
	tagHeaderSize = 11
	// maxHeaderSkip bounds the bytes between a 9-byte FLV header and the
	// first tag that ReadHeader skips (DataOffset beyond 9).
	maxHeaderSkip = 1 << 16
)

var (
	// ErrTagTooLarge is returned by WriteTag when a body is larger than
	// MaxTagBodySize, and by TagReader.ReadTag when a tag announces a body
	// larger than its MaxTagSize.
	ErrTagTooLarge = errors.New("FLV tag too large")

	// ErrNotFLV is returned by TagReader.ReadHeader when the data does not
	// begin with an FLV header: the signature "FLV" and a DataOffset of at
	// least 9 (and at most 9+65536).
	ErrNotFLV = errors.New("not an FLV header")

	// ErrPreviousTagSize is returned by TagReader.ReadTag when the
	// PreviousTagSize after a tag is not the tag's size (11 + body size):
	// the stream is corrupt or out of step.
	ErrPreviousTagSize = errors.New("PreviousTagSize does not match the tag")
)

// WriteHeader writes the 9-byte FLV file header (signature "FLV", version
// 1, the audio and video flags, DataOffset 9) and PreviousTagSize0, 0: what
// an FLV file or an HTTP-FLV response begins with.
func WriteHeader(w io.Writer, hasVideo, hasAudio bool) error {
	var flags byte
	if hasAudio {
		flags |= 0x04
	}
	if hasVideo {
		flags |= 0x01
	}
	_, err := w.Write([]byte{'F', 'L', 'V', 1, flags, 0, 0, 0, headerSize, 0, 0, 0, 0})
	return err
}

// WriteTag writes one FLV tag and the PreviousTagSize after it. The
// timestamp is split as FLV wants: its low 24 bits in Timestamp, its high 8
// bits in TimestampExtended, so all 32 bits survive (timestamps past 2^24 ms,
// about 4.7 hours, and the wrap after 2^32 ms). StreamID is 0.
//
// The tag goes out in one Write for each of header, body and trailer, or one
// writev on a net.Conn. Errors: ErrTagTooLarge, and those of w.
func WriteTag(w io.Writer, tagType TagType, timestampMS uint32, body []byte) error {
	if len(body) > MaxTagBodySize {
		return fmt.Errorf("%w: body of %d bytes, at most %d", ErrTagTooLarge, len(body), MaxTagBodySize)
	}
	size := uint32(len(body))
	hdr := [tagHeaderSize]byte{
		byte(tagType),
		byte(size >> 16), byte(size >> 8), byte(size),
		byte(timestampMS >> 16), byte(timestampMS >> 8), byte(timestampMS),
		byte(timestampMS >> 24),
		0, 0, 0,
	}
	var trailer [4]byte
	binary.BigEndian.PutUint32(trailer[:], tagHeaderSize+size)
	bufs := net.Buffers{hdr[:], body, trailer[:]}
	_, err := bufs.WriteTo(w)
	return err
}

// Header is what the FLV file header says.
type Header struct {
	// Version is 1 in every FLV file.
	Version  uint8
	HasAudio bool
	HasVideo bool
}

// Tag is one FLV tag read by TagReader.
type Tag struct {
	// Type is the whole type byte: a tag with the filter (encryption) bit
	// set shows as a type none of the TagType constants match.
	Type TagType
	// Timestamp is in milliseconds, all 32 bits (with TimestampExtended).
	Timestamp uint32
	// Data is the tag body; see VideoTag, AudioTag and UnmarshalAMF0.
	Data []byte
}

// TagReader reads an FLV file or HTTP-FLV stream: ReadHeader once, then
// ReadTag until io.EOF.
type TagReader struct {
	// MaxTagSize is the largest tag body accepted; ReadTag fails with
	// ErrTagTooLarge on a larger one before reading it. Zero means
	// DefaultMaxTagSize.
	MaxTagSize int

	r   io.Reader
	buf [tagHeaderSize]byte
}

// NewTagReader returns a TagReader reading from r. It does its own small
// reads; wrap r in a bufio.Reader when reads are expensive.
func NewTagReader(r io.Reader) *TagReader {
	return &TagReader{r: r}
}

// ReadHeader reads the FLV file header, skips to DataOffset, and reads
// PreviousTagSize0 (its value is ignored). Errors: io.EOF when r is empty,
// io.ErrUnexpectedEOF when it ends inside the header, ErrNotFLV, and those
// of r.
func (tr *TagReader) ReadHeader() (Header, error) {
	b := tr.buf[:headerSize]
	if _, err := io.ReadFull(tr.r, b); err != nil {
		return Header{}, err
	}
	if b[0] != 'F' || b[1] != 'L' || b[2] != 'V' {
		return Header{}, fmt.Errorf("%w: signature % x, want 46 4c 56 (\"FLV\")", ErrNotFLV, b[:3])
	}
	h := Header{Version: b[3], HasAudio: b[4]&0x04 != 0, HasVideo: b[4]&0x01 != 0}
	offset := binary.BigEndian.Uint32(b[5:])
	if offset < headerSize || offset > headerSize+maxHeaderSkip {
		return Header{}, fmt.Errorf("%w: DataOffset (%d) is outside %d..%d",
			ErrNotFLV, offset, headerSize, headerSize+maxHeaderSkip)
	}
	if _, err := io.CopyN(io.Discard, tr.r, int64(offset-headerSize)+4); err != nil {
		return Header{}, unexpectedEOF(err)
	}
	return h, nil
}

// ReadTag reads the next tag and the PreviousTagSize after it. Data is a
// new slice the caller may keep; it grows as bytes arrive, so a tag that
// announces a large body does not allocate it before the bytes are there.
//
// Errors: io.EOF when r ends cleanly between two tags,
// io.ErrUnexpectedEOF when it ends inside one, ErrTagTooLarge,
// ErrPreviousTagSize, and those of r.
func (tr *TagReader) ReadTag() (Tag, error) {
	b := tr.buf[:tagHeaderSize]
	if _, err := io.ReadFull(tr.r, b); err != nil {
		return Tag{}, err
	}
	t := Tag{
		Type:      TagType(b[0]),
		Timestamp: uint32(b[7])<<24 | uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6]),
	}
	size := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	limit := tr.MaxTagSize
	if limit == 0 {
		limit = DefaultMaxTagSize
	}
	if size > limit {
		return Tag{}, fmt.Errorf("%w: tag type %d announces a body of %d bytes, maximum is %d",
			ErrTagTooLarge, t.Type, size, limit)
	}
	data, err := readGrowing(tr.r, size)
	if err != nil {
		return Tag{}, fmt.Errorf("tag type %d body of %d bytes: %w", t.Type, size, err)
	}
	t.Data = data
	trailer := tr.buf[:4]
	if _, err := io.ReadFull(tr.r, trailer); err != nil {
		return Tag{}, fmt.Errorf("PreviousTagSize after tag type %d: %w", t.Type, unexpectedEOF(err))
	}
	if prev := binary.BigEndian.Uint32(trailer); prev != uint32(tagHeaderSize+size) {
		return Tag{}, fmt.Errorf("%w: PreviousTagSize is %d, tag type %d takes %d bytes",
			ErrPreviousTagSize, prev, t.Type, tagHeaderSize+size)
	}
	return t, nil
}

// readGrowing reads exactly n bytes, allocating at most twice what has
// arrived so far (and at least 64 KiB).
func readGrowing(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, min(n, 64<<10))
	off := 0
	for {
		k, err := io.ReadFull(r, b[off:])
		off += k
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		if off == n {
			return b, nil
		}
		b = append(b, make([]byte, min(n-off, off))...)
	}
}

// unexpectedEOF turns io.EOF into io.ErrUnexpectedEOF, for reads that start
// in the middle of a structure.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
