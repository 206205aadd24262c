// Package rtmp is OnAir's RTMP publishing client: connect, createStream and
// publish over plain TCP (rtmp) or TLS (rtmps), then synchronous media
// writes with a stall deadline.
//
// It uses go-rtmp's handshake and go-amf0's AMF0 codec, and our own chunk
// layer (publish/rtmp/chunk): go-rtmp's client sends asynchronously with
// one queue per chunk stream, never reports NetStream.Publish.Start or a
// rejection, and waits for replies without a timeout. Here one goroutine
// reads what the server sends (answering pings and acknowledging data),
// and writes happen in the caller's order.
package rtmp

import "errors"

// ErrRejected is returned by Dial when the server refuses the connect or
// the publish (a wrong stream key, a name in use, an app that does not
// exist). The message carries the server's status code and description,
// with the stream key masked.
var ErrRejected = errors.New("server rejected the stream")

// ErrClosed is returned when the server closed the connection, or when the
// client was closed.
var ErrClosed = errors.New("connection closed")

// ErrTimeout is returned when the server did not answer in time, or a write
// stalled past its deadline.
var ErrTimeout = errors.New("timed out")

// Message type IDs (RTMP specification, section 5.4 and 7.1).
const (
	typeSetChunkSize  = 1
	typeAbort         = 2
	typeAck           = 3
	typeUserControl   = 4
	typeWindowAckSize = 5
	typeSetPeerBW     = 6
	typeAudio         = 8
	typeVideo         = 9
	typeDataAMF0      = 18
	typeCommandAMF0   = 20
)

// Chunk stream IDs, as FFmpeg uses them.
const (
	csidControl = 2
	csidCommand = 3
	csidAudio   = 4
	csidVideo   = 6
	csidData    = 5
	csidStream  = 8
)
