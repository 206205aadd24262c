package flv

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxNALUs is the largest number of NAL units SplitAnnexB and UnmarshalAVCC
// return for one access unit. x264 with sliced threads writes a few dozen
// slices per picture at most; the bound only stops hostile input.
const MaxNALUs = 1024

var (
	// ErrNoNALUs is returned by SplitAnnexB and UnmarshalAVCC when the
	// input holds no NAL unit (it is empty, or only start codes and zero
	// bytes), and by VideoPacketBody when nothing is left of a packet after
	// dropping access unit delimiters and parameter sets.
	ErrNoNALUs = errors.New("no NAL units")

	// ErrNoStartCode is returned by SplitAnnexB when the input does not
	// begin with a start code: optional zero bytes, then 00 00 01.
	ErrNoStartCode = errors.New("Annex-B data does not begin with a start code")

	// ErrTooManyNALUs is returned by SplitAnnexB and UnmarshalAVCC when an
	// access unit holds more than MaxNALUs NAL units.
	ErrTooManyNALUs = errors.New("too many NAL units")
)

// startCode is the 3-byte Annex-B start code prefix; a 4-byte start code is
// a zero byte followed by it.
const startCode = "\x00\x00\x01"

// SplitAnnexB splits an H.264 Annex-B byte stream (ITU-T H.264 Annex B) into
// its NAL units, without start codes.
//
// The input must begin with a start code, 3-byte (00 00 01) or 4-byte
// (00 00 00 01); more leading zero bytes are allowed. Later start codes may
// be either size. Zero bytes at the end of a NAL unit (trailing_zero_8bits,
// or the first byte of a 4-byte start code) are not part of it and are
// dropped: a NAL unit never ends in 0x00. Empty NAL units (two start codes
// in a row) are skipped.
//
// The NAL units alias b; their capacity ends with them, so appending to one
// does not overwrite the next. Errors: ErrNoNALUs, ErrNoStartCode,
// ErrTooManyNALUs.
func SplitAnnexB(b []byte) ([][]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: Annex-B data is empty", ErrNoNALUs)
	}
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	if i < 2 || i == len(b) || b[i] != 1 {
		return nil, fmt.Errorf("%w: %d bytes beginning % x", ErrNoStartCode, len(b), b[:min(len(b), 4)])
	}
	rest := b[i+1:]

	var nalus [][]byte
	for {
		j := bytes.Index(rest, []byte(startCode))
		nalu := rest
		if j >= 0 {
			nalu = rest[:j]
		}
		nalu = trimTrailingZeros(nalu)
		if len(nalu) > 0 {
			if len(nalus) == MaxNALUs {
				return nil, fmt.Errorf("%w: Annex-B data of %d bytes holds more than %d NAL units",
					ErrTooManyNALUs, len(b), MaxNALUs)
			}
			nalus = append(nalus, nalu[:len(nalu):len(nalu)])
		}
		if j < 0 {
			break
		}
		rest = rest[j+len(startCode):]
	}
	if len(nalus) == 0 {
		return nil, fmt.Errorf("%w: %d bytes of start codes and zero bytes", ErrNoNALUs, len(b))
	}
	return nalus, nil
}

func trimTrailingZeros(b []byte) []byte {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	return b[:n]
}

// JoinAnnexB writes NAL units as an Annex-B byte stream, each after a 4-byte
// start code (00 00 00 01). It is the inverse of SplitAnnexB for NAL units
// that are not empty and do not end in 0x00.
func JoinAnnexB(nalus [][]byte) []byte {
	n := 0
	for _, nalu := range nalus {
		n += 4 + len(nalu)
	}
	b := make([]byte, 0, n)
	for _, nalu := range nalus {
		b = append(b, 0, 0, 0, 1)
		b = append(b, nalu...)
	}
	return b
}
