package hls

// Transport stream layout of the one program this package writes
// (ISO/IEC 13818-1 2.4.3), with the PIDs and stream types FFmpeg uses.
const (
	tsPacketSize  = 188
	tsHeaderSize  = 4
	tsPayloadSize = tsPacketSize - tsHeaderSize
	tsSyncByte    = 0x47

	pidPAT   = 0x0000
	pidPMT   = 0x1000
	pidVideo = 0x0100
	pidAudio = 0x0101

	// streamTypeH264 is AVC video (ITU-T H.264) in Annex-B form.
	streamTypeH264 = 0x1b
	// streamTypeAAC is ISO/IEC 13818-7 audio with ADTS framing.
	streamTypeAAC = 0x0f

	// PES stream_id values: the first video and the first audio stream.
	streamIDVideo = 0xe0
	streamIDAudio = 0xc0
)

// Adaptation field flags (ISO/IEC 13818-1 2.4.3.4).
const (
	afDiscontinuity = 0x80
	afRandomAccess  = 0x40
	afPCR           = 0x10
	// afPCRSize is the size of program_clock_reference.
	afPCRSize = 6
)

// tsStream is one PID and the continuity_counter of its next packet with a
// payload.
type tsStream struct {
	pid uint16
	cc  uint8
	// discontinuity: the next packet says its continuity counter does not
	// follow the last one (a segment of a recording, made on its own).
	discontinuity bool
}

// tsWriter writes the transport stream of one program: the PAT and PMT,
// and PES packets of up to one video and one audio stream, cut into TS
// packets. The PCR travels on the video PID, or on the audio PID when there
// is no video. It appends to the slice it is given and keeps only its
// counters, so the same writer carries on from one segment to the next and
// continuity counters and PCRs run on across segment boundaries.
type tsWriter struct {
	pat, pmt     tsStream
	video, audio *tsStream // nil when the program has no such stream
	pcrStream    *tsStream

	// tables holds the PAT and PMT packets; appendTables patches their
	// continuity counters.
	tables []byte

	lastPCR int64 // 90 kHz, not wrapped
	hasPCR  bool
}

// newTSWriter makes the writer of a program with the given streams; at
// least one must be there.
func newTSWriter(hasVideo, hasAudio bool) *tsWriter {
	w := &tsWriter{pat: tsStream{pid: pidPAT}, pmt: tsStream{pid: pidPMT}}
	if hasVideo {
		w.video = &tsStream{pid: pidVideo}
	}
	if hasAudio {
		w.audio = &tsStream{pid: pidAudio}
	}
	w.pcrStream = w.video
	if w.pcrStream == nil {
		w.pcrStream = w.audio
	}
	var streams []pmtStream
	if hasVideo {
		streams = append(streams, pmtStream{streamType: streamTypeH264, pid: pidVideo})
	}
	if hasAudio {
		streams = append(streams, pmtStream{streamType: streamTypeAAC, pid: pidAudio})
	}
	w.tables = appendSectionPacket(nil, pidPAT, patSection(pidPMT))
	w.tables = appendSectionPacket(w.tables, pidPMT, pmtSection(w.pcrStream.pid, streams))
	return w
}

// appendTables appends the PAT and the PMT: what each segment begins with,
// so that a player can start at any segment.
func (w *tsWriter) appendTables(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, w.tables...)
	dst[n+3] = dst[n+3]&0xf0 | w.pat.nextCC()
	dst[n+tsPacketSize+3] = dst[n+tsPacketSize+3]&0xf0 | w.pmt.nextCC()
	return dst
}

// nextCC returns the continuity counter for the next packet with a payload
// and advances it, modulo 16.
func (s *tsStream) nextCC() uint8 {
	cc := s.cc
	s.cc = (s.cc + 1) & 0x0f
	return cc
}

// appendPES appends one PES packet, its header and the elementary stream
// data es, to dst as TS packets of stream s. pts and dts are on the 90 kHz
// clock, not wrapped; the header carries the DTS only when it differs from
// the PTS. randomAccess marks a packet a decoder can start from.
//
// The first TS packet of a PES on the PCR PID carries a PCR, pcrDelay
// before dts. Before a PES of another stream, a packet with only a PCR is
// sent on the PCR PID when the last PCR is pcrInterval old, so the PCR
// keeps its pace when video is slow or absent for a while. PCRs never go
// back.
func (w *tsWriter) appendPES(dst []byte, s *tsStream, streamID byte, pts, dts int64, randomAccess bool, es []byte) []byte {
	pcr := max(dts-ticks(pcrDelay), w.lastPCR)
	withPCR := s == w.pcrStream
	if !withPCR && (!w.hasPCR || pcr-w.lastPCR >= ticks(pcrInterval)) {
		dst = w.appendPCROnly(dst, pcr)
	}
	if withPCR {
		w.lastPCR, w.hasPCR = pcr, true
	}
	var hdrBuf [maxPESHeaderSize]byte
	hdr := appendPESHeader(hdrBuf[:0], streamID, len(es), pts, dts)

	var flags byte
	if randomAccess {
		flags |= afRandomAccess
	}
	if s.discontinuity {
		flags |= afDiscontinuity
		s.discontinuity = false
	}
	if withPCR {
		flags |= afPCR
	}
	first := true
	for len(hdr)+len(es) > 0 {
		// Bytes the adaptation field needs: its length and flags bytes,
		// the PCR.
		af := 0
		if flags != 0 {
			af = 2
			if flags&afPCR != 0 {
				af += afPCRSize
			}
		}
		payload := min(len(hdr)+len(es), tsPayloadSize-af)
		// Stuffing fills the last packet of the PES.
		af = tsPayloadSize - payload

		n := len(dst)
		dst = append(dst, make([]byte, tsPacketSize)...)
		p := dst[n : n+tsPacketSize]
		p[0] = tsSyncByte
		p[1] = byte(s.pid >> 8 & 0x1f)
		if first {
			p[1] |= 0x40 // payload_unit_start_indicator
		}
		p[2] = byte(s.pid)
		p[3] = 0x10 | s.nextCC() // payload
		if af > 0 {
			p[3] |= 0x20 // adaptation field
			writeAdaptationField(p[tsHeaderSize:tsHeaderSize+af], flags, pcr)
		}
		off := tsHeaderSize + af
		k := copy(p[off:], hdr)
		hdr = hdr[k:]
		copy(p[off+k:], es[:payload-k])
		es = es[payload-k:]
		first, flags = false, 0
	}
	return dst
}

// appendPCROnly appends a packet on the PCR PID with an adaptation field
// and no payload, to carry a PCR: its continuity counter repeats that of the
// PID's last packet, as ISO/IEC 13818-1 2.4.3.3 asks for packets without
// payload.
func (w *tsWriter) appendPCROnly(dst []byte, pcr int64) []byte {
	s := w.pcrStream
	n := len(dst)
	dst = append(dst, make([]byte, tsPacketSize)...)
	p := dst[n : n+tsPacketSize]
	p[0] = tsSyncByte
	p[1] = byte(s.pid >> 8 & 0x1f)
	p[2] = byte(s.pid)
	p[3] = 0x20 | (s.cc-1)&0x0f // adaptation field only
	flags := byte(afPCR)
	if s.discontinuity {
		flags |= afDiscontinuity
		s.discontinuity = false
	}
	writeAdaptationField(p[tsHeaderSize:], flags, pcr)
	w.lastPCR, w.hasPCR = pcr, true
	return dst
}

// writeAdaptationField fills af, a whole adaptation field including its
// length byte, with flags, the PCR when flags has afPCR, and stuffing. An
// af of one byte is only the length (0), a field of stuffing alone.
func writeAdaptationField(af []byte, flags byte, pcr int64) {
	af[0] = byte(len(af) - 1)
	if len(af) == 1 {
		return
	}
	af[1] = flags
	i := 2
	if flags&afPCR != 0 {
		base := pcr & timestampMask // the 9-bit extension is 0
		af[2] = byte(base >> 25)
		af[3] = byte(base >> 17)
		af[4] = byte(base >> 9)
		af[5] = byte(base >> 1)
		af[6] = byte(base<<7) | 0x7e
		af[7] = 0
		i += afPCRSize
	}
	for ; i < len(af); i++ {
		af[i] = 0xff
	}
}
