package flv

import (
	"bytes"
	"testing"
)

func TestParseSPSFormat(t *testing.T) {
	for _, ca := range []struct {
		name string
		sps  []byte
		want spsFormat
		ok   bool
	}{
		{"x264 High 4:2:0 8-bit", x264HighSPS, spsFormat{1, 0, 0}, true},
		{"x264 High 4:4:4 10-bit", x264High444SPS, spsFormat{3, 2, 2}, true},
		{"x264 High 4:2:2 10-bit", x264High422SPS, spsFormat{2, 2, 2}, true},
		{"Baseline implies 4:2:0 8-bit", x264BaselineSPS, spsFormat{1, 0, 0}, true},
		{"too short", hexBytes("67 64 00"), spsFormat{1, 0, 0}, false},
		{"ends before chroma_format_idc", hexBytes("67 64 00 1f"), spsFormat{1, 0, 0}, false},
		{"Exp-Golomb code too long", hexBytes("67 64 00 1f 00 00 00 00 00"), spsFormat{1, 0, 0}, false},
		{"chroma_format_idc 4", hexBytes("67 64 00 1f 8a"), spsFormat{1, 0, 0}, false},
	} {
		t.Run(ca.name, func(t *testing.T) {
			got, err := parseSPSFormat(ca.sps)
			if (err == nil) != ca.ok || got != ca.want {
				t.Fatalf("got %+v, %v; want %+v, ok %v", got, err, ca.want, ca.ok)
			}
		})
	}
}

func TestUnescapeRBSP(t *testing.T) {
	for _, ca := range []struct {
		in, want []byte
		limit    int
	}{
		{hexBytes("00 00 03 01 00 00 03 00"), hexBytes("00 00 01 00 00 00"), 16},
		{hexBytes("00 03 00 00 03 03"), hexBytes("00 03 00 00 03"), 16},
		{hexBytes("11 22 33 44"), hexBytes("11 22"), 2},
	} {
		if got := unescapeRBSP(ca.in, ca.limit); !bytes.Equal(got, ca.want) {
			t.Errorf("unescapeRBSP(% x, %d) = % x, want % x", ca.in, ca.limit, got, ca.want)
		}
	}
}
