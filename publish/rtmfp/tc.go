package rtmfp

import (
	"encoding/binary"
	"fmt"
)

// RTMP message types carried on flows (RFC 7425 §5.1).
const (
	TypeUserControl = 4
	TypeAudio       = 8
	TypeVideo       = 9
	TypeData        = 18
	TypeCommand     = 20
)

// tcMetadata is a flow's metadata in the RTMP mapping (RFC 7425 §5.1.1):
// "TC", the flags (0x04: a stream ID follows; delivery in sequence) and
// the NetStream's ID (0: the NetConnection).
func tcMetadata(streamID uint32) []byte {
	return appendVLU([]byte{'T', 'C', 0x04}, uint64(streamID))
}

// parseTCMetadata returns the stream ID a flow's metadata names.
func parseTCMetadata(m []byte) (uint32, error) {
	if len(m) < 4 || m[0] != 'T' || m[1] != 'C' || m[2]&0x04 == 0 {
		return 0, fmt.Errorf("%w: flow metadata %x is not RTMP's", ErrProtocol, m)
	}
	id, _, err := readVLU(m[3:])
	if err != nil || id > 1<<32-1 {
		return 0, fmt.Errorf("%w: flow metadata's stream ID", ErrProtocol)
	}
	return uint32(id), nil
}

// appendTCMessage appends an RTMP message as a flow carries it: its type,
// its timestamp (ms, 32 bits) and its payload.
func appendTCMessage(b []byte, typ byte, ts uint32, payload []byte) []byte {
	b = append(b, typ)
	b = binary.BigEndian.AppendUint32(b, ts)
	return append(b, payload...)
}

// parseTCMessage splits a flow's message.
func parseTCMessage(m []byte) (typ byte, ts uint32, payload []byte, err error) {
	if len(m) < 5 {
		return 0, 0, nil, fmt.Errorf("%w: RTMP message of %d bytes", ErrShort, len(m))
	}
	return m[0], binary.BigEndian.Uint32(m[1:]), m[5:], nil
}
