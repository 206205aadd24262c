package hls

// maxPESHeaderSize is the size of the PES header this package writes with
// both PTS and DTS: 9 bytes and two 5-byte timestamps.
const maxPESHeaderSize = 19

// appendPESHeader appends the header of a PES packet (ISO/IEC 13818-1
// 2.4.3.6) carrying esSize bytes of elementary stream data: the stream ID,
// data_alignment_indicator set (the data begins with an access unit), the
// PTS, and the DTS when it differs from the PTS. Timestamps are on the
// 90 kHz clock and written modulo 2^33.
//
// PES_packet_length is 0, "unbounded", when the packet is longer than its
// 16 bits can say; ISO/IEC 13818-1 allows that for video only, and the
// audio frames of ADTS are never that long.
func appendPESHeader(dst []byte, streamID byte, esSize int, pts, dts int64) []byte {
	pts &= timestampMask
	dts &= timestampMask
	flags, hdrData := byte(0x80), 5 // PTS only
	if dts != pts {
		flags, hdrData = 0xc0, 10 // PTS and DTS
	}
	length := 3 + hdrData + esSize
	if length > 0xffff {
		length = 0
	}
	dst = append(dst, 0, 0, 1, streamID, byte(length>>8), byte(length),
		0x84, // marker bits '10', data_alignment_indicator
		flags, byte(hdrData))
	if flags == 0x80 {
		return appendTimestamp(dst, 0x2, pts)
	}
	dst = appendTimestamp(dst, 0x3, pts)
	return appendTimestamp(dst, 0x1, dts)
}

// appendTimestamp appends a 33-bit PTS or DTS in its 5-byte form: the
// 4-bit prefix, then the bits 32..30, 29..15 and 14..0, each group
// followed by a marker bit.
func appendTimestamp(dst []byte, prefix byte, ts int64) []byte {
	return append(dst,
		prefix<<4|byte(ts>>29)&0x0e|1,
		byte(ts>>22),
		byte(ts>>14)|1,
		byte(ts>>7),
		byte(ts<<1)|1)
}
