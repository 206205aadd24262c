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
	streams   map[int]*writerStream
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
	if !validChunkStreamID(m.ChunkStreamID) {
		return fmt.Errorf("%w: %d is outside %d..%d",
			ErrInvalidChunkStreamID, m.ChunkStreamID, MinChunkStreamID, MaxChunkStreamID)
	}
	if len(m.Payload) > MaxMessageLength {
		return fmt.Errorf("%w: message length (%d) exceeds %d",
			ErrMessageTooLarge, len(m.Payload), MaxMessageLength)
	}
	length := uint32(len(m.Payload))

	st, seen := w.streams[m.ChunkStreamID]
	if !seen {
		st = &writerStream{}
		w.streams[m.ChunkStreamID] = st
	}

	// field is the value of the timestamp field: absolute for fmt 0, a delta otherwise.
	var f uint8
	field := m.Timestamp - st.timestamp
	switch {
	case !seen || m.StreamID != st.streamID || m.Timestamp < st.timestamp:
		f, field = fmtFull, m.Timestamp
	case length != st.length || m.TypeID != st.typeID:
		f = fmtNoStream
	case !st.hasDelta || field != st.delta:
		f = fmtDelta
	default:
		f = fmtNoHeader
	}
	// For fmt 3 the delta equals the previous one, so the extended field is
	// present exactly when it was in the previous header, as readers expect.
	ext := field >= extendedTimestamp

	st.timestamp = m.Timestamp
	st.delta = field
	st.hasDelta = f != fmtFull
	st.length = length
	st.typeID = m.TypeID
	st.streamID = m.StreamID

	h := w.hdr[:]
	n := putBasicHeader(h, f, m.ChunkStreamID)
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
