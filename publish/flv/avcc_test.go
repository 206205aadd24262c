package flv

import (
	"bytes"
	"testing"
)

// casesAVCC holds the cases of UnmarshalAVCC by the NAL unit length size
// they are read with; MarshalAVCC writes 4-byte lengths.
var casesAVCC = map[int][]codecCase[[][]byte]{
	4: {
		{
			"4-byte lengths",
			hexBytes("00 00 00 02 aa bb 00 00 00 01 cc 00 00 00 03 dd ee ff"),
			[][]byte{{0xaa, 0xbb}, {0xcc}, {0xdd, 0xee, 0xff}},
		},
		{
			"x264 SEI and IDR slice",
			append(append(hexBytes("00 00 00 14"), x264SEI...), append(hexBytes("00 00 00 12"), x264IDR...)...),
			[][]byte{x264SEI, x264IDR},
		},
	},
	2: {
		{
			"2-byte lengths",
			hexBytes("00 02 aa bb 00 01 cc"),
			[][]byte{{0xaa, 0xbb}, {0xcc}},
		},
	},
	1: {
		{
			"1-byte lengths",
			hexBytes("02 aa bb 01 cc"),
			[][]byte{{0xaa, 0xbb}, {0xcc}},
		},
	},
}

// casesAVCCError holds the error cases of UnmarshalAVCC by the NAL unit
// length size they are read with.
var casesAVCCError = map[int][]errorCase[[]byte]{
	3: {{"length size 3", hexBytes("00 00 01 aa"), ErrLengthSize}},
	0: {{"length size 0", hexBytes("aa"), ErrLengthSize}},
	4: {
		{"empty", nil, ErrNoNALUs},
		{"truncated length", hexBytes("00 00 00 01 aa 00 00 00"), ErrTruncated},
		{"size exceeds remaining bytes", hexBytes("00 00 00 05 aa bb"), ErrTruncated},
		{"huge size", hexBytes("ff ff ff ff aa"), ErrTruncated},
		{"only empty NAL units", hexBytes("00 00 00 00 00 00 00 00"), ErrNoNALUs},
		{"too many NAL units", bytes.Repeat(hexBytes("00 00 00 01 09"), MaxNALUs+1), ErrTooManyNALUs},
	},
}

// codecAVCC is the codec of AVCC with lengthSize-byte lengths; it marshals
// 4-byte lengths only.
func codecAVCC(lengthSize int) testCodec[[][]byte] {
	return testCodec[[][]byte]{
		unmarshal: func(b []byte) ([][]byte, error) { return UnmarshalAVCC(b, lengthSize) },
		marshal:   func(nalus [][]byte) ([]byte, error) { return MarshalAVCC(nalus), nil },
	}
}

func TestUnmarshalAVCC(t *testing.T) {
	for lengthSize, cases := range casesAVCC {
		runUnmarshalCases(t, cases, codecAVCC(lengthSize).unmarshal, checkNALUCaps)
	}
}

// TestUnmarshalAVCCSkipsEmpty: zero-length NAL units, which some encoders
// send, are skipped with every length size.
func TestUnmarshalAVCCSkipsEmpty(t *testing.T) {
	want := [][]byte{{0xaa}, {0xbb, 0xcc}}
	for _, c := range []struct {
		name       string
		lengthSize int
		in         []byte
	}{
		{"1-byte lengths", 1, hexBytes("00 01 aa 00 02 bb cc 00")},
		{"2-byte lengths", 2, hexBytes("00 00 00 01 aa 00 00 00 02 bb cc")},
		{"4-byte lengths", 4, hexBytes("00 00 00 01 aa 00 00 00 00 00 00 00 02 bb cc 00 00 00 00")},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := UnmarshalAVCC(c.in, c.lengthSize)
			if err != nil || len(got) != len(want) || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
				t.Errorf("UnmarshalAVCC(% x, %d) = % x, %v, want % x", c.in, c.lengthSize, got, err, want)
			}
		})
	}
}

func TestMarshalAVCC(t *testing.T) {
	runMarshalCases(t, casesAVCC[4], codecAVCC(4).marshal)
}

func TestUnmarshalAVCCError(t *testing.T) {
	for lengthSize, cases := range casesAVCCError {
		runErrorCases(t, cases, func(b []byte) error {
			_, err := UnmarshalAVCC(b, lengthSize)
			return err
		})
	}
}

func FuzzUnmarshalAVCC(f *testing.F) {
	for _, cases := range casesAVCC {
		seedFuzz(f, cases)
	}
	for _, cases := range casesAVCCError {
		seedFuzzErrors(f, cases)
	}
	avcc4 := codecAVCC(4)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, lengthSize := range []int{1, 2, 4} {
			nalus, err := UnmarshalAVCC(b, lengthSize)
			if err != nil {
				continue
			}
			// The NAL units are the non-empty entries of b, in order.
			var want [][]byte
			for rest := b; len(rest) >= lengthSize; {
				size := 0
				for _, c := range rest[:lengthSize] {
					size = size<<8 | int(c)
				}
				rest = rest[lengthSize:]
				if size > 0 {
					want = append(want, rest[:size])
				}
				rest = rest[size:]
			}
			if len(nalus) != len(want) {
				t.Fatalf("length size %d: %d NAL units, want %d", lengthSize, len(nalus), len(want))
			}
			empty := false
			for i, nalu := range nalus {
				if len(nalu) == 0 {
					t.Fatalf("length size %d: NAL unit %d is empty", lengthSize, i)
				}
				if !bytes.Equal(nalu, want[i]) {
					t.Fatalf("length size %d: NAL unit %d is % x, want % x", lengthSize, i, nalu, want[i])
				}
			}
			if n := avccSize(nalus) - 4*len(nalus) + lengthSize*len(nalus); n != len(b) {
				empty = true // some entries were empty: no byte-exact round trip
			}
			if lengthSize == 4 && !empty {
				if enc := avcc4.roundTrip(t, nalus); !bytes.Equal(enc, b) {
					t.Fatalf("round trip: got % x, want % x", enc, b)
				}
			}
		}
	})
}
