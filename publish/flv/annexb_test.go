package flv

import (
	"bytes"
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

var casesAnnexBError = []errorCase[[]byte]{
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

// annexBCases is casesAnnexB as the shared helpers take it: for SplitAnnexB,
// or, when joined, for JoinAnnexB, with enc replaced by join where it is set.
func annexBCases(joined bool) []codecCase[[][]byte] {
	cases := make([]codecCase[[][]byte], len(casesAnnexB))
	for i, ca := range casesAnnexB {
		cases[i] = codecCase[[][]byte]{ca.name, ca.enc, ca.dec}
		if joined && ca.join != nil {
			cases[i].enc = ca.join
		}
	}
	return cases
}

var codecAnnexB = testCodec[[][]byte]{
	unmarshal: SplitAnnexB,
	marshal:   func(nalus [][]byte) ([]byte, error) { return JoinAnnexB(nalus), nil },
}

func TestSplitAnnexB(t *testing.T) {
	runUnmarshalCases(t, annexBCases(false), codecAnnexB.unmarshal, checkNALUCaps)
}

func TestJoinAnnexB(t *testing.T) {
	runMarshalCases(t, annexBCases(true), codecAnnexB.marshal)
}

func TestSplitAnnexBError(t *testing.T) {
	runErrorCases(t, casesAnnexBError, func(b []byte) error {
		_, err := SplitAnnexB(b)
		return err
	})
}

// checkNALUCaps checks that no NAL unit has room to grow over the next: an
// append to one must not overwrite another.
func checkNALUCaps(t *testing.T, nalus [][]byte) {
	t.Helper()
	for i, nalu := range nalus {
		if cap(nalu) != len(nalu) {
			t.Errorf("NAL unit %d: capacity %d, want %d", i, cap(nalu), len(nalu))
		}
	}
}

func TestSplitAnnexBMaxNALUs(t *testing.T) {
	nalus, err := SplitAnnexB(bytes.Repeat(hexBytes("00 00 01 09"), MaxNALUs))
	if err != nil || len(nalus) != MaxNALUs {
		t.Fatalf("got %d NAL units, %v; want %d", len(nalus), err, MaxNALUs)
	}
}

func FuzzSplitAnnexB(f *testing.F) {
	seedFuzz(f, annexBCases(false))
	seedFuzzErrors(f, casesAnnexBError)
	fuzzRoundTrip(f, codecAnnexB, func(t *testing.T, _ []byte, nalus [][]byte, _ []byte) {
		if len(nalus) == 0 || len(nalus) > MaxNALUs {
			t.Fatalf("%d NAL units", len(nalus))
		}
		for i, nalu := range nalus {
			if len(nalu) == 0 || nalu[len(nalu)-1] == 0 {
				t.Fatalf("NAL unit %d is % x", i, nalu)
			}
		}
	})
}
