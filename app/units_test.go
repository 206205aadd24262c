package app

import "testing"

func TestParseSize(t *testing.T) {
	ok := map[string][2]int{"sd": {640, 480}, "HD": {1280, 720}, "fhd": {1920, 1080}, "uhd": {3840, 2160}, "1280x720": {1280, 720}, "64x64": {64, 64}}
	for in, want := range ok {
		w, h, err := parseSize(in)
		if err != nil || w != want[0] || h != want[1] {
			t.Errorf("parseSize(%q) = %d, %d, %v", in, w, h, err)
		}
	}
	for _, in := range []string{"", "big", "1280", "1281x720", "0x0", "32x32", "99999x2", "axb"} {
		if _, _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestParseBitrate(t *testing.T) {
	ok := map[string]int{"2500k": 2_500_000, "2.5M": 2_500_000, "128k": 128_000, "64000": 64_000, "6000kbps": 6_000_000}
	for in, want := range ok {
		if got, err := parseBitrate(in); err != nil || got != want {
			t.Errorf("parseBitrate(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "fast", "-5k", "0", "5G", "1e12"} {
		if _, err := parseBitrate(in); err == nil {
			t.Errorf("parseBitrate(%q) accepted", in)
		}
	}
}

func TestParseFPS(t *testing.T) {
	ok := map[string]float64{"30": 30, "29.97": 29.97, "30000/1001": 30000.0 / 1001, "60": 60}
	for in, want := range ok {
		if got, err := parseFPS(in); err != nil || got != want {
			t.Errorf("parseFPS(%q) = %g, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "x", "1/0", "1000"} {
		if _, err := parseFPS(in); err == nil {
			t.Errorf("parseFPS(%q) accepted", in)
		}
	}
}
