package handshake

import "net"

// Conn carries a session over RTMPE: what it reads is deciphered, what it
// writes enciphered, with the RC4 streams the handshake agreed. Reads are
// for one goroutine and writes for one at a time (the RTMP layer's rule).
// A write that fails leaves the stream out of step: the session must end.
type Conn struct {
	net.Conn
	in, out cipherStream
	buf     []byte // enciphered bytes on their way out
}

// maxCryptBuf bounds Conn's write buffer: longer writes go in pieces.
const maxCryptBuf = 64 << 10

// Read reads and deciphers.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.XORKeyStream(p[:n], p[:n])
	return n, err
}

// Write enciphers p (left as it is: it may be shared with other sessions)
// and writes it.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxCryptBuf)
		if cap(c.buf) < n {
			c.buf = make([]byte, n)
		}
		b := c.buf[:n]
		c.out.XORKeyStream(b, p[:n])
		m, err := c.Conn.Write(b)
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// NetConn is the connection under the encryption (for the kernel's TCP
// figures).
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Wrap is nc as the session must use it after the handshake: nc itself,
// or a Conn over it when the handshake was encrypted.
func (i Info) Wrap(nc net.Conn) net.Conn {
	if i.in == nil {
		return nc
	}
	return &Conn{Conn: nc, in: i.in, out: i.out}
}
