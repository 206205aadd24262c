package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var (
	// ErrLengthSize is returned by UnmarshalAVCC when lengthSize is not 1,
	// 2 or 4, and by AVCDecoderConfigurationRecord's Marshal and Unmarshal
	// when LengthSizeMinusOne is not 0, 1 or 3 (ISO/IEC 14496-15 5.3.3.1.2
	// allows no other).
	ErrLengthSize = errors.New("invalid NAL unit length size")

	// ErrEmptyNALU is returned by AVCDecoderConfigurationRecord.Unmarshal
	// when a length prefix announces a parameter set of zero bytes, and by
	// AVCDecoderConfigurationRecord.Marshal asked to write an empty
	// parameter set: every NAL unit has at least its header byte.
	// (UnmarshalAVCC skips empty NAL units instead: encoders send them.)
	ErrEmptyNALU = errors.New("empty NAL unit")
)

// MarshalAVCC writes NAL units in AVCC form, the sample format of ISO/IEC
// 14496-15 that FLV uses: each NAL unit after its size as a 4-byte
// big-endian integer (LengthSizeMinusOne = 3).
func MarshalAVCC(nalus [][]byte) []byte {
	return appendAVCC(make([]byte, 0, avccSize(nalus)), nalus)
}

func avccSize(nalus [][]byte) int {
	n := 0
	for _, nalu := range nalus {
		n += 4 + len(nalu)
	}
	return n
}

func appendAVCC(b []byte, nalus [][]byte) []byte {
	for _, nalu := range nalus {
		b = binary.BigEndian.AppendUint32(b, uint32(len(nalu)))
		b = append(b, nalu...)
	}
	return b
}

// UnmarshalAVCC splits AVCC data into its NAL units. lengthSize is the size
// of each length prefix in bytes, LengthSizeMinusOne+1 from the stream's
// AVCDecoderConfigurationRecord: 1, 2 or 4 (FLV from this package: 4).
//
// Every length is checked against the bytes that remain. A length of zero
// is skipped, as mediacommon does since mediamtx#2375: some encoders and
// servers send empty NAL units, and a player drops them. The NAL units
// alias b, with their capacity ending with them. Errors: ErrLengthSize,
// ErrNoNALUs (empty input, or only empty NAL units), ErrTruncated,
// ErrTooManyNALUs.
func UnmarshalAVCC(b []byte, lengthSize int) ([][]byte, error) {
	switch lengthSize {
	case 1, 2, 4:
	default:
		return nil, fmt.Errorf("%w: %d bytes, want 1, 2 or 4", ErrLengthSize, lengthSize)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: AVCC data is empty", ErrNoNALUs)
	}

	var nalus [][]byte
	rest := b
	for len(rest) > 0 {
		if len(rest) < lengthSize {
			return nil, fmt.Errorf("%w: NAL unit %d: length prefix needs %d bytes, %d remain",
				ErrTruncated, len(nalus), lengthSize, len(rest))
		}
		var size uint64
		for _, c := range rest[:lengthSize] {
			size = size<<8 | uint64(c)
		}
		rest = rest[lengthSize:]
		if size == 0 {
			continue
		}
		if size > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: NAL unit %d size (%d) exceeds remaining %d bytes",
				ErrTruncated, len(nalus), size, len(rest))
		}
		if len(nalus) == MaxNALUs {
			return nil, fmt.Errorf("%w: AVCC data of %d bytes holds more than %d NAL units",
				ErrTooManyNALUs, len(b), MaxNALUs)
		}
		nalus = append(nalus, rest[:size:size])
		rest = rest[size:]
	}
	if len(nalus) == 0 {
		return nil, fmt.Errorf("%w: AVCC data of %d bytes holds only empty NAL units", ErrNoNALUs, len(b))
	}
	return nalus, nil
}
