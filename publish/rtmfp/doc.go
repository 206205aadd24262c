// Package rtmfp speaks RTMFP, the Real-Time Media Flow Protocol (RFC
// 7016), with the Flash crypto profile and the RTMP mapping of RFC 7425:
// RTMP's messages carried over UDP in flows with priorities, partial
// reliability (a live message older than its deadline is abandoned instead
// of holding up what follows) and congestion control.
//
// One idea per file: vlu.go and option.go are the wire primitives,
// checksum.go and crypto.go the packet protection, packet.go the packet and
// chunk layout, keying.go the Flash profile's certificates, keying
// components and key derivation, handshake.go the initiator's side of the
// four-way handshake and responder.go the responder's (stateless cookies),
// session.go a session's packets in and its timers, sendpath.go what it
// sends, congestion.go acknowledgements, loss detection and the congestion
// window, sendflow.go and recvflow.go the flows, tc.go the RTMP messages
// on flows (RFC 7425 §5), client.go a NetConnection that publishes or
// plays, server.go a server of NetConnections on one UDP socket.
//
// Errors wrap the sentinels below (and ErrShort, ErrVLU for malformed
// input); a stream key never appears in an error or a log line.
package rtmfp

import "errors"

var (
	// ErrProtocol: the peer sent something RTMFP or RFC 7425 does not allow.
	ErrProtocol = errors.New("rtmfp: protocol error")
	// ErrCrypto: a packet that does not decrypt, or whose checksum, HMAC or
	// session sequence number is wrong. Such packets are dropped and counted.
	ErrCrypto = errors.New("rtmfp: packet failed its integrity check")
	// ErrTimeout: the peer did not answer the handshake, or went silent.
	ErrTimeout = errors.New("rtmfp: no answer from the peer")
	// ErrClosed: the session or flow was closed.
	ErrClosed = errors.New("rtmfp: closed")
	// ErrRejected: the server refused connect, publish or play.
	ErrRejected = errors.New("rtmfp: rejected by the server")
)
