package rtmp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/ratelog"
	"onair/publish/rtmp/chunk"
)

// conn is what both ends of a session share: writes in the caller's order,
// synchronous, under one mutex and a deadline; AMF0 commands; and the
// protocol control a reader must answer (acknowledgements, pings).
type conn struct {
	nc           net.Conn
	peer         string // for messages
	writeTimeout time.Duration
	log          *slog.Logger

	wmu      sync.Mutex // guards the fields down to pending
	bw       *bufio.Writer
	cw       chunk.Writer // in place, as for the conn in ServerSession
	sent     uint64
	deadline time.Time // the write deadline in force
	// Prepared messages (fanout.go) go out with writev: what is not in
	// their shared Body in hdrs (ends and shared say where each message's
	// part ends and whether a Body follows), the iovecs in bufs (out is
	// what a blocking write consumes); pending is what a non-blocking write
	// left unsent, which goes out before anything else.
	hdrs    []byte
	ends    []int
	shared  []bool
	bufs    net.Buffers
	out     net.Buffers
	pending net.Buffers
	// For TryWritePrepared's few messages, in the conn itself (the fan-out
	// is bound by cache misses): their headers and the iovecs.
	fewHdrs [MaxFastMessages * chunk.MaxHeaderLen]byte
	fewBufs [2 * MaxFastMessages][]byte
	raw     rawWriter // raw.ok false when nc is not a socket of this system

	closed atomic.Bool // done is closed; for TryWritePrepared, which must not wait

	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex
	err       error

	badCommands atomic.Uint64
	badLog      ratelog.Limiter

	// Read side, owned by the reading goroutine.
	window uint32
	acked  uint64
}

func newConn(nc net.Conn, peer string, writeTimeout time.Duration, log *slog.Logger) *conn {
	c := &conn{}
	c.init(nc, peer, writeTimeout, log)
	return c
}

// init sets up a conn in place (a ServerSession holds its conn, not a
// pointer to one: the fan-out to many players is bound by cache misses).
func (c *conn) init(nc net.Conn, peer string, writeTimeout time.Duration, log *slog.Logger) {
	c.nc, c.peer, c.writeTimeout, c.log = nc, peer, writeTimeout, log
	c.bw = bufio.NewWriterSize(nc, 64*1024)
	c.done = make(chan struct{})
	c.cw = *chunk.NewWriter(c.bw)
	c.raw.init(nc)
}

func be32(v uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return b
}

// fail ends the session with err (the first error wins) and closes the
// connection, which unblocks the reader.
func (c *conn) fail(err error) {
	c.errMu.Lock()
	if c.err == nil {
		c.err = err
	}
	nc := c.nc // under errMu: useEncryption may swap it
	c.errMu.Unlock()
	c.closeOnce.Do(func() { c.closed.Store(true); close(c.done) })
	nc.Close()
}

// useEncryption makes the session go on over an RTMPE connection (a
// ServerSession's handshake runs after its conn is set up): the writers
// write to it, and non-blocking writes are off (they would bypass it).
func (c *conn) useEncryption(enc net.Conn) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.errMu.Lock()
	defer c.errMu.Unlock()
	c.nc = enc
	c.bw.Reset(enc)
	c.raw = rawWriter{}
}

// Err is why the session ended, once Done is closed.
func (c *conn) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if c.err == nil {
		return ErrClosed
	}
	return c.err
}

// Done is closed when the session has ended.
func (c *conn) Done() <-chan struct{} { return c.done }

// BytesSent counts the media and data payload bytes written so far.
func (c *conn) BytesSent() uint64 {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sent
}

func (c *conn) writeMessage(m *chunk.Message) error {
	return c.writeMessages(m)
}

// writeMessages writes messages in order and flushes once: one system call
// for a batch instead of one per message.
func (c *conn) writeMessages(ms ...*chunk.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.beginWrite(); err != nil {
		return err
	}
	var err error
	for _, m := range ms {
		if err = c.cw.WriteMessage(m); err != nil {
			break
		}
		c.count(m.TypeID, len(m.Payload))
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return c.writeFailed(err)
	}
	return nil
}

// beginWrite starts a blocking write, under wmu: it fails once the session
// has ended, moves the deadline on when due, and sends what a non-blocking
// write left over.
func (c *conn) beginWrite() error {
	select {
	case <-c.done:
		return c.Err()
	default:
	}
	c.refreshDeadline()
	if len(c.pending) > 0 {
		if _, err := c.pending.WriteTo(c.nc); err != nil {
			return c.writeFailed(err)
		}
		c.pending = nil
	}
	return nil
}

// refreshDeadline keeps a write deadline in force, under wmu. Moving it
// costs a timer update: it moves only when less than half of the allowance
// is left, so a write still never blocks longer than writeTimeout and
// never less than half of it.
func (c *conn) refreshDeadline() {
	now := time.Now()
	if c.deadline.Sub(now) < c.writeTimeout/2 {
		c.deadline = now.Add(c.writeTimeout)
		_ = c.nc.SetWriteDeadline(c.deadline)
	}
}

// count adds a message's payload to BytesSent when it is media or data.
func (c *conn) count(typeID uint8, n int) {
	if typeID == typeAudio || typeID == typeVideo || typeID == typeDataAMF0 {
		c.sent += uint64(n)
	}
}

// writeFailed ends the session after a failed write and returns the error
// to report.
func (c *conn) writeFailed(err error) error {
	if isTimeout(err) {
		err = fmt.Errorf("sending to %s stalled for %v: %w", c.peer, c.writeTimeout, ErrTimeout)
	} else {
		err = fmt.Errorf("sending to %s: %w", c.peer, err)
	}
	c.fail(err) // fail does not take wmu
	return err
}

func (c *conn) writeControl(typ uint8, payload []byte) error {
	return c.writeMessage(&chunk.Message{ChunkStreamID: csidControl, TypeID: typ, Payload: payload})
}

// setChunkSize announces and applies our outgoing chunk size.
func (c *conn) setChunkSize(n uint32) error {
	if err := c.writeControl(typeSetChunkSize, be32(n)); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.cw.SetChunkSize(n)
}

func (c *conn) writeCommand(csid int, streamID uint32, name string, txID float64, obj any, args ...any) error {
	p, err := encodeCommand(name, txID, obj, args...)
	if err != nil {
		return err
	}
	return c.writeMessage(&chunk.Message{ChunkStreamID: csid, TypeID: typeCommandAMF0, StreamID: streamID, Payload: p})
}

// badCommand counts a command message that did not decode (wholly or in
// part) and logs it, at most once per ratelog interval.
func (c *conn) badCommand(err error) {
	c.badCommands.Add(1)
	c.badLog.Warn(c.log, "undecodable RTMP command", "peer", c.peer, "err", err)
}

// BadCommands counts the command messages from the peer that did not
// decode, wholly or in part.
func (c *conn) BadCommands() uint64 { return c.badCommands.Load() }

// control handles the protocol control a peer expects answered: it
// acknowledges received bytes per the peer's window and answers pings.
// Call it for every message read.
func (c *conn) control(r *chunk.Reader, m *chunk.Message) error {
	switch m.TypeID {
	case typeWindowAckSize:
		if len(m.Payload) >= 4 {
			c.window = binary.BigEndian.Uint32(m.Payload)
		}
	case typeUserControl:
		// PingRequest (6) → PingResponse (7) with the same timestamp.
		if len(m.Payload) >= 6 && binary.BigEndian.Uint16(m.Payload) == 6 {
			resp := append([]byte{0, 7}, m.Payload[2:6]...)
			if err := c.writeControl(typeUserControl, resp); err != nil {
				return err
			}
		}
	}
	if c.window > 0 && r.BytesRead()-c.acked >= uint64(c.window) {
		c.acked = r.BytesRead()
		return c.writeControl(typeAck, be32(uint32(c.acked)))
	}
	return nil
}
