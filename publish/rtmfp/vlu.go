package rtmfp

import "errors"

// ErrShort is returned when a packet, chunk or field ends before its
// declared length.
var ErrShort = errors.New("rtmfp: truncated")

// ErrVLU is returned for a variable length unsigned integer that does not
// fit in 64 bits.
var ErrVLU = errors.New("rtmfp: variable length integer too long")

// appendVLU appends v as a Variable Length Unsigned integer (RFC 7016
// §2.1.2): 7 bits per byte, most significant first, the top bit set on
// every byte but the last.
func appendVLU(b []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp) - 1
	tmp[i] = byte(v & 0x7f)
	for v >>= 7; v > 0; v >>= 7 {
		i--
		tmp[i] = byte(v&0x7f) | 0x80
	}
	return append(b, tmp[i:]...)
}

// vluLen is how many bytes appendVLU writes for v.
func vluLen(v uint64) int {
	n := 1
	for v >>= 7; v > 0; v >>= 7 {
		n++
	}
	return n
}

// readVLU reads a VLU from the front of b and returns it and the rest.
func readVLU(b []byte) (uint64, []byte, error) {
	var v uint64
	for i, c := range b {
		if v > (1<<64-1)>>7 {
			return 0, nil, ErrVLU
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, b[i+1:], nil
		}
	}
	return 0, nil, ErrShort
}

// readVLUBytes reads a VLU length and then that many bytes.
func readVLUBytes(b []byte) (field, rest []byte, err error) {
	n, b, err := readVLU(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(b)) {
		return nil, nil, ErrShort
	}
	return b[:n], b[n:], nil
}

// appendVLUBytes appends len(field) as a VLU and then field.
func appendVLUBytes(b, field []byte) []byte {
	return append(appendVLU(b, uint64(len(field))), field...)
}
