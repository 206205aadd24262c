package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

var casesAnnexB = []struct {
	name string
	enc  []byte   // input of SplitAnnexB
	dec  [][]byte // its result, input of JoinAnnexB
	join []byte   // result of JoinAnnexB, when it differs from enc
}{
	{
		"4-byte start codes",
		hexBytes("00 00 00 01 aa bb 00 00 00 01 cc dd 00 00 00 01 ee ff"),
		[][]byte{{0xaa, 0xbb}, {0xcc, 0xdd}, {0xee, 0xff}},
		nil,
	},
	{
		"3-byte start codes",
		hexBytes("00 00 01 aa bb 00 00 01 cc dd 00 00 01 ee ff"),
		[][]byte{{0xaa, 0xbb}, {0xcc, 0xdd}, {0xee, 0xff}},
		hexBytes("00 00 00 01 aa bb 00 00 00 01 cc dd 00 00 00 01 ee ff"),
	},
	{
		"3- and 4-byte start codes mixed",
		hexBytes("00 00 00 01 09 f0 00 00 01 06 05 80 00 00 00 01 65 88 84"),
		[][]byte{{0x09, 0xf0}, {0x06, 0x05, 0x80}, {0x65, 0x88, 0x84}},
		hexBytes("00 00 00 01 09 f0 00 00 00 01 06 05 80 00 00 00 01 65 88 84"),
	},
	{
		"leading zero bytes",
		hexBytes("00 00 00 00 00 01 65 88"),
		[][]byte{{0x65, 0x88}},
		hexBytes("00 00 00 01 65 88"),
	},
	{
		"trailing zero bytes",
		hexBytes("00 00 01 aa bb 00 00 00 00 00 01 cc 00 00"),
		[][]byte{{0xaa, 0xbb}, {0xcc}},
		hexBytes("00 00 00 01 aa bb 00 00 00 01 cc"),
	},
	{
		"empty NAL units skipped",
		hexBytes("00 00 01 00 00 01 aa 00 00 00 01 00 00 01"),
		[][]byte{{0xaa}},
		hexBytes("00 00 00 01 aa"),
	},
	{
		"emulation prevention and zeros inside a NAL unit kept",
		hexBytes("00 00 01 65 00 00 03 01 00 00 00 02 ff"),
		[][]byte{hexBytes("65 00 00 03 01 00 00 00 02 ff")},
		hexBytes("00 00 00 01 65 00 00 03 01 00 00 00 02 ff"),
	},
	{
		"x264 extradata",
		append(append(hexBytes("00 00 00 01"), x264HighSPS...), append(hexBytes("00 00 00 01"), x264HighPPS...)...),
		[][]byte{x264HighSPS, x264HighPPS},
		nil,
	},
}

var casesAnnexBError = []struct {
	name string
	enc  []byte
	err  error
}{
	{"empty", nil, ErrNoNALUs},
	{"only a start code", hexBytes("00 00 01"), ErrNoNALUs},
	{"only start codes and zeros", hexBytes("00 00 00 01 00 00 00 00 01 00"), ErrNoNALUs},
	{"no start code", hexBytes("65 88 84"), ErrNoStartCode},
	{"one zero byte", hexBytes("00 01 65"), ErrNoStartCode},
	{"zeros only", hexBytes("00 00 00 00"), ErrNoStartCode},
	{"truncated start code", hexBytes("00 00"), ErrNoStartCode},
	{"00 00 02", hexBytes("00 00 02 65"), ErrNoStartCode},
	{"too many NAL units", bytes.Repeat(hexBytes("00 00 01 09"), MaxNALUs+1), ErrTooManyNALUs},
}

func TestSplitAnnexB(t *testing.T) {
	for _, ca := range casesAnnexB {
		t.Run(ca.name, func(t *testing.T) {
			dec, err := SplitAnnexB(ca.enc)
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

func TestJoinAnnexB(t *testing.T) {
	for _, ca := range casesAnnexB {
		t.Run(ca.name, func(t *testing.T) {
			want := ca.join
			if want == nil {
				want = ca.enc
			}
			if got := JoinAnnexB(ca.dec); !bytes.Equal(got, want) {
				t.Fatalf("got % x, want % x", got, want)
			}
		})
	}
}

func TestSplitAnnexBError(t *testing.T) {
	for _, ca := range casesAnnexBError {
		t.Run(ca.name, func(t *testing.T) {
			_, err := SplitAnnexB(ca.enc)
			if !errors.Is(err, ca.err) {
				t.Fatalf("got %v, want %v", err, ca.err)
			}
		})
	}
}

func TestSplitAnnexBMaxNALUs(t *testing.T) {
	nalus, err := SplitAnnexB(bytes.Repeat(hexBytes("00 00 01 09"), MaxNALUs))
	if err != nil || len(nalus) != MaxNALUs {
		t.Fatalf("got %d NAL units, %v; want %d", len(nalus), err, MaxNALUs)
	}
}

func FuzzSplitAnnexB(f *testing.F) {
	for _, ca := range casesAnnexB {
		f.Add(ca.enc)
	}
	for _, ca := range casesAnnexBError {
		f.Add(ca.enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus, err := SplitAnnexB(b)
		if err != nil {
			return
		}
		if len(nalus) == 0 || len(nalus) > MaxNALUs {
			t.Fatalf("%d NAL units", len(nalus))
		}
		for i, nalu := range nalus {
			if len(nalu) == 0 || nalu[len(nalu)-1] == 0 {
				t.Fatalf("NAL unit %d is % x", i, nalu)
			}
		}
		again, err := SplitAnnexB(JoinAnnexB(nalus))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, nalus) {
			t.Fatalf("round trip: got % x, want % x", again, nalus)
		}
	})
}
