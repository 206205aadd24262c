package rtmfp

import (
	"sort"
	"time"
)

// recvBuffer is the buffer a receiving flow advertises (bytes): large, as
// the reference's RTMP flows do; live media is consumed as it comes.
const recvBuffer = 1<<24 - 1024

// maxRecvGap bounds how far ahead of the first missing fragment a flow
// keeps fragments: a peer cannot make it hold more.
const maxRecvGap = 8192

// recvFragment is one fragment received, waiting for those before it.
type recvFragment struct {
	frag    byte
	abandon bool
	data    []byte
}

// recvFlow is a flow the peer sends on (RFC 7016 §3.6.3).
type recvFlow struct {
	id       uint64
	metadata []byte
	assoc    uint64 // our send flow it answers, when hasAssoc
	hasAssoc bool
	rejected bool

	cum     uint64 // every fragment up to cum was received or abandoned
	pending map[uint64]recvFragment
	partial []byte // a message being reassembled
	skip    bool   // the message being reassembled lost a fragment
	// onMessage gets each whole message, in order.
	onMessage func([]byte)
	// broken counts messages lost to abandonment.
	broken int
	// lastData is when data last came: a flow that had some lately is
	// acknowledged in every acknowledgement packet.
	lastData time.Time
}

func newRecvFlow(id uint64, metadata []byte) *recvFlow {
	return &recvFlow{id: id, metadata: metadata, pending: map[uint64]recvFragment{}}
}

// receive takes a fragment and delivers what is complete. It reports
// whether the fragment was new (a duplicate asks for an ack at once).
func (f *recvFlow) receive(seq, fsn uint64, flags byte, data []byte) (fresh bool) {
	if fsn > f.cum {
		// The sender gave up on everything to fsn: what is missing of it
		// is abandoned.
		for s := f.cum + 1; s <= fsn && s > f.cum; s++ {
			if _, ok := f.pending[s]; !ok && s != seq {
				f.pending[s] = recvFragment{abandon: true}
			}
			if s-f.cum > maxRecvGap {
				break
			}
		}
	}
	if seq <= f.cum {
		f.deliver()
		return false
	}
	if _, dup := f.pending[seq]; dup {
		f.deliver()
		return false
	}
	if seq-f.cum > maxRecvGap {
		return false // too far ahead: dropped, it will come again
	}
	f.pending[seq] = recvFragment{frag: flags & udFragMask, abandon: flags&udAbandon != 0, data: append([]byte(nil), data...)}
	f.deliver()
	return true
}

// deliver hands on the messages completed in order.
func (f *recvFlow) deliver() {
	for {
		fr, ok := f.pending[f.cum+1]
		if !ok {
			return
		}
		delete(f.pending, f.cum+1)
		f.cum++
		if fr.abandon {
			if f.partial != nil || !f.skip {
				f.broken++
			}
			f.partial, f.skip = nil, true
			continue
		}
		switch fr.frag {
		case udWhole:
			f.partial, f.skip = nil, false
			if !f.rejected && f.onMessage != nil {
				f.onMessage(fr.data)
			}
		case udBegin:
			f.partial, f.skip = append([]byte(nil), fr.data...), false
		case udMiddle:
			if !f.skip && f.partial != nil {
				f.partial = append(f.partial, fr.data...)
			}
		case udEnd:
			if !f.skip && f.partial != nil {
				m := append(f.partial, fr.data...)
				f.partial = nil
				if !f.rejected && f.onMessage != nil {
					f.onMessage(m)
				}
			}
			f.skip = false
		}
	}
}

// appendAck appends a Data Acknowledgement Ranges chunk body for the flow.
func (f *recvFlow) appendAck(b []byte) []byte {
	b = appendVLU(b, f.id)
	blocks := uint64(recvBuffer / 1024)
	if f.rejected {
		blocks = 0
	}
	b = appendVLU(b, blocks)
	b = appendVLU(b, f.cum)
	if len(f.pending) == 0 {
		return b
	}
	seqs := make([]uint64, 0, len(f.pending))
	for s := range f.pending {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	prevTo := f.cum
	for i := 0; i < len(seqs); {
		from := seqs[i]
		to := from
		for i++; i < len(seqs) && seqs[i] == to+1; i++ {
			to++
		}
		b = appendVLU(b, from-prevTo-2)
		b = appendVLU(b, to-from)
		prevTo = to
		if len(b) > 200 {
			break // enough ranges for one chunk
		}
	}
	return b
}

// parseAck reads a Data Acknowledgement Ranges chunk body.
func parseAck(b []byte) (flow, window, cum uint64, ranges [][2]uint64, err error) {
	if flow, b, err = readVLU(b); err != nil {
		return
	}
	var blocks uint64
	if blocks, b, err = readVLU(b); err != nil {
		return
	}
	window = min(blocks, 1<<40) * 1024
	if cum, b, err = readVLU(b); err != nil {
		return
	}
	prevTo := cum
	for len(b) > 0 {
		var holes, recv uint64
		if holes, b, err = readVLU(b); err != nil {
			return
		}
		if recv, b, err = readVLU(b); err != nil {
			return
		}
		from := prevTo + holes + 2
		to := from + recv
		if from < prevTo || to < from {
			return flow, window, cum, ranges, ErrVLU
		}
		ranges = append(ranges, [2]uint64{from, to})
		prevTo = to
	}
	return
}
