package chunk

import "fmt"

// MaxHeaderLen is the longest header of a message's first chunk: a 3-byte
// basic header, a fmt 0 message header and an extended timestamp.
const MaxHeaderLen = maxHeaderLen

// Body is a message payload cut into chunks once, for a server that sends
// the same message to many peers: the first chunk's data, then for every
// continuation chunk its fmt 3 basic header and data. These bytes do not
// depend on a Writer's state, only on the chunk stream id and the chunk
// size; each peer's Writer adds the first chunk's header (AppendHeader).
// A Body is immutable and safe for concurrent use.
//
// Continuation chunks of a message whose timestamp field needs the extended
// timestamp repeat it, so such messages cannot use a Body (AppendHeader
// says so); that happens after 4.6 hours of stream time.
type Body struct {
	csid      int
	chunkSize uint32
	length    int // of the payload
	b         []byte
}

// NewBody cuts payload for chunk stream csid at chunkSize. It returns
// ErrInvalidChunkStreamID, ErrInvalidChunkSize or ErrMessageTooLarge for a
// message WriteMessage could not send.
func NewBody(csid int, chunkSize uint32, payload []byte) (*Body, error) {
	if err := checkMessage(&Message{ChunkStreamID: csid, Payload: payload}); err != nil {
		return nil, err
	}
	if chunkSize == 0 || chunkSize > MaxChunkSize {
		return nil, fmt.Errorf("%w: chunk size (%d) is outside 1..%d", ErrInvalidChunkSize, chunkSize, MaxChunkSize)
	}
	var bh [3]byte
	hn := putBasicHeader(bh[:], fmtNoHeader, csid)
	cont := 0
	if len(payload) > 0 {
		cont = (len(payload) - 1) / int(chunkSize) // continuation chunks
	}
	b := make([]byte, 0, len(payload)+cont*hn)
	p := payload
	for {
		k := min(uint32(len(p)), chunkSize)
		b = append(b, p[:k]...)
		p = p[k:]
		if len(p) == 0 {
			break
		}
		b = append(b, bh[:hn]...)
	}
	return &Body{csid: csid, chunkSize: chunkSize, length: len(payload), b: b}, nil
}

// Bytes returns the chunk bytes after the first chunk's header. The caller
// must not modify them.
func (b *Body) Bytes() []byte { return b.b }

// ChunkSize is the chunk size b was cut at.
func (b *Body) ChunkSize() uint32 { return b.chunkSize }
