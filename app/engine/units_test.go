package engine

import "testing"

func TestParseSize(t *testing.T) {
	ok := map[string][2]int{"sd": {640, 480}, "HD": {1280, 720}, "fhd": {1920, 1080}, "uhd": {3840, 2160}, "1280x720": {1280, 720}, "64x64": {64, 64}}
	for in, want := range ok {
		t.Run(in, func(t *testing.T) {
			w, h, err := ParseSize(in)
			if err != nil || w != want[0] || h != want[1] {
				t.Errorf("ParseSize(%q) = %d, %d, %v", in, w, h, err)
			}
		})
	}
	for _, in := range []string{"", "big", "1280", "1281x720", "0x0", "32x32", "99999x2", "axb"} {
		t.Run("bad "+in, func(t *testing.T) {
			if _, _, err := ParseSize(in); err == nil {
				t.Errorf("ParseSize(%q) accepted", in)
			}
		})
	}
}

func TestParseBitrate(t *testing.T) {
	ok := map[string]int{"2500k": 2_500_000, "2.5M": 2_500_000, "128k": 128_000, "64000": 64_000, "6000kbps": 6_000_000}
	for in, want := range ok {
		t.Run(in, func(t *testing.T) {
			if got, err := ParseBitrate(in); err != nil || got != want {
				t.Errorf("ParseBitrate(%q) = %d, %v", in, got, err)
			}
		})
	}
	for _, in := range []string{"", "fast", "-5k", "0", "5G", "1e12"} {
		t.Run("bad "+in, func(t *testing.T) {
			if _, err := ParseBitrate(in); err == nil {
				t.Errorf("ParseBitrate(%q) accepted", in)
			}
		})
	}
}

func TestParseFPS(t *testing.T) {
	ok := map[string]float64{"30": 30, "29.97": 29.97, "30000/1001": 30000.0 / 1001, "60": 60}
	for in, want := range ok {
		t.Run(in, func(t *testing.T) {
			if got, err := ParseFPS(in); err != nil || got != want {
				t.Errorf("ParseFPS(%q) = %g, %v", in, got, err)
			}
		})
	}
	for _, in := range []string{"", "0", "-1", "x", "1/0", "1000"} {
		t.Run("bad "+in, func(t *testing.T) {
			if _, err := ParseFPS(in); err == nil {
				t.Errorf("ParseFPS(%q) accepted", in)
			}
		})
	}
}
