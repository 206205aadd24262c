package hls

import "testing"

func TestCRC32MPEG(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0xffffffff},
		// The check value of CRC-32/MPEG-2.
		{"123456789", 0x0376e6e7},
		// FFmpeg's PAT section, without and with its CRC.
		{"\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0\x00", 0x2ab104b2},
		{"\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0\x00\x2a\xb1\x04\xb2", 0},
	} {
		if got := crc32MPEG([]byte(tc.in)); got != tc.want {
			t.Errorf("crc32MPEG(%q) = %#08x, want %#08x", tc.in, got, tc.want)
		}
	}
}
