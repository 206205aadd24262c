package rtmfp

import (
	"fmt"
	"sort"
	"time"
)

// Sending: packets made of control chunks, acknowledgements and data
// within the congestion and flow windows.

func (s *session) inFlight() int {
	n := 0
	for _, f := range s.sendFlows {
		n += f.inFlight()
	}
	return n
}

func (s *session) queueControl(typ byte, body []byte) {
	s.control = append(s.control, [2]any{typ, body})
}

// flush sends what is due: control chunks, acknowledgements, and data
// within the congestion and flow windows, highest priority first.
func (s *session) flush(now time.Time) {
	var pkt []byte
	var chunks []byte
	tc := false
	send := func() {
		if len(chunks) == 0 {
			return
		}
		h := header{flags: s.cfg.mode}
		if tc {
			h.flags |= flagTC
		}
		h.flags |= flagTS
		h.ts = s.ts(now)
		if s.haveRxTS && now.Sub(s.rxTSAt) < 128*time.Second {
			h.flags |= flagTSE
			h.tsEcho = s.rxTS + uint16(now.Sub(s.rxTSAt)*timestampHz/time.Second)
		}
		pkt = appendHeader(pkt[:0], h)
		pkt = append(pkt, chunks...)
		d := s.cfg.crypto.seal(s.cfg.txSID, pkt)
		if err := s.cfg.send(d); err != nil {
			s.cfg.log.Debug("rtmfp: send", "err", err)
		}
		s.stats.PacketsSent++
		s.stats.BytesSent += uint64(len(d))
		chunks, tc = chunks[:0], false
	}
	room := func(n int) bool { return len(chunks)+n <= maxPacket-32 }
	add := func(typ byte, body []byte) {
		if !room(3 + len(body)) {
			send()
		}
		chunks = appendChunk(chunks, typ, body)
	}
	for _, c := range s.control {
		add(c[0].(byte), c[1].([]byte))
	}
	s.control = s.control[:0]
	if s.ackNow && len(s.ackFlows) > 0 {
		// Every flow that had data in the last second is acknowledged,
		// not only those with news: when a packet of acknowledgements is
		// lost, the next one still tells about every flow, so the sender
		// can compare flows when it looks for losses.
		for id, f := range s.recvFlows {
			if s.ackFlows[id] || now.Sub(f.lastData) < time.Second {
				add(chunkAckRanges, f.appendAck(nil))
			}
		}
		clear(s.ackFlows)
		s.ackNow, s.ackAt, s.dataPkts = false, time.Time{}, 0
	}
	// Data: by priority, then flow ID.
	flows := make([]*sendFlow, 0, len(s.sendFlows))
	for _, f := range s.sendFlows {
		flows = append(flows, f)
	}
	sort.Slice(flows, func(i, j int) bool {
		if flows[i].pri != flows[j].pri {
			return flows[i].pri > flows[j].pri
		}
		return flows[i].id < flows[j].id
	})
	inflight := s.inFlight()
	for _, f := range flows {
		flowInFlight := f.inFlight()
		fsn := f.fsn() // before the loop below rewrites the queue
		keep := f.queue[:0]
		for _, fr := range f.queue {
			if fr.msg.abandoned && !fr.inFlight {
				continue // given up: the forward sequence number skips it
			}
			keep = append(keep, fr)
			if fr.inFlight || inflight >= s.cwnd || flowInFlight >= max(f.window, mss) {
				continue
			}
			body := f.appendData(nil, fr, fsn)
			if !room(3 + len(body)) {
				send()
			}
			chunks = appendChunk(chunks, chunkUserData, body)
			if f.pri > priRoutine {
				tc = true
			}
			if fr.sent {
				s.stats.Retransmits++
			}
			if inflight == 0 {
				s.lastProgress = now
			}
			fr.sent, fr.inFlight, fr.size, fr.sentAt = true, true, len(body)+3, now
			fr.msg.started = true
			inflight += fr.size
			flowInFlight += fr.size
		}
		clear(f.queue[len(keep):])
		f.queue = keep
	}
	send()
}

// appendData appends a User Data chunk body for fr; the flow's options go
// in every packet until the flow is acknowledged.
func (f *sendFlow) appendData(b []byte, fr *fragment, fsn uint64) []byte {
	flags := fr.frag
	if !f.acked {
		flags |= udOptions
	}
	b = append(b, flags)
	b = appendVLU(b, f.id)
	b = appendVLU(b, fr.seq)
	b = appendVLU(b, fr.seq-min(fsn, fr.seq-1))
	if !f.acked {
		b = append(b, f.options...)
	}
	return append(b, fr.data...)
}

// openFlow opens a send flow with metadata, answering the peer's flow
// assoc when hasAssoc.
func (s *session) openFlow(pri int, metadata []byte, assoc uint64, hasAssoc bool) *sendFlow {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := newSendFlow(s.nextFlow, pri, metadata, assoc, hasAssoc)
	s.nextFlow++
	s.sendFlows[f.id] = f
	return f
}

// write sends data as one message on f; deadline zero keeps it until it
// is delivered. A video keyframe abandons the unfinished video before it.
func (s *session) write(f *sendFlow, data []byte, m *message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.sendFlows[f.id] != f {
		return fmt.Errorf("%w: the flow was rejected by the peer", ErrClosed)
	}
	if m.keyframe {
		s.stats.Abandoned += uint64(f.abandonBefore(m))
	}
	f.msgs = append(f.msgs, m)
	f.write(append([]byte(nil), data...), m)
	s.flush(time.Now())
	return nil
}
