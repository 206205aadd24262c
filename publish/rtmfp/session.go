package rtmfp

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Session timing: the reference's values (rtmfp-cpp params.hpp).
const (
	delayedAck = 200 * time.Millisecond
	minRTO     = 250 * time.Millisecond
	initialRTO = 3 * time.Second
	maxRTO     = 10 * time.Second
	tickEvery  = 25 * time.Millisecond // delayed acks (200 ms), RTO (≥ 250 ms), deadlines (1 s)
	mss        = 1161
	// initialWindow is 10 fragments, as TCP may start with (RFC 6928): a
	// live stream's first keyframe then goes in one or two round trips
	// rather than four. minWindow is the floor after losses.
	initialWindow = 10 * mss
	minWindow     = 3 * mss
	timedOutCwnd  = 2 * mss
)

// Stats are a session's counters.
type Stats struct {
	RTT            time.Duration // smoothed round-trip time
	PacketsSent    uint64
	PacketsRecv    uint64
	BytesSent      uint64
	Retransmits    uint64 // fragments sent again
	Lost           uint64 // fragments declared lost (one sent after them was acknowledged)
	Timeouts       uint64 // retransmission timeouts (everything in flight sent again)
	NoiseLosses    uint64 // losses with no queue on the path: the window was kept
	Abandoned      uint64 // messages given up at their deadline or by a newer keyframe
	BadPackets     uint64 // packets dropped: integrity check, malformed
	BrokenReceived uint64 // messages the peer abandoned before they were whole
	Cwnd           int    // congestion window, bytes
	BytesAcked     uint64 // user data the peer acknowledged
	Unsent         int    // user data queued and not sent yet, bytes
}

// sessionConfig is what a session needs from its owner.
type sessionConfig struct {
	log       *slog.Logger
	send      func([]byte) error // writes a datagram to the peer
	txSID     [4]byte            // the peer's session ID: what we send to
	mode      byte               // modeInitiator or modeResponder: what we put in our packets
	crypto    *packetCrypto
	keepalive time.Duration // ping when nothing came for this long (default 5 s)
	idle      time.Duration // give up when nothing came for this long (default 20 s)
	// onFlow is offered each new flow the peer opens (under the session's
	// lock: it must not block); it returns false to reject it.
	onFlow func(*recvFlow) bool
}

// session is an open RTMFP session (RFC 7016 §3.5).
type session struct {
	cfg   sessionConfig
	start time.Time

	mu        sync.Mutex
	sendFlows map[uint64]*sendFlow
	recvFlows map[uint64]*recvFlow
	nextFlow  uint64
	// timestamps
	rxTS     uint16
	rxTSAt   time.Time
	haveRxTS bool
	// RTT and retransmission
	srtt, rttvar time.Duration
	minRTT       time.Duration // the least round trip seen: the path without queues
	haveRTT      bool
	erto         time.Duration
	lastProgress time.Time // when the oldest in-flight data was sent or acknowledged
	cwnd         int
	ssthresh     int
	lastCut      time.Time
	// acknowledgements owed
	ackFlows   map[uint64]bool
	ackNow     bool
	ackAt      time.Time
	dataPkts   int
	control    [][2]any // chunks other than data to send: {type byte, body []byte}
	lastRecv   time.Time
	pinged     bool
	closing    bool
	closeSent  time.Time
	closeSends int
	err        error // why it ended
	stats      Stats

	cancel context.CancelFunc
	done   chan struct{}
	ended  chan struct{} // closed when the session ended (err set)
}

// newSession makes a session and starts its timers.
func newSession(cfg sessionConfig) *session {
	s := newSessionState(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx)
	return s
}

// newSessionState makes a session without its timer goroutine (the fuzz
// targets drive receive and tick themselves).
func newSessionState(cfg sessionConfig) *session {
	if cfg.keepalive == 0 {
		cfg.keepalive = 5 * time.Second
	}
	if cfg.idle == 0 {
		cfg.idle = 20 * time.Second
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	now := time.Now()
	s := &session{
		cfg: cfg, start: now,
		sendFlows: map[uint64]*sendFlow{}, recvFlows: map[uint64]*recvFlow{}, nextFlow: 1,
		erto: initialRTO, cwnd: initialWindow, ssthresh: math.MaxInt32,
		ackFlows: map[uint64]bool{}, lastRecv: now,
		done: make(chan struct{}), ended: make(chan struct{}),
	}
	return s
}

// run drives the timers until the session ends.
func (s *session) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			s.tick(now)
			ended := s.err != nil
			s.mu.Unlock()
			if ended {
				return
			}
		}
	}
}

// ts is our packet timestamp now.
func (s *session) ts(now time.Time) uint16 {
	return uint16(now.Sub(s.start) * timestampHz / time.Second)
}

// receive handles a decrypted packet from the peer.
func (s *session) receive(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	h, chunks, err := parsePacket(p)
	if err != nil && len(chunks) == 0 {
		s.stats.BadPackets++
		return
	}
	if m := h.mode(); m == 0 || m == s.cfg.mode {
		s.stats.BadPackets++
		return
	}
	now := time.Now()
	s.lastRecv = now
	s.pinged = false
	s.stats.PacketsRecv++
	if h.flags&flagTS != 0 {
		s.rxTS, s.rxTSAt, s.haveRxTS = h.ts, now, true
	}
	if h.flags&flagTSE != 0 {
		if ticks := s.ts(now) - h.tsEcho; ticks < 32768 {
			s.rttSample(time.Duration(ticks) * time.Second / timestampHz)
		}
	}
	hadData := false
	var lastFlow *recvFlow
	var lastSeq, lastFSN uint64
	for _, c := range chunks {
		switch c.typ {
		case chunkUserData, chunkNextUserData:
			hadData = true
			var ok bool
			lastFlow, lastSeq, lastFSN, ok = s.userData(c, lastFlow, lastSeq, lastFSN)
			if !ok {
				lastFlow = nil
			}
		case chunkAckRanges:
			s.onAck(c.body, now)
		case chunkAckBitmap:
			if flow, b, err := readVLU(c.body); err == nil {
				if blocks, b, err := readVLU(b); err == nil {
					if cum, _, err := readVLU(b); err == nil {
						s.applyAck(flow, min(blocks, 1<<40)*1024, cum, nil, now)
					}
				}
			}
		case chunkPing:
			s.queueControl(chunkPingReply, append([]byte(nil), c.body...))
		case chunkPingReply:
		case chunkFlowException:
			if flow, _, err := readVLU(c.body); err == nil {
				if f := s.sendFlows[flow]; f != nil {
					s.cfg.log.Debug("rtmfp: the peer rejected a flow", "flow", flow)
					delete(s.sendFlows, flow)
				}
			}
		case chunkBufferProbe:
			if flow, _, err := readVLU(c.body); err == nil {
				s.ackFlows[flow] = true
				s.ackNow = true
			}
		case chunkSessionClose:
			s.queueControl(chunkSessionCloseAck, nil)
			s.flush(now)
			s.end(fmt.Errorf("%w by the peer", ErrClosed))
			return
		case chunkSessionCloseAck:
			s.end(ErrClosed)
			return
		}
	}
	s.detectLoss(now)
	if hadData {
		s.dataPkts++
		if s.dataPkts >= 2 {
			s.ackNow = true
		}
		if s.ackAt.IsZero() {
			s.ackAt = now.Add(delayedAck)
		}
	}
	s.flush(now)
}

// userData handles a User Data or Next User Data chunk; prev, prevSeq and
// prevFSN are the previous data chunk's, which Next User Data continues.
func (s *session) userData(c chunk, prev *recvFlow, prevSeq, prevFSN uint64) (*recvFlow, uint64, uint64, bool) {
	b := c.body
	if len(b) < 1 {
		s.stats.BadPackets++
		return nil, 0, 0, false
	}
	flags := b[0]
	b = b[1:]
	var id, seq, fsn uint64
	if c.typ == chunkUserData {
		var off uint64
		var err error
		if id, b, err = readVLU(b); err != nil {
			return nil, 0, 0, false
		}
		if seq, b, err = readVLU(b); err != nil {
			return nil, 0, 0, false
		}
		if off, b, err = readVLU(b); err != nil || off > seq {
			return nil, 0, 0, false
		}
		fsn = seq - off
	} else {
		if prev == nil {
			return nil, 0, 0, false
		}
		// The same forward sequence number (as rtmfp-cpp reads and writes it).
		id, seq, fsn = prev.id, prevSeq+1, prevFSN
	}
	var opts []option
	if flags&udOptions != 0 {
		var err error
		if opts, b, err = parseOptions(b); err != nil {
			return nil, 0, 0, false
		}
	}
	f := s.recvFlows[id]
	if f == nil {
		meta, ok := find(opts, optMetadata)
		if !ok {
			// A flow we closed and forgot, or one opened without its
			// metadata: refuse it.
			s.queueControl(chunkFlowException, appendVLU(appendVLU(nil, id), 0))
			return nil, 0, 0, false
		}
		f = newRecvFlow(id, append([]byte(nil), meta...))
		if v, ok := find(opts, optReturnFlow); ok {
			assoc, _, err := readVLU(v)
			if err != nil || s.sendFlows[assoc] == nil {
				f.rejected = true
			}
			f.assoc, f.hasAssoc = assoc, true
		}
		if !f.rejected && (s.cfg.onFlow == nil || !s.cfg.onFlow(f)) {
			f.rejected = true
		}
		s.recvFlows[id] = f
		if f.rejected {
			s.queueControl(chunkFlowException, appendVLU(appendVLU(nil, id), 0))
		}
	}
	fresh := f.receive(seq, fsn, flags, b)
	f.lastData = time.Now()
	s.ackFlows[id] = true
	if !fresh || flags&(udAbandon|udFinal) != 0 || len(f.pending) > 0 || f.rejected {
		s.ackNow = true
	}
	return f, seq, fsn, true
}

// tick runs the timers: delayed acks, retransmission timeout, deadlines,
// keepalive, idle timeout, closing.
func (s *session) tick(now time.Time) {
	if s.err != nil {
		return
	}
	if s.closing {
		if s.closeSends >= 4 {
			s.end(ErrClosed)
			return
		}
		if now.Sub(s.closeSent) >= 250*time.Millisecond {
			s.closeSent = now
			s.closeSends++
			s.queueControl(chunkSessionClose, nil)
		}
	}
	if now.Sub(s.lastRecv) > s.cfg.idle {
		s.end(fmt.Errorf("%w: nothing heard for %v", ErrTimeout, s.cfg.idle))
		return
	}
	if !s.pinged && now.Sub(s.lastRecv) > s.cfg.keepalive {
		s.pinged = true
		s.queueControl(chunkPing, nil)
	}
	if !s.ackAt.IsZero() && now.After(s.ackAt) {
		s.ackNow = true
	}
	for _, f := range s.sendFlows {
		if n := f.expire(now); n > 0 {
			s.stats.Abandoned += uint64(n)
		}
	}
	if inflight := s.inFlight(); inflight > 0 && now.Sub(s.lastProgress) > s.erto {
		// Retransmission timeout: everything in flight is taken as lost
		// and sent again; the window restarts small and slow-starts back
		// to half of what it was.
		for _, f := range s.sendFlows {
			for _, fr := range f.queue {
				if fr.inFlight {
					fr.inFlight = false
				}
			}
		}
		s.stats.Timeouts++
		s.erto = min(time.Duration(float64(s.erto)*math.Sqrt2), maxRTO)
		s.ssthresh = max(s.cwnd/2, minWindow)
		s.cwnd = timedOutCwnd
		s.lastProgress = now
	}
	s.flush(now)
}

// end records why the session ended and wakes its waiters (lock held).
func (s *session) end(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	close(s.ended)
}

// close ends the session in order: a close request, answered or not
// within a second; then it waits for its timer goroutine.
func (s *session) close() {
	s.mu.Lock()
	if s.err == nil && !s.closing {
		s.closing = true
		s.closeSent = time.Now()
		s.queueControl(chunkSessionClose, nil)
		s.flush(time.Now())
	}
	s.mu.Unlock()
	select {
	case <-s.ended:
	case <-time.After(1500 * time.Millisecond):
	}
	s.mu.Lock()
	s.end(ErrClosed)
	s.mu.Unlock()
	s.cancel()
	<-s.done
}

// Err is why the session ended, nil while it is open.
func (s *session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// statsNow returns the counters.
func (s *session) statsNow() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.RTT, st.Cwnd = s.srtt, s.cwnd
	for _, f := range s.recvFlows {
		st.BrokenReceived += uint64(f.broken)
	}
	for _, f := range s.sendFlows {
		for _, fr := range f.queue {
			if !fr.inFlight && !fr.msg.abandoned {
				st.Unsent += len(fr.data)
			}
		}
	}
	return st
}
