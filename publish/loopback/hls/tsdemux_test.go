package hls

import (
	"encoding/binary"
	"fmt"
)

// A small, strict MPEG-TS reader for the tests: it checks what the writer
// promises and hands back what it carried.

// tsPES is one PES packet read back.
type tsPES struct {
	pid          uint16
	streamID     byte
	pts, dts     int64 // dts == pts when the header has no DTS
	hasDTS       bool
	randomAccess bool // on its first TS packet
	pcr          int64
	hasPCR       bool // on its first TS packet
	data         []byte
	wantLen      int // from PES_packet_length, -1 for unbounded
}

// tsDemuxed is what a transport stream carried.
type tsDemuxed struct {
	packets  int
	sections map[uint16][][]byte // whole sections by PID, CRC included
	pes      []tsPES             // in the order they began
	pcrs     []int64             // every PCR, in order
	pcrPIDs  []uint16
}

// tsDemuxer reads transport streams. Its continuity counters carry on from
// one call of read to the next, as segments follow each other.
type tsDemuxer struct {
	cc map[uint16]uint8
}

func newTSDemuxer() *tsDemuxer { return &tsDemuxer{cc: map[uint16]uint8{}} }

func (d *tsDemuxer) read(b []byte) (*tsDemuxed, error) {
	if len(b)%tsPacketSize != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %d-byte packets", len(b), tsPacketSize)
	}
	out := &tsDemuxed{sections: map[uint16][][]byte{}}
	open := map[uint16]int{} // PID -> index in out.pes of the PES being read
	for i := 0; i < len(b); i += tsPacketSize {
		p := b[i : i+tsPacketSize]
		out.packets++
		if p[0] != tsSyncByte {
			return nil, fmt.Errorf("packet %d: sync byte %#x", i/tsPacketSize, p[0])
		}
		if p[1]&0x80 != 0 {
			return nil, fmt.Errorf("packet %d: transport_error_indicator", i/tsPacketSize)
		}
		pusi := p[1]&0x40 != 0
		pid := uint16(p[1]&0x1f)<<8 | uint16(p[2])
		if p[3]&0xc0 != 0 {
			return nil, fmt.Errorf("packet %d: scrambled", i/tsPacketSize)
		}
		afc := p[3] >> 4 & 3
		cc := p[3] & 0x0f
		hasPayload := afc&1 != 0
		if afc == 0 {
			return nil, fmt.Errorf("packet %d: adaptation_field_control 0", i/tsPacketSize)
		}
		if last, ok := d.cc[pid]; ok {
			want := last
			if hasPayload {
				want = (last + 1) & 0x0f
			}
			if cc != want {
				return nil, fmt.Errorf("packet %d PID %#x: continuity counter %d, want %d", i/tsPacketSize, pid, cc, want)
			}
		}
		d.cc[pid] = cc

		body := p[tsHeaderSize:]
		var rai, hasPCR bool
		var pcr int64
		if afc&2 != 0 {
			n := int(body[0])
			if n > tsPayloadSize-1 || (hasPayload && n > tsPayloadSize-2) || (!hasPayload && n != tsPayloadSize-1) {
				return nil, fmt.Errorf("packet %d: adaptation_field_length %d", i/tsPacketSize, n)
			}
			af := body[1 : 1+n]
			body = body[1+n:]
			if n > 0 {
				rai = af[0]&afRandomAccess != 0
				j := 1
				if af[0]&afPCR != 0 {
					if n < 7 {
						return nil, fmt.Errorf("packet %d: PCR flag in an adaptation field of %d bytes", i/tsPacketSize, n)
					}
					v := uint64(af[1])<<25 | uint64(af[2])<<17 | uint64(af[3])<<9 | uint64(af[4])<<1 | uint64(af[5])>>7
					if af[5]&0x7e != 0x7e {
						return nil, fmt.Errorf("packet %d: PCR reserved bits", i/tsPacketSize)
					}
					if ext := uint16(af[5]&1)<<8 | uint16(af[6]); ext != 0 {
						return nil, fmt.Errorf("packet %d: PCR extension %d", i/tsPacketSize, ext)
					}
					pcr, hasPCR = int64(v), true
					out.pcrs = append(out.pcrs, pcr)
					out.pcrPIDs = append(out.pcrPIDs, pid)
					j += 6
				}
				for _, c := range af[j:] {
					if c != 0xff {
						return nil, fmt.Errorf("packet %d: stuffing byte %#x", i/tsPacketSize, c)
					}
				}
			}
		}
		if !hasPayload {
			if len(body) != 0 {
				return nil, fmt.Errorf("packet %d: bytes after an adaptation field without payload", i/tsPacketSize)
			}
			continue
		}

		if pid == pidPAT || pid == pidPMT {
			if !pusi || body[0] != 0 {
				return nil, fmt.Errorf("packet %d: section without pointer_field 0", i/tsPacketSize)
			}
			sec := body[1:]
			n := int(binary.BigEndian.Uint16(sec[1:]) & 0x0fff)
			if 3+n > len(sec) {
				return nil, fmt.Errorf("packet %d: section_length %d", i/tsPacketSize, n)
			}
			sec = sec[:3+n]
			if crc := crc32MPEG(sec); crc != 0 {
				return nil, fmt.Errorf("packet %d: section CRC check %#x, want 0", i/tsPacketSize, crc)
			}
			out.sections[pid] = append(out.sections[pid], sec)
			continue
		}

		if pusi {
			if err := finishPES(out, open, pid); err != nil {
				return nil, err
			}
			h, err := parsePESHeader(body)
			if err != nil {
				return nil, fmt.Errorf("packet %d: %w", i/tsPacketSize, err)
			}
			h.pid, h.randomAccess, h.pcr, h.hasPCR = pid, rai, pcr, hasPCR
			out.pes = append(out.pes, h)
			open[pid] = len(out.pes) - 1
			continue
		}
		k, ok := open[pid]
		if !ok {
			// A stream read from its middle: the rest of a PES.
			continue
		}
		if rai || hasPCR {
			return nil, fmt.Errorf("packet %d: PCR or random access flag inside a PES", i/tsPacketSize)
		}
		out.pes[k].data = append(out.pes[k].data, body...)
	}
	for pid := range open {
		if err := finishPES(out, open, pid); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// finishPES ends the PES being read on pid and checks its length against
// PES_packet_length.
func finishPES(out *tsDemuxed, open map[uint16]int, pid uint16) error {
	k, ok := open[pid]
	if !ok {
		return nil
	}
	delete(open, pid)
	e := &out.pes[k]
	if want := e.wantLen; want >= 0 && len(e.data) != want {
		return fmt.Errorf("PES on PID %#x at PTS %d: %d bytes, PES_packet_length says %d", pid, e.pts, len(e.data), want)
	}
	return nil
}

// parsePESHeader reads a PES header from the start of a PES; the rest of
// b becomes the start of data.
func parsePESHeader(b []byte) (tsPES, error) {
	if len(b) < 9 || b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return tsPES{}, fmt.Errorf("no PES start code: % x", b[:min(len(b), 9)])
	}
	e := tsPES{streamID: b[3], wantLen: -1}
	length := int(binary.BigEndian.Uint16(b[4:]))
	if b[6]&0xc0 != 0x80 {
		return tsPES{}, fmt.Errorf("PES marker bits %#x", b[6])
	}
	flags, n := b[7]>>6, int(b[8])
	if len(b) < 9+n {
		return tsPES{}, fmt.Errorf("PES header data of %d bytes", n)
	}
	opt := b[9 : 9+n]
	switch flags {
	case 2:
		if n < 5 {
			return tsPES{}, fmt.Errorf("PTS in %d header bytes", n)
		}
		pts, err := parseTimestamp(opt, 0x2)
		if err != nil {
			return tsPES{}, err
		}
		e.pts, e.dts = pts, pts
	case 3:
		if n < 10 {
			return tsPES{}, fmt.Errorf("PTS and DTS in %d header bytes", n)
		}
		pts, err := parseTimestamp(opt, 0x3)
		if err != nil {
			return tsPES{}, err
		}
		dts, err := parseTimestamp(opt[5:], 0x1)
		if err != nil {
			return tsPES{}, err
		}
		e.pts, e.dts, e.hasDTS = pts, dts, true
	default:
		return tsPES{}, fmt.Errorf("PTS_DTS_flags %d", flags)
	}
	if length != 0 {
		e.wantLen = length - 3 - n
	}
	e.data = append([]byte(nil), b[9+n:]...)
	return e, nil
}

// parseTimestamp reads a 5-byte PTS or DTS and checks its prefix and
// marker bits.
func parseTimestamp(b []byte, prefix byte) (int64, error) {
	if b[0]>>4 != prefix || b[0]&1 != 1 || b[2]&1 != 1 || b[4]&1 != 1 {
		return 0, fmt.Errorf("timestamp % x: prefix or marker bits (want prefix %d)", b[:5], prefix)
	}
	return int64(b[0]>>1&7)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 | int64(b[3])<<7 | int64(b[4]>>1), nil
}
