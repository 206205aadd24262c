package rtmpt

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Pipe is one end of an RTMPT session seen as a net.Conn by the RTMP
// session that uses it. On the server, what the client POSTs is fed in
// (Feed) and read by the session, and what the session writes waits until
// a POST's reply takes it (Take). On the client it is the other way round:
// what the RTMP client writes is taken into the next POST, and each
// reply's bytes are fed in. Reads and writes honour deadlines like a
// socket's (the session's handshake and write timeouts work unchanged); a
// write waits while more than maxOut bytes are queued, so a peer that
// stops polling is a slow peer like any other.
type Pipe struct {
	mu       sync.Mutex
	in, out  []byte
	closed   bool
	err      error // what reads and writes return once closed; nil: EOF / net.ErrClosed
	rdl, wdl time.Time
	wake     chan struct{} // closed and replaced whenever anything changes
	maxOut   int
	local    net.Addr
	remote   net.Addr
}

// NewPipe makes a pipe whose writes wait past maxOut queued bytes.
func NewPipe(local, remote net.Addr, maxOut int) *Pipe {
	return &Pipe{wake: make(chan struct{}), maxOut: maxOut, local: local, remote: remote}
}

// changed wakes every waiter; mu held.
func (c *Pipe) changed() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// wait waits for a change or the deadline dl; mu held on entry and exit.
// It reports false when dl has passed.
func (c *Pipe) wait(dl time.Time) bool {
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

func (c *Pipe) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if len(c.in) > 0 {
			n := copy(p, c.in)
			c.in = c.in[n:]
			return n, nil
		}
		if c.closed {
			if c.err != nil {
				return 0, c.err
			}
			return 0, io.EOF
		}
		if !c.wait(c.rdl) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (c *Pipe) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.closed {
			if c.err != nil {
				return 0, c.err
			}
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

// Feed hands the reader what the other end sent.
func (c *Pipe) Feed(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(b) == 0 {
		return
	}
	c.in = append(c.in, b...)
	c.changed()
}

// Take returns what waits for the other end, after waiting up to hold for
// something to come (or until the pipe closes).
func (c *Pipe) Take(hold time.Duration) []byte {
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

// Done says whether the pipe is closed.
func (c *Pipe) Done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Drained says whether the pipe is closed and the other end has taken
// everything written before it closed.
func (c *Pipe) Drained() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed && len(c.out) == 0
}

// Close ends the pipe: reads return io.EOF once what was fed is read,
// writes net.ErrClosed; what was written stays for Take.
func (c *Pipe) Close() error { return c.CloseWithError(nil) }

// CloseWithError is Close with err as what later reads and writes return
// (the tunnel broke); nil is Close. The first close sets it.
func (c *Pipe) CloseWithError(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed, c.err = true, err
		c.changed()
	}
	return nil
}

func (c *Pipe) LocalAddr() net.Addr  { return c.local }
func (c *Pipe) RemoteAddr() net.Addr { return c.remote }

func (c *Pipe) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rdl, c.wdl = t, t
	c.changed()
	return nil
}

func (c *Pipe) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rdl = t
	c.changed()
	return nil
}

func (c *Pipe) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wdl = t
	c.changed()
	return nil
}
