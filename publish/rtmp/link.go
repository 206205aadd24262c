package rtmp

import (
	"net"
	"syscall"
)

// Link is what the kernel knows of a session's TCP connection: the bytes
// that wait in it and the bytes the peer took. A socket's send buffer
// grows to megabytes (Linux tunes it to the path), which at a few Mbit/s
// is seconds of media: a sender that counts only its own queue does not
// see that congestion. Link reads it (TCP_INFO) on Linux.
type Link struct {
	// Unsent is how many bytes wait in the socket's send buffer, not yet
	// put on the wire (tcpi_notsent_bytes, the figure of the SIOCOUTQNSD
	// ioctl). Bytes in flight are left out: they are the path's round
	// trip, not a queue (a 250 ms path would otherwise always look
	// congested).
	Unsent int
	// Acked counts the bytes the peer acknowledged since the connection
	// opened (tcpi_bytes_acked): its growth is what the link carried.
	Acked uint64
}

// socketOf is the system socket under nc (a TLS session's TCP connection
// for rtmps), or nil.
func socketOf(nc net.Conn) syscall.RawConn {
	if u, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = u.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// Link reads the connection's figures from the kernel; false where it
// cannot (not a TCP socket, not Linux, a closed connection).
func (c *Client) Link() (Link, bool) {
	if c.sock == nil {
		return Link{}, false
	}
	return readLink(c.sock)
}
