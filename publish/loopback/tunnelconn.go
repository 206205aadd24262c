package loopback

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// tunnelConn is an RTMPT session seen as a net.Conn by the RTMP session
// that serves it: what the client POSTs is fed in and read by the session;
// what the session writes waits in out until a POST's reply takes it.
// Reads and writes honour deadlines like a socket's (the session's
// handshake and write timeouts work unchanged); a write waits while more
// than maxOut bytes are queued, so a client that stops polling is a slow
// viewer like any other.
type tunnelConn struct {
	mu       sync.Mutex
	in, out  []byte
	closed   bool
	rdl, wdl time.Time
	wake     chan struct{} // closed and replaced whenever anything changes
	maxOut   int
	local    net.Addr
	remote   net.Addr
}

func newTunnelConn(local, remote net.Addr, maxOut int) *tunnelConn {
	return &tunnelConn{wake: make(chan struct{}), maxOut: maxOut, local: local, remote: remote}
}

// changed wakes every waiter; mu held.
func (c *tunnelConn) changed() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// wait waits for a change or the deadline dl; mu held on entry and exit.
// It reports false when dl has passed.
func (c *tunnelConn) wait(dl time.Time) bool {
	if !dl.IsZero() && !time.Now().Before(dl) {
		return false
	}
	wake := c.wake
	c.mu.Unlock()
	if dl.IsZero() {
		<-wake
	} else {
		t := time.NewTimer(time.Until(dl))
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
	c.mu.Lock()
	return true
}

func (c *tunnelConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if len(c.in) > 0 {
			n := copy(p, c.in)
			c.in = c.in[n:]
			return n, nil
		}
		if c.closed {
			return 0, io.EOF
		}
		if !c.wait(c.rdl) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (c *tunnelConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.closed {
			return 0, net.ErrClosed
		}
		if len(c.out) < c.maxOut {
			c.out = append(c.out, p...)
			c.changed()
			return len(p), nil
		}
		if !c.wait(c.wdl) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// feed hands the session what the client sent.
func (c *tunnelConn) feed(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(b) == 0 {
		return
	}
	c.in = append(c.in, b...)
	c.changed()
}

// take returns what waits for the client, after waiting up to hold for
// something to come (or until the connection closes).
func (c *tunnelConn) take(hold time.Duration) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	dl := time.Now().Add(hold)
	for len(c.out) == 0 && !c.closed && c.wait(dl) {
	}
	out := c.out
	c.out = nil
	if len(out) > 0 {
		c.changed()
	}
	return out
}

// done says whether the connection is closed.
func (c *tunnelConn) done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// drained says whether the connection is closed and the client has taken
// everything the session wrote before it ended.
func (c *tunnelConn) drained() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed && len(c.out) == 0
}

func (c *tunnelConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.changed()
	}
	return nil
}

func (c *tunnelConn) LocalAddr() net.Addr  { return c.local }
func (c *tunnelConn) RemoteAddr() net.Addr { return c.remote }

func (c *tunnelConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rdl, c.wdl = t, t
	c.changed()
	return nil
}

func (c *tunnelConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rdl = t
	c.changed()
	return nil
}

func (c *tunnelConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wdl = t
	c.changed()
	return nil
}
