package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Defaults of ReaderConfig.
const (
	// DefaultMaxMessageLength is the default ReaderConfig.MaxMessageLength:
	// 16 MiB, above every length a message header can announce.
	DefaultMaxMessageLength = 16 << 20

	// DefaultMaxPartialMessages is the default ReaderConfig.MaxPartialMessages.
	DefaultMaxPartialMessages = 64
)

// allocStep bounds how far a message buffer grows ahead of the bytes received:
// a buffer starts at min(length, allocStep) and grows as chunk data arrives,
// so a header announcing a large message costs nothing until the data comes.
const allocStep = 64 << 10

var (
	// ErrNoPreviousHeader is returned by Reader.ReadMessage when a chunk with a
	// fmt 1, 2 or 3 header arrives on a chunk stream that has not had a fmt 0
	// header yet, so the values it leaves out are unknown.
	ErrNoPreviousHeader = errors.New("no previous header on the chunk stream")

	// ErrInterruptedMessage is returned by Reader.ReadMessage when a chunk with
	// a fmt 0, 1 or 2 header arrives on a chunk stream whose message is still
	// incomplete: only fmt 3 chunks may continue a message.
	ErrInterruptedMessage = errors.New("new message header inside a message")

	// ErrTooManyPartialMessages is returned by Reader.ReadMessage when a message
	// spanning several chunks starts while ReaderConfig.MaxPartialMessages chunk
	// streams already hold an incomplete message.
	ErrTooManyPartialMessages = errors.New("too many partial messages")
)

// ReaderConfig configures a Reader. The zero value gives the defaults.
type ReaderConfig struct {
	// ChunkSize is the peer's chunk size until it sends Set Chunk Size.
	// Zero means DefaultChunkSize (128), the size every connection starts with.
	ChunkSize uint32

	// MaxMessageLength is the longest message accepted, in bytes: a header
	// announcing more makes ReadMessage return ErrMessageTooLarge.
	// Zero means DefaultMaxMessageLength (16 MiB, no limit beyond the header's).
	MaxMessageLength uint32

	// MaxPartialMessages is how many chunk streams may each hold an incomplete
	// message at once; starting one more multi-chunk message makes ReadMessage
	// return ErrTooManyPartialMessages. Zero means DefaultMaxPartialMessages (64).
	MaxPartialMessages int
}

// Reader reads chunks from an io.Reader and reassembles the messages of
// interleaved chunk streams.
//
// It applies the Set Chunk Size and Abort messages it reads itself, whatever
// their chunk stream, and still returns them.
//
// A message buffer starts at the announced length capped to 64 KiB and grows
// as chunk data arrives, never by the chunk size: the memory held for
// incomplete messages stays within about twice the bytes received for them,
// and so within MaxPartialMessages × MaxMessageLength. The header state kept
// per chunk stream is a few dozen bytes, for at most 65598 chunk streams.
//
// Reader reads no more than it needs: wrap a connection in a bufio.Reader for
// speed, and bytes after the last chunk read stay there.
type Reader struct {
	r         io.Reader
	cfg       ReaderConfig
	chunkSize uint32
	streams   map[int]*readerStream
	partial   int // chunk streams holding an incomplete multi-chunk message
	bytesRead uint64
	hdr       [maxHeaderLen]byte
	err       error
}

// readerStream is the state of one chunk stream: its last header and the
// message being received.
type readerStream struct {
	timestamp uint32 // of the current or last message
	delta     uint32 // applied by a fmt 3 header starting a new message
	ext       bool   // the last fmt 0, 1 or 2 header had an extended timestamp
	length    uint32
	typeID    uint8
	streamID  uint32

	inMessage bool   // a message has started and is not complete
	counted   bool   // the message counts in Reader.partial
	payload   []byte // bytes of the current message received so far
}

// NewReader returns a Reader of chunks from r. It returns ErrInvalidChunkSize
// when cfg.ChunkSize is above MaxChunkSize, and an error for a negative
// cfg.MaxPartialMessages.
func NewReader(r io.Reader, cfg ReaderConfig) (*Reader, error) {
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ChunkSize > MaxChunkSize {
		return nil, fmt.Errorf("%w: chunk size (%d) exceeds %d", ErrInvalidChunkSize, cfg.ChunkSize, MaxChunkSize)
	}
	if cfg.MaxMessageLength == 0 {
		cfg.MaxMessageLength = DefaultMaxMessageLength
	}
	if cfg.MaxPartialMessages == 0 {
		cfg.MaxPartialMessages = DefaultMaxPartialMessages
	}
	if cfg.MaxPartialMessages < 0 {
		return nil, fmt.Errorf("maximum number of partial messages (%d) is negative", cfg.MaxPartialMessages)
	}
	return &Reader{
		r:         r,
		cfg:       cfg,
		chunkSize: cfg.ChunkSize,
		streams:   make(map[int]*readerStream),
	}, nil
}

// ChunkSize returns the peer's current chunk size.
func (r *Reader) ChunkSize() uint32 {
	return r.chunkSize
}

// BytesRead returns how many bytes the Reader has consumed from its
// io.Reader, for acknowledgements.
func (r *Reader) BytesRead() uint64 {
	return r.bytesRead
}

// ReadMessage reads chunks until a message is complete and returns it. The
// caller owns the returned message and its payload.
//
// It returns io.EOF when the input ends at a message boundary with no
// incomplete message, and an error wrapping io.ErrUnexpectedEOF when it ends
// anywhere else. Any other error means the input is malformed or over a limit.
// Errors are final: every later call returns the same error.
func (r *Reader) ReadMessage() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		m, err := r.readChunk()
		if err == nil && m != nil {
			err = r.apply(m)
		}
		if err != nil {
			r.err = err
			return nil, err
		}
		if m != nil {
			return m, nil
		}
	}
}

// readChunk reads one chunk and returns the message it completes, if any.
func (r *Reader) readChunk() (*Message, error) {
	h := r.hdr[:]
	if err := r.readFull(h[:1]); err != nil {
		if err == io.EOF && r.partial == 0 {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading chunk basic header: %w", unexpected(err))
	}
	f := h[0] >> 6
	csid := int(h[0] & 0x3F)
	switch csid {
	case 0:
		if err := r.readFull(h[1:2]); err != nil {
			return nil, fmt.Errorf("reading chunk basic header: %w", unexpected(err))
		}
		csid = 64 + int(h[1])
	case 1:
		if err := r.readFull(h[1:3]); err != nil {
			return nil, fmt.Errorf("reading chunk basic header: %w", unexpected(err))
		}
		csid = 64 + int(h[1]) + int(h[2])<<8
	}

	st := r.streams[csid]
	if st == nil {
		if f != fmtFull {
			return nil, fmt.Errorf("%w: fmt %d chunk on chunk stream %d", ErrNoPreviousHeader, f, csid)
		}
		st = &readerStream{}
		r.streams[csid] = st
	}
	if st.inMessage && f != fmtNoHeader {
		return nil, fmt.Errorf("%w: fmt %d chunk on chunk stream %d after %d of %d bytes",
			ErrInterruptedMessage, f, csid, len(st.payload), st.length)
	}

	hl := [4]int{headerLen0, headerLen1, headerLen2, 0}[f]
	if err := r.readFull(h[:hl]); err != nil {
		return nil, fmt.Errorf("reading chunk message header on chunk stream %d: %w", csid, unexpected(err))
	}
	ext := st.ext
	var field uint32 // the timestamp or delta of a new message
	if f != fmtNoHeader {
		field = uint24(h)
		ext = field == extendedTimestamp
	}
	if ext {
		if err := r.readFull(h[hl : hl+extendedLen]); err != nil {
			return nil, fmt.Errorf("reading extended timestamp on chunk stream %d: %w", csid, unexpected(err))
		}
		field = binary.BigEndian.Uint32(h[hl:])
	}

	if !st.inMessage {
		if err := r.startMessage(st, csid, f, h, field, ext); err != nil {
			return nil, err
		}
	}

	if err := r.readData(st, csid); err != nil {
		return nil, err
	}
	if uint32(len(st.payload)) < st.length {
		return nil, nil
	}

	m := &Message{
		ChunkStreamID: csid,
		Timestamp:     st.timestamp,
		TypeID:        st.typeID,
		StreamID:      st.streamID,
		Payload:       st.payload,
	}
	r.endMessage(st)
	return m, nil
}

// startMessage applies the header of a message's first chunk to st.
// field is the timestamp (fmt 0) or delta, already taken from the extended
// timestamp if there was one; for a fmt 3 header, it counts only if ext.
func (r *Reader) startMessage(st *readerStream, csid int, f uint8, h []byte, field uint32, ext bool) error {
	switch f {
	case fmtFull:
		st.timestamp = field
		// A fmt 3 header right after fmt 0 has the fmt 0 timestamp as its
		// delta (specification, section 5.3.1.2.4), as in FFmpeg.
		st.delta = field
		st.length = uint24(h[3:])
		st.typeID = h[6]
		st.streamID = binary.LittleEndian.Uint32(h[7:])
	case fmtNoStream:
		st.length = uint24(h[3:])
		st.typeID = h[6]
		st.delta = field
	case fmtDelta:
		st.delta = field
	case fmtNoHeader:
		if ext {
			st.delta = field
		}
	}
	if f != fmtFull {
		st.timestamp += st.delta
	}
	if f != fmtNoHeader {
		st.ext = ext
	}

	if st.length > r.cfg.MaxMessageLength {
		return fmt.Errorf("%w: message length (%d) on chunk stream %d exceeds limit %d",
			ErrMessageTooLarge, st.length, csid, r.cfg.MaxMessageLength)
	}
	if st.length > r.chunkSize {
		if r.partial >= r.cfg.MaxPartialMessages {
			return fmt.Errorf("%w: message on chunk stream %d would be partial message %d, limit is %d",
				ErrTooManyPartialMessages, csid, r.partial+1, r.cfg.MaxPartialMessages)
		}
		r.partial++
		st.counted = true
	}
	st.inMessage = true
	st.payload = make([]byte, 0, min(st.length, allocStep))
	return nil
}

// readData reads the data of one chunk into the message of st, growing its
// buffer no further than allocStep ahead of the bytes received.
func (r *Reader) readData(st *readerStream, csid int) error {
	n := min(st.length-uint32(len(st.payload)), r.chunkSize)
	for n > 0 {
		l := uint32(len(st.payload))
		if l == uint32(cap(st.payload)) {
			grown := make([]byte, l, min(st.length, max(2*l, l+allocStep)))
			copy(grown, st.payload)
			st.payload = grown
		}
		k := min(n, uint32(cap(st.payload))-l)
		st.payload = st.payload[:l+k]
		if err := r.readFull(st.payload[l:]); err != nil {
			return fmt.Errorf("reading chunk data on chunk stream %d: %w", csid, unexpected(err))
		}
		n -= k
	}
	return nil
}

// endMessage forgets the message of st, complete or aborted.
func (r *Reader) endMessage(st *readerStream) {
	if st.counted {
		r.partial--
	}
	st.inMessage = false
	st.counted = false
	st.payload = nil
}

// apply carries out the protocol control messages that change how chunks are
// read.
func (r *Reader) apply(m *Message) error {
	switch m.TypeID {
	case TypeSetChunkSize:
		var s SetChunkSize
		if err := s.Unmarshal(m.Payload); err != nil {
			return fmt.Errorf("reading Set Chunk Size: %w", err)
		}
		r.chunkSize = s.Size
	case TypeAbort:
		var a Abort
		if err := a.Unmarshal(m.Payload); err != nil {
			return fmt.Errorf("reading Abort: %w", err)
		}
		if a.ChunkStreamID <= MaxChunkStreamID {
			if st := r.streams[int(a.ChunkStreamID)]; st != nil && st.inMessage {
				r.endMessage(st)
			}
		}
	}
	return nil
}

func (r *Reader) readFull(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.bytesRead += uint64(n)
	return err
}

// unexpected turns the io.EOF of a read that had to succeed into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
