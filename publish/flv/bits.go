package flv

import "fmt"

// bitReader reads bit fields most significant bit first, as H.264 and
// ISO/IEC 14496-3 write them.
type bitReader struct {
	b   []byte
	pos int // in bits
}

// bits reads an n-bit unsigned field, 0 <= n <= 32.
func (r *bitReader) bits(n int) (uint32, error) {
	if remain := len(r.b)*8 - r.pos; n > remain {
		return 0, fmt.Errorf("%w: %d-bit field at bit %d, %d bits remain", ErrTruncated, n, r.pos, remain)
	}
	var v uint32
	for i := 0; i < n; i++ {
		bit := r.b[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | uint32(bit)
		r.pos++
	}
	return v, nil
}

// ue reads an unsigned Exp-Golomb code ue(v) (ITU-T H.264 9.1) of at most
// 32 bits of value.
func (r *bitReader) ue() (uint32, error) {
	zeros := 0
	for {
		b, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		if b == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			return 0, fmt.Errorf("%w: Exp-Golomb code at bit %d has more than 31 leading zeros",
				ErrOutOfRange, r.pos)
		}
	}
	v, err := r.bits(zeros)
	if err != nil {
		return 0, err
	}
	return uint32(uint64(1)<<zeros - 1 + uint64(v)), nil
}

// bitWriter appends bit fields most significant bit first; the last byte is
// padded with zero bits.
type bitWriter struct {
	b   []byte
	pos int // in bits
}

// put writes the low n bits of v, 0 <= n <= 32.
func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.pos%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (7 - w.pos%8)
		w.pos++
	}
}
