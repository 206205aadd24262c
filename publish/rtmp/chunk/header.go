package chunk

// Chunk header layout (RTMP 1.0 specification, section 5.3.1).
//
// A chunk starts with a basic header: 2 bits of format (fmt) and the chunk
// stream id in 1, 2 or 3 bytes. The message header that follows depends on fmt:
//
//	fmt 0: timestamp (3), message length (3), type id (1), stream id (4, little endian)
//	fmt 1: timestamp delta (3), message length (3), type id (1)
//	fmt 2: timestamp delta (3)
//	fmt 3: nothing; the values of the chunk stream's previous header apply
//
// A timestamp or delta of extendedTimestamp or more is sent as extendedTimestamp
// in the 3-byte field, followed by the full value in a 4-byte big-endian
// extended timestamp field. That field is repeated in every fmt 3 chunk of the
// chunk stream until the next fmt 0, 1 or 2 header, as FFmpeg and Flash do.
const (
	fmtFull      = 0 // fmt 0: a new message with an absolute timestamp
	fmtNoStream  = 1 // fmt 1: a new message with a delta, length and type
	fmtDelta     = 2 // fmt 2: a new message with a delta
	fmtNoHeader  = 3 // fmt 3: a continuation chunk, or a new message repeating everything
	headerLen0   = 11
	headerLen1   = 7
	headerLen2   = 3
	extendedLen  = 4
	maxHeaderLen = 3 + headerLen0 + extendedLen

	extendedTimestamp = 0xFFFFFF
)

// putBasicHeader writes the basic header of a chunk to b, which must hold 3
// bytes, and returns its length. csid must be a valid chunk stream id.
func putBasicHeader(b []byte, fmt uint8, csid int) int {
	switch {
	case csid < 64:
		b[0] = fmt<<6 | uint8(csid)
		return 1
	case csid < 320:
		b[0] = fmt << 6
		b[1] = uint8(csid - 64)
		return 2
	default:
		b[0] = fmt<<6 | 1
		b[1] = uint8(csid - 64)
		b[2] = uint8((csid - 64) >> 8)
		return 3
	}
}

func putUint24(b []byte, v uint32) {
	b[0] = uint8(v >> 16)
	b[1] = uint8(v >> 8)
	b[2] = uint8(v)
}

func uint24(b []byte) uint32 {
	return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
}

func validChunkStreamID(csid int) bool {
	return csid >= MinChunkStreamID && csid <= MaxChunkStreamID
}
