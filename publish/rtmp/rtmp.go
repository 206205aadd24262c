// Package rtmp is OnAir's RTMP session layer, both ends of it:
//
//   - client.go: Dial, the client side. It connects, creates a stream and
//     publishes (or, with Config.Play, plays) over plain TCP (rtmp) or TLS
//     (rtmps), then writes media synchronously with a stall deadline.
//   - serve.go: Serve, the server side of one session, for the loopback
//     server: it answers connect, createStream, publish and play and hands
//     media to a ServerHandler.
//   - fanout.go, rawio_*.go: Prepared messages, chunked once and sent to
//     many players with writev.
//   - conn.go: what both ends share (ordered writes under a deadline,
//     acknowledgements and pings); command.go: AMF0 commands, with
//     publish/flv's AMF0 codec.
//   - chunk: the chunk stream layer both use (RTMP specification 5.3).
//   - handshake: the handshake, both ends, simple and digest forms.
//
// It replaces github.com/yutopp/go-rtmp, whose client sends
// asynchronously with one queue per chunk stream, never reports
// NetStream.Publish.Start or a rejection, and waits for replies without a
// timeout, and whose handshake has neither the digest form nor an S2 that
// echoes C1 byte for byte (OBS logs "client signature does not match!"
// against it). Here one goroutine reads what the peer sends (answering
// pings and acknowledging data), and writes happen in the caller's order;
// go-rtmp remains as a third-party peer in tests.
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
