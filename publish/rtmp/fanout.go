package rtmp

import (
	"net"

	"onair/publish/rtmp/chunk"
)

// Prepared is a media message cut into chunks once, for a server that sends
// it to many players: each session adds a header of its own (a few bytes)
// and sends the shared chunk bytes with writev, without copying them.
// A Prepared is immutable and safe for concurrent use.
type Prepared struct {
	TypeID  uint8 // audio (8), video (9) or data (18)
	Payload []byte
	body    *chunk.Body // nil: sessions send the payload as WriteMedia does
}

// Prepare cuts payload for sessions with chunk size chunkSize (see
// ServerSession.ChunkSize). The payload must not change afterwards.
func Prepare(typeID uint8, payload []byte, chunkSize uint32) *Prepared {
	p := &Prepared{TypeID: typeID, Payload: payload}
	p.body, _ = chunk.NewBody(mediaCSID(typeID), chunkSize, payload) // on error WriteMessage reports it
	return p
}

// ChunkSize is the chunk size p was cut for, 0 when it could not be cut.
func (p *Prepared) ChunkSize() uint32 {
	if p.body == nil {
		return 0
	}
	return p.body.ChunkSize()
}

// Out is a prepared message at a player's timestamp, in milliseconds.
type Out struct {
	Timestamp uint32
	*Prepared
}

func mediaCSID(typeID uint8) int {
	switch typeID {
	case typeAudio:
		return csidAudio
	case typeDataAMF0:
		return csidData
	}
	return csidVideo
}

// ChunkSize is the chunk size of what the session sends: Prepare media for it.
func (s *ServerSession) ChunkSize() uint32 { return s.cfg.ChunkSize }

func (s *ServerSession) message(m Out) chunk.Message {
	return chunk.Message{ChunkStreamID: mediaCSID(m.TypeID), TypeID: m.TypeID, StreamID: s.streamID,
		Timestamp: m.Timestamp, Payload: m.Payload}
}

// WritePrepared sends media messages to a player, in order, like
// WriteMedia, with one system call (writev) for the batch. It blocks up to
// the write timeout.
func (s *ServerSession) WritePrepared(ms []Out) error {
	c := &s.conn
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.beginWrite(); err != nil {
		return err
	}
	bufs, err := s.encode(ms)
	if err != nil {
		return c.writeFailed(err)
	}
	c.out = bufs // WriteTo consumes it: c.bufs keeps the capacity
	if _, err := c.out.WriteTo(c.nc); err != nil {
		return c.writeFailed(err)
	}
	return nil
}

// TryWritePrepared sends media messages to a player if it can do so at
// once, with one non-blocking writev: it is for the goroutine of a
// publisher that fans its media out to every player itself (the way
// nginx-rtmp does), which must never wait for a slow one.
//
// taken is false when nothing was done: the session is busy with another
// write or still has bytes waiting, or the connection is not a socket;
// send the messages later with WritePrepared, in order. When taken, the
// messages belong to the session: sent, or, with unsent, partly sent, the
// rest waiting for the next write or Flush, which the caller must see to.
// A session that has ended takes every message.
//
// It runs once per player for every message of a stream, so it touches as
// little memory as it can: for up to MaxFastMessages messages, the session
// only.
func (s *ServerSession) TryWritePrepared(ms ...Out) (taken, unsent bool) {
	c := &s.conn
	if !c.raw.ok || !c.wmu.TryLock() {
		return false, false
	}
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return true, false
	}
	if len(c.pending) > 0 {
		return false, false
	}
	bufs, err := s.encodeFast(ms)
	if err != nil {
		_ = c.writeFailed(err)
		return true, false
	}
	n, err := c.raw.writev(bufs)
	if err != nil {
		_ = c.writeFailed(err)
		return true, false
	}
	if rest := advance(bufs, n); len(rest) > 0 {
		c.pending = rest
		return true, true
	}
	return true, false
}

// MaxFastMessages: TryWritePrepared sends up to this many messages through
// buffers inside the session, in one writev.
const MaxFastMessages = 8

// encodeFast is encode for TryWritePrepared: up to MaxFastMessages
// messages with a shared Body go through buffers inside the conn.
func (s *ServerSession) encodeFast(ms []Out) (net.Buffers, error) {
	c := &s.conn
	if len(ms) > MaxFastMessages {
		return s.encode(ms)
	}
	bufs, hdrs := c.fewBufs[:0], c.fewHdrs[:0]
	for i, m := range ms {
		msg := s.message(m)
		start := len(hdrs)
		var ok bool
		if hdrs, ok = c.cw.AppendHeader(hdrs, &msg, m.body); !ok {
			// No shared Body for this one here: the general way, for what
			// is left (what came before is recorded as sent already).
			more, err := s.encode(ms[i:])
			return append(bufs, more...), err
		}
		bufs = append(bufs, hdrs[start:], m.body.Bytes())
		c.count(m.TypeID, len(m.Payload))
	}
	return bufs, nil
}

// Flush sends what TryWritePrepared left unsent, blocking up to the write
// timeout; it returns at once when nothing waits.
func (s *ServerSession) Flush() error {
	c := &s.conn
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.pending) == 0 {
		return nil
	}
	return c.beginWrite()
}

// encode turns ms into what to write, under wmu with nothing pending (the
// buffers are reused): for each message its first chunk's header and its
// shared Body, or, when it has no Body for this session's chunk size or
// needs extended timestamps, all its chunks. It records the messages as
// sent on their chunk streams.
func (s *ServerSession) encode(ms []Out) (net.Buffers, error) {
	c := &s.conn
	own, ends, shared := c.hdrs[:0], c.ends[:0], c.shared[:0]
	for _, m := range ms {
		msg := s.message(m)
		ok := false
		if m.body != nil {
			own, ok = c.cw.AppendHeader(own, &msg, m.body)
		}
		if !ok {
			var err error
			if own, err = c.cw.AppendMessage(own, &msg); err != nil {
				return nil, err
			}
		}
		ends, shared = append(ends, len(own)), append(shared, ok)
		c.count(m.TypeID, len(m.Payload))
	}
	// Slices of own only now: appending may have moved it.
	bufs, start := c.bufs[:0], 0
	for i, m := range ms {
		bufs = append(bufs, own[start:ends[i]])
		if shared[i] {
			bufs = append(bufs, m.body.Bytes())
		}
		start = ends[i]
	}
	c.hdrs, c.ends, c.shared, c.bufs = own, ends, shared, bufs
	if cap(c.hdrs) > 256<<10 {
		c.hdrs = nil // a whole message went in: do not keep that much per player
	}
	return bufs, nil
}

// advance drops the first n bytes of bufs.
func advance(bufs net.Buffers, n int) net.Buffers {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}
