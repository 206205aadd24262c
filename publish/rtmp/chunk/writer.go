package chunk

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Writer splits messages into chunks and writes them, synchronously and in
// order, to an io.Writer.
//
// It picks the smallest header each message allows on its chunk stream:
// fmt 0 for the first message of a chunk stream, when the message stream id
// changes or when the timestamp goes backwards; fmt 1 when the length or type
// changes; fmt 2 when only the timestamp delta changes; fmt 3 when everything,
// the delta included, repeats. It never sends a fmt 3 header for a new message
// right after a fmt 0 header, where readers disagree about the delta.
//
// Writer does no buffering: wrap the connection in a bufio.Writer and flush it
// when a batch of messages has been written. Writing a message allocates
// nothing once its chunk stream has been used.
type Writer struct {
	w         io.Writer
	chunkSize uint32
	low       [16]writerStream      // chunk streams below 16, in the Writer itself
	lowUsed   uint16                // which of low have been used
	streams   map[int]*writerStream // the others
	hdr       [maxHeaderLen]byte
	err       error
}

// writerStream is what the peer remembers of a chunk stream's last header.
type writerStream struct {
	timestamp uint32
	delta     uint32
	hasDelta  bool // the last message was sent with fmt 1, 2 or 3
	length    uint32
	typeID    uint8
	streamID  uint32
}

// NewWriter returns a Writer that writes chunks to w with chunk size
// DefaultChunkSize.
func NewWriter(w io.Writer) *Writer {
	return &Writer{
		w:         w,
		chunkSize: DefaultChunkSize,
		streams:   make(map[int]*writerStream),
	}
}

// ChunkSize returns the chunk size the Writer splits messages with.
func (w *Writer) ChunkSize() uint32 {
	return w.chunkSize
}

// SetChunkSize makes the Writer use chunk size n for the messages that follow.
// Write a Set Chunk Size message announcing n first: the peer changes its
// chunk size when it reads that message. It returns ErrInvalidChunkSize
// unless 1 <= n <= MaxChunkSize.
func (w *Writer) SetChunkSize(n uint32) error {
	if n == 0 || n > MaxChunkSize {
		return fmt.Errorf("%w: chunk size (%d) is outside 1..%d", ErrInvalidChunkSize, n, MaxChunkSize)
	}
	w.chunkSize = n
	return nil
}

// WriteMessage writes m as a sequence of chunks and returns when all of them
// have been passed to the underlying writer. It returns ErrInvalidChunkStreamID
// or ErrMessageTooLarge, having written nothing, for a message it cannot send.
// After an error of the underlying writer, the chunk stream is broken and every
// later call returns that error.
func (w *Writer) WriteMessage(m *Message) error {
	if w.err != nil {
		return w.err
	}
	if err := checkMessage(m); err != nil {
		return err
	}
	h := w.hdr[:]
	n, field, ext := w.header(h, m)
	if err := w.write(h[:n]); err != nil {
		return err
	}

	p := m.Payload
	for {
		k := min(uint32(len(p)), w.chunkSize)
		if err := w.write(p[:k]); err != nil {
			return err
		}
		p = p[k:]
		if len(p) == 0 {
			return nil
		}
		// Continuation chunk: fmt 3, repeating the extended timestamp.
		n = putBasicHeader(h, fmtNoHeader, m.ChunkStreamID)
		if ext {
			binary.BigEndian.PutUint32(h[n:], field)
			n += 4
		}
		if err := w.write(h[:n]); err != nil {
			return err
		}
	}
}

// AppendMessage is WriteMessage into a byte slice: it appends m's chunks
// to dst and records m as written. It returns ErrInvalidChunkStreamID or
// ErrMessageTooLarge, having appended and recorded nothing, for a message
// it cannot send. It writes nothing to the underlying writer.
func (w *Writer) AppendMessage(dst []byte, m *Message) ([]byte, error) {
	if err := checkMessage(m); err != nil {
		return dst, err
	}
	h := w.hdr[:]
	n, field, ext := w.header(h, m)
	dst = append(dst, h[:n]...)
	p := m.Payload
	for {
		k := min(uint32(len(p)), w.chunkSize)
		dst = append(dst, p[:k]...)
		p = p[k:]
		if len(p) == 0 {
			return dst, nil
		}
		n = putBasicHeader(h, fmtNoHeader, m.ChunkStreamID)
		if ext {
			binary.BigEndian.PutUint32(h[n:], field)
			n += 4
		}
		dst = append(dst, h[:n]...)
	}
}

// AppendHeader is WriteMessage for a message whose chunks after the first
// header were cut beforehand into body (see NewBody), for sending the same
// bytes to many peers: it appends the header of m's first chunk to dst,
// as WriteMessage would write it, and records m as written on its chunk
// stream. dst then body.Bytes() is WriteMessage's output for m; the caller
// writes both. It writes nothing to the underlying writer.
//
// ok is false, with nothing appended or recorded, when body does not fit m
// (another chunk stream, chunk size or length), when m's timestamp field
// needs the extended timestamp (which continuation chunks repeat), and when
// WriteMessage would return an error: use WriteMessage then.
func (w *Writer) AppendHeader(dst []byte, m *Message, body *Body) (out []byte, ok bool) {
	if w.err != nil || body == nil || body.csid != m.ChunkStreamID || body.chunkSize != w.chunkSize ||
		body.length != len(m.Payload) || checkMessage(m) != nil {
		return dst, false
	}
	if _, field := w.choose(w.stream(m.ChunkStreamID), m); field >= extendedTimestamp {
		return dst, false
	}
	h := w.hdr[:]
	n, _, _ := w.header(h, m)
	return append(dst, h[:n]...), true
}

func checkMessage(m *Message) error {
	if !validChunkStreamID(m.ChunkStreamID) {
		return fmt.Errorf("%w: %d is outside %d..%d",
			ErrInvalidChunkStreamID, m.ChunkStreamID, MinChunkStreamID, MaxChunkStreamID)
	}
	if len(m.Payload) > MaxMessageLength {
		return fmt.Errorf("%w: message length (%d) exceeds %d",
			ErrMessageTooLarge, len(m.Payload), MaxMessageLength)
	}
	return nil
}

// stream returns the state of chunk stream csid, nil before its first message.
func (w *Writer) stream(csid int) *writerStream {
	if csid < len(w.low) {
		if w.lowUsed&(1<<csid) == 0 {
			return nil
		}
		return &w.low[csid]
	}
	return w.streams[csid]
}

// choose picks the header format of m on its chunk stream (st, nil if
// unused) and the value of its timestamp field: absolute for fmt 0, a delta
// otherwise.
func (w *Writer) choose(st *writerStream, m *Message) (f uint8, field uint32) {
	length := uint32(len(m.Payload))
	switch {
	case st == nil || m.StreamID != st.streamID || m.Timestamp < st.timestamp:
		return fmtFull, m.Timestamp
	case length != st.length || m.TypeID != st.typeID:
		return fmtNoStream, m.Timestamp - st.timestamp
	case !st.hasDelta || m.Timestamp-st.timestamp != st.delta:
		return fmtDelta, m.Timestamp - st.timestamp
	default:
		return fmtNoHeader, m.Timestamp - st.timestamp
	}
}

// header puts the first chunk's header of m into h (maxHeaderLen bytes),
// records m on its chunk stream, and returns the header's length, the
// timestamp field and whether the extended timestamp is present.
func (w *Writer) header(h []byte, m *Message) (n int, field uint32, ext bool) {
	st := w.stream(m.ChunkStreamID)
	f, field := w.choose(st, m)
	if st == nil {
		if m.ChunkStreamID < len(w.low) {
			w.lowUsed |= 1 << m.ChunkStreamID
			st = &w.low[m.ChunkStreamID]
		} else {
			st = &writerStream{}
			w.streams[m.ChunkStreamID] = st
		}
	}
	// For fmt 3 the delta equals the previous one, so the extended field is
	// present exactly when it was in the previous header, as readers expect.
	ext = field >= extendedTimestamp

	length := uint32(len(m.Payload))
	st.timestamp = m.Timestamp
	st.delta = field
	st.hasDelta = f != fmtFull
	st.length = length
	st.typeID = m.TypeID
	st.streamID = m.StreamID

	n = putBasicHeader(h, f, m.ChunkStreamID)
	if f <= fmtDelta {
		putUint24(h[n:], min(field, extendedTimestamp))
		n += 3
	}
	if f <= fmtNoStream {
		putUint24(h[n:], length)
		h[n+3] = m.TypeID
		n += 4
	}
	if f == fmtFull {
		binary.LittleEndian.PutUint32(h[n:], m.StreamID)
		n += 4
	}
	if ext {
		binary.BigEndian.PutUint32(h[n:], field)
		n += 4
	}
	return n, field, ext
}

func (w *Writer) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("writing chunk: %w", err)
		return w.err
	}
	return nil
}
