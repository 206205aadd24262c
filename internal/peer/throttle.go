package peer

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Throttle is a TCP proxy on 127.0.0.1 that forwards what clients send to
// a backend at a limited rate (a token bucket), and the backend's answers
// at full speed: a slow uplink between a publisher and its server.
//
// Its accepted connections have a small receive buffer (throttleRcvbuf),
// so the backlog stays where a slow link leaves it, in the sender's socket
// buffer, instead of in the proxy's (Linux would grow that to megabytes,
// acknowledged and out of the sender's sight).
type Throttle struct {
	ln      net.Listener
	backend string
	rate    atomic.Int64 // bytes per second; 0: unlimited

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Throttle settings: the receive buffer asked for accepted connections
// (Linux doubles it), the bucket's depth, and the piece read at a time.
const (
	throttleRcvbuf = 4 << 10
	throttleBurst  = 20 * time.Millisecond
	throttleChunk  = 4 << 10
)

// StartThrottle listens on a free loopback port and forwards every
// connection to backend (host:port) at bytesPerSec (0: unlimited).
func StartThrottle(backend string, bytesPerSec int) (*Throttle, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, throttleRcvbuf)
		}); err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &Throttle{ln: ln, backend: backend, conns: map[net.Conn]struct{}{}}
	t.rate.Store(int64(bytesPerSec))
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr is the proxy's host:port.
func (t *Throttle) Addr() string { return t.ln.Addr().String() }

// SetRate changes the forward limit at once, for every connection (0:
// unlimited).
func (t *Throttle) SetRate(bytesPerSec int) { t.rate.Store(int64(bytesPerSec)) }

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (t *Throttle) Close() {
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.ln.Close()
	t.wg.Wait()
}

// track adds c to the connections Close closes; false once closed.
func (t *Throttle) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Throttle) accept() {
	defer t.wg.Done()
	for {
		in, err := t.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", t.backend)
		if err != nil {
			in.Close()
			continue
		}
		if !t.track(in) || !t.track(out) {
			in.Close()
			out.Close()
			return
		}
		t.wg.Add(2)
		go func() {
			defer t.wg.Done()
			t.forward(out, in)
			out.Close()
			in.Close()
		}()
		go func() {
			defer t.wg.Done()
			_, _ = io.Copy(in, out)
			in.Close()
			out.Close()
		}()
	}
}

// forward copies src to dst, pacing the bytes to the current rate.
func (t *Throttle) forward(dst, src net.Conn) {
	buf := make([]byte, throttleChunk)
	next := time.Now() // when the bucket allows the next byte
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if r := t.rate.Load(); r > 0 {
				now := time.Now()
				if next.Before(now.Add(-throttleBurst)) {
					next = now.Add(-throttleBurst)
				}
				next = next.Add(time.Duration(float64(n) / float64(r) * float64(time.Second)))
				time.Sleep(time.Until(next))
			} else {
				next = time.Now()
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
