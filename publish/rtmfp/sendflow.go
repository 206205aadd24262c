package rtmfp

import "time"

// User data chunk flags (RFC 7016 §2.3.11).
const (
	udOptions  = 0x80 // options follow the fsn offset
	udFragMask = 0x30
	udWhole    = 0x00
	udBegin    = 0x10
	udEnd      = 0x20
	udMiddle   = 0x30
	udAbandon  = 0x02
	udFinal    = 0x01
)

// User data option types.
const (
	optMetadata   = 0x00 // the flow's metadata
	optReturnFlow = 0x0a // the receiver's flow this one answers
)

// Priorities (RFC 7016 §3.6.2.1): above routine, a flow's data is time
// critical.
const (
	priRoutine   = 3
	priPriority  = 4
	priImmediate = 5
)

// message is one message written to a send flow; its fragments share it.
type message struct {
	deadline  time.Time // zero: kept until delivered
	abandoned bool
	started   bool // a fragment of it was sent
	video     bool
	keyframe  bool
}

// fragment is one piece of a message with its flow sequence number.
type fragment struct {
	seq      uint64
	frag     byte // udWhole, udBegin, udMiddle, udEnd
	data     []byte
	msg      *message
	sent     bool      // sent at least once
	inFlight bool      // sent and neither acknowledged nor declared lost
	size     int       // bytes it counts in flight
	sentAt   time.Time // last sent
}

// sendFlow is a flow we send on (RFC 7016 §3.6.2).
type sendFlow struct {
	id      uint64
	pri     int
	options []byte // metadata and return association, sent until acknowledged
	acked   bool   // an acknowledgement came: the options are no longer sent
	nextSeq uint64
	queue   []*fragment // oldest first: unacknowledged, sent or not
	window  int         // the receiver's buffer, bytes
	// ackedSentAt is when the newest fragment acknowledged was sent.
	ackedSentAt time.Time
	// msgs are the messages not delivered yet: for their deadlines, and
	// so that a keyframe can abandon the GOP before it.
	msgs []*message
}

func newSendFlow(id uint64, pri int, metadata []byte, assoc uint64, hasAssoc bool) *sendFlow {
	opts := appendOption(nil, optMetadata, metadata)
	if hasAssoc {
		opts = appendOptionVLU(opts, optReturnFlow, assoc)
	}
	opts = append(opts, 0) // marker
	return &sendFlow{id: id, pri: pri, options: opts, nextSeq: 1, window: 64 << 10}
}

// write queues data as one message, in fragments.
func (f *sendFlow) write(data []byte, m *message) {
	if len(data) == 0 {
		f.queue = append(f.queue, &fragment{seq: f.nextSeq, frag: udWhole, msg: m})
		f.nextSeq++
		return
	}
	for off := 0; off < len(data); off += maxFragment {
		end := min(off+maxFragment, len(data))
		fr := udMiddle
		switch {
		case off == 0 && end == len(data):
			fr = udWhole
		case off == 0:
			fr = udBegin
		case end == len(data):
			fr = udEnd
		}
		f.queue = append(f.queue, &fragment{seq: f.nextSeq, frag: byte(fr), data: data[off:end], msg: m})
		f.nextSeq++
	}
}

// fsn is the forward sequence number: every fragment up to it is
// acknowledged or abandoned, so the receiver need not wait for it.
func (f *sendFlow) fsn() uint64 {
	fsn := f.nextSeq - 1
	for _, fr := range f.queue {
		if !fr.msg.abandoned {
			return fr.seq - 1
		}
		fsn = fr.seq
	}
	return fsn
}

// expire abandons the messages past their deadline, and on a keyframe
// the video before it: it returns how many messages it abandoned.
func (f *sendFlow) expire(now time.Time) int {
	n := 0
	keep := f.msgs[:0]
	for _, m := range f.msgs {
		if !m.abandoned && !m.deadline.IsZero() && now.After(m.deadline) {
			m.abandoned = true
			n++
		}
		if !m.abandoned {
			keep = append(keep, m)
		}
	}
	clear(f.msgs[len(keep):])
	f.msgs = keep
	return n
}

// abandonBefore abandons the video messages queued before m (a keyframe)
// that have not started to go: the picture starts again from it. Those
// under way are left to finish (or to meet their deadline).
func (f *sendFlow) abandonBefore(m *message) int {
	n := 0
	for _, o := range f.msgs {
		if o != m && o.video && !o.abandoned && !o.started {
			o.abandoned = true
			n++
		}
	}
	return n
}

// ack applies an acknowledgement: cumulative up to cum, then the ranges.
// It returns the bytes newly acknowledged and when the newest of the
// fragments it acknowledged was sent (zero when none).
func (f *sendFlow) ack(cum uint64, ranges [][2]uint64, window int) (acked int, latest time.Time) {
	f.acked = true
	f.window = window
	inRange := func(s uint64) bool {
		if s <= cum {
			return true
		}
		for _, r := range ranges {
			if s >= r[0] && s <= r[1] {
				return true
			}
		}
		return false
	}
	keep := f.queue[:0]
	for _, fr := range f.queue {
		if fr.sent && inRange(fr.seq) {
			if fr.inFlight {
				acked += fr.size
			}
			if fr.sentAt.After(latest) {
				latest = fr.sentAt
			}
			if fr.frag == udEnd || fr.frag == udWhole {
				f.done(fr.msg)
			}
			continue
		}
		keep = append(keep, fr)
	}
	clear(f.queue[len(keep):])
	f.queue = keep
	return acked, latest
}

// markLost takes as lost the fragments in flight sent before limit (a
// later one, on any flow, was acknowledged) and returns how many.
func (f *sendFlow) markLost(limit time.Time) int {
	n := 0
	for _, fr := range f.queue {
		if fr.inFlight && fr.sentAt.Before(limit) {
			fr.inFlight = false
			n++
		}
	}
	return n
}

// done forgets a delivered message.
func (f *sendFlow) done(m *message) {
	for i, o := range f.msgs {
		if o == m {
			f.msgs = append(f.msgs[:i], f.msgs[i+1:]...)
			return
		}
	}
}

// inFlight is how many bytes of the flow are sent and unacknowledged.
func (f *sendFlow) inFlight() int {
	n := 0
	for _, fr := range f.queue {
		if fr.inFlight {
			n += fr.size
		}
	}
	return n
}
