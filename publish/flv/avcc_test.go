package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

var casesAVCC = []struct {
	name       string
	lengthSize int
	enc        []byte
	dec        [][]byte
}{
	{
		"4-byte lengths",
		4,
		hexBytes("00 00 00 02 aa bb 00 00 00 01 cc 00 00 00 03 dd ee ff"),
		[][]byte{{0xaa, 0xbb}, {0xcc}, {0xdd, 0xee, 0xff}},
	},
	{
		"x264 SEI and IDR slice",
		4,
		append(append(hexBytes("00 00 00 14"), x264SEI...), append(hexBytes("00 00 00 12"), x264IDR...)...),
		[][]byte{x264SEI, x264IDR},
	},
	{
		"2-byte lengths",
		2,
		hexBytes("00 02 aa bb 00 01 cc"),
		[][]byte{{0xaa, 0xbb}, {0xcc}},
	},
	{
		"1-byte lengths",
		1,
		hexBytes("02 aa bb 01 cc"),
		[][]byte{{0xaa, 0xbb}, {0xcc}},
	},
}

var casesAVCCError = []struct {
	name       string
	lengthSize int
	enc        []byte
	err        error
}{
	{"length size 3", 3, hexBytes("00 00 01 aa"), ErrLengthSize},
	{"length size 0", 0, hexBytes("aa"), ErrLengthSize},
	{"empty", 4, nil, ErrNoNALUs},
	{"truncated length", 4, hexBytes("00 00 00 01 aa 00 00 00"), ErrTruncated},
	{"size exceeds remaining bytes", 4, hexBytes("00 00 00 05 aa bb"), ErrTruncated},
	{"huge size", 4, hexBytes("ff ff ff ff aa"), ErrTruncated},
	{"zero size", 4, hexBytes("00 00 00 01 aa 00 00 00 00"), ErrEmptyNALU},
	{"too many NAL units", 4, bytes.Repeat(hexBytes("00 00 00 01 09"), MaxNALUs+1), ErrTooManyNALUs},
}

func TestUnmarshalAVCC(t *testing.T) {
	for _, ca := range casesAVCC {
		t.Run(ca.name, func(t *testing.T) {
			dec, err := UnmarshalAVCC(ca.enc, ca.lengthSize)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(dec, ca.dec) {
				t.Fatalf("got % x, want % x", dec, ca.dec)
			}
			for i, nalu := range dec {
				if cap(nalu) != len(nalu) {
					t.Errorf("NAL unit %d: capacity %d, want %d", i, cap(nalu), len(nalu))
				}
			}
		})
	}
}

func TestMarshalAVCC(t *testing.T) {
	for _, ca := range casesAVCC {
		if ca.lengthSize != 4 {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			if got := MarshalAVCC(ca.dec); !bytes.Equal(got, ca.enc) {
				t.Fatalf("got % x, want % x", got, ca.enc)
			}
		})
	}
}

func TestUnmarshalAVCCError(t *testing.T) {
	for _, ca := range casesAVCCError {
		t.Run(ca.name, func(t *testing.T) {
			_, err := UnmarshalAVCC(ca.enc, ca.lengthSize)
			if !errors.Is(err, ca.err) {
				t.Fatalf("got %v, want %v", err, ca.err)
			}
		})
	}
}

func FuzzUnmarshalAVCC(f *testing.F) {
	for _, ca := range casesAVCC {
		f.Add(ca.enc)
	}
	for _, ca := range casesAVCCError {
		f.Add(ca.enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, lengthSize := range []int{1, 2, 4} {
			nalus, err := UnmarshalAVCC(b, lengthSize)
			if err != nil {
				continue
			}
			n := 0
			for i, nalu := range nalus {
				if len(nalu) == 0 {
					t.Fatalf("length size %d: NAL unit %d is empty", lengthSize, i)
				}
				n += lengthSize + len(nalu)
			}
			if n != len(b) {
				t.Fatalf("length size %d: NAL units and lengths take %d bytes of %d", lengthSize, n, len(b))
			}
			if lengthSize == 4 && !bytes.Equal(MarshalAVCC(nalus), b) {
				t.Fatalf("round trip: got % x, want % x", MarshalAVCC(nalus), b)
			}
		}
	})
}
