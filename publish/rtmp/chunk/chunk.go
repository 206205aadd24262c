// Package chunk reads and writes the RTMP chunk stream (RTMP 1.0 specification,
// section 5.3): it splits messages into chunks with compressed headers and
// reassembles them, and it encodes the protocol control messages (section 5.4)
// and user control events (section 6.2).
//
// Unlike the ChunkStreamer of github.com/yutopp/go-rtmp, a Writer writes each
// message completely before it returns, so messages leave in the order they
// were written whatever their chunk streams, and a Reader never panics:
// malformed input yields an error, and the memory it holds stays within the
// limits of its ReaderConfig.
//
// A Writer and a Reader are each meant to be driven by one goroutine, the
// owner of the connection's direction; they are not safe for concurrent use.
package chunk

import "errors"

const (
	// DefaultChunkSize is the chunk size both directions start with,
	// until a Set Chunk Size message changes it.
	DefaultChunkSize = 128

	// MaxChunkSize is the largest chunk size: Set Chunk Size carries 31 bits.
	MaxChunkSize = 0x7FFFFFFF

	// MinChunkStreamID is the smallest chunk stream id a basic header can carry;
	// 0 and 1 mark the 2- and 3-byte forms.
	MinChunkStreamID = 2

	// MaxChunkStreamID is the largest chunk stream id (3-byte basic header).
	MaxChunkStreamID = 65599

	// ControlChunkStreamID is the chunk stream of protocol control messages.
	ControlChunkStreamID = 2

	// MaxMessageLength is the largest message length the 3-byte header field carries.
	MaxMessageLength = 0xFFFFFF
)

var (
	// ErrInvalidChunkSize is returned by Writer.SetChunkSize, NewReader,
	// SetChunkSize.Marshal and SetChunkSize.Unmarshal when a chunk size is 0
	// or above MaxChunkSize, and by Reader.ReadMessage when the peer sets such
	// a chunk size.
	ErrInvalidChunkSize = errors.New("invalid chunk size")

	// ErrInvalidChunkStreamID is returned by Writer.WriteMessage when a chunk
	// stream id is outside MinChunkStreamID..MaxChunkStreamID.
	ErrInvalidChunkStreamID = errors.New("invalid chunk stream id")

	// ErrMessageTooLarge is returned by Writer.WriteMessage when a payload is
	// longer than MaxMessageLength, and by Reader.ReadMessage when a message
	// header announces a length above ReaderConfig.MaxMessageLength.
	ErrMessageTooLarge = errors.New("message too large")
)
