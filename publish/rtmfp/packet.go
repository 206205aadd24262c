package rtmfp

import (
	"encoding/binary"
	"fmt"
)

// Packet header flags (RFC 7016 §2.2.4).
const (
	flagTC   = 0x80 // time critical
	flagTCR  = 0x40 // time critical reverse notification
	flagTS   = 0x08 // timestamp present
	flagTSE  = 0x04 // timestamp echo present
	modeMask = 0x03

	modeInitiator = 1
	modeResponder = 2
	modeStartup   = 3
)

// Chunk types (RFC 7016 §2.3).
const (
	chunkPing            = 0x01
	chunkSessionClose    = 0x0c
	chunkForwardedIHello = 0x0f
	chunkUserData        = 0x10
	chunkNextUserData    = 0x11
	chunkBufferProbe     = 0x18
	chunkIHello          = 0x30
	chunkIIKeying        = 0x38
	chunkPingReply       = 0x41
	chunkSessionCloseAck = 0x4c
	chunkAckBitmap       = 0x50
	chunkAckRanges       = 0x51
	chunkFlowException   = 0x5e
	chunkRHello          = 0x70
	chunkRedirect        = 0x71
	chunkRIKeying        = 0x78
	chunkCookieChange    = 0x79
	chunkPadding         = 0xff
)

// Size limits: a session packet's plain text (rtmfp-cpp's 1200; with the
// scrambled ID and a 16-byte HMAC, 1220-byte datagrams), and a fragment's
// data in it.
const (
	maxPacket   = 1200
	maxFragment = 1100
)

// timestampHz: packet timestamps count 4 ms ticks.
const timestampHz = 250

// header is a packet's first bytes.
type header struct {
	flags  byte
	ts     uint16 // when flags&flagTS
	tsEcho uint16 // when flags&flagTSE
}

func (h header) mode() byte { return h.flags & modeMask }

// chunk is one chunk of a packet; body aliases the packet.
type chunk struct {
	typ  byte
	body []byte
}

// parsePacket splits a decrypted packet into its header and chunks.
// Padding (0xff, or a chunk type 0x00 of no length) ends it.
func parsePacket(p []byte) (header, []chunk, error) {
	var h header
	if len(p) < 1 {
		return h, nil, ErrShort
	}
	h.flags = p[0]
	p = p[1:]
	if h.flags&flagTS != 0 {
		if len(p) < 2 {
			return h, nil, ErrShort
		}
		h.ts = binary.BigEndian.Uint16(p)
		p = p[2:]
	}
	if h.flags&flagTSE != 0 {
		if len(p) < 2 {
			return h, nil, ErrShort
		}
		h.tsEcho = binary.BigEndian.Uint16(p)
		p = p[2:]
	}
	var chunks []chunk
	for len(p) >= 3 && p[0] != chunkPadding {
		n := int(binary.BigEndian.Uint16(p[1:]))
		if n > len(p)-3 {
			return h, chunks, fmt.Errorf("%w: chunk 0x%02x of %d bytes in %d", ErrShort, p[0], n, len(p)-3)
		}
		chunks = append(chunks, chunk{typ: p[0], body: p[3 : 3+n]})
		p = p[3+n:]
	}
	return h, chunks, nil
}

// appendHeader appends h: the flags, then the timestamps the flags name.
func appendHeader(b []byte, h header) []byte {
	b = append(b, h.flags)
	if h.flags&flagTS != 0 {
		b = binary.BigEndian.AppendUint16(b, h.ts)
	}
	if h.flags&flagTSE != 0 {
		b = binary.BigEndian.AppendUint16(b, h.tsEcho)
	}
	return b
}

// appendChunk appends a chunk of type typ with body.
func appendChunk(b []byte, typ byte, body []byte) []byte {
	b = append(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}
