package hls

import (
	"errors"
	"testing"

	"onair/publish/flv"
)

// Short stand-ins for NAL units: their first byte gives the type.
const (
	testSPS    = "\x67\x64\x00\x1e\xac"
	testPPS    = "\x68\xee\x3c\x80"
	testSEI    = "\x06\x05\x01\x02"
	testIDR    = "\x65\x88\x84\x00\x33"
	testNonIDR = "\x41\x9a\x02\x03"
	testAUD    = "\x09\x10"
)

// annexB joins NAL units with 4-byte start codes.
func annexB(nalus ...string) []byte {
	var b []byte
	for _, n := range nalus {
		b = append(b, annexBStartCode...)
		b = append(b, n...)
	}
	return b
}

func TestAppendAccessUnit(t *testing.T) {
	params := [][]byte{[]byte(testSPS), []byte(testPPS)}
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
		key  bool
	}{
		{"IDR gets AUD and parameter sets", annexB(testSEI, testIDR),
			annexB(audNALU, testSPS, testPPS, testSEI, testIDR), true},
		{"IDR with its own parameter sets", annexB(testSPS, testPPS, testIDR),
			annexB(audNALU, testSPS, testPPS, testIDR), true},
		{"IDR with an SPS only", annexB(testSPS, testIDR),
			annexB(audNALU, testSPS, testPPS, testSPS, testIDR), true},
		{"AUD kept first", annexB(testAUD, testIDR),
			annexB(testAUD, testSPS, testPPS, testIDR), true},
		{"other AUDs dropped", annexB(testNonIDR, testAUD),
			annexB(audNALU, testNonIDR), false},
		{"non-IDR", annexB(testNonIDR), annexB(audNALU, testNonIDR), false},
		{"3-byte start codes", []byte("\x00\x00\x01" + testNonIDR + "\x00\x00\x01" + testNonIDR),
			annexB(audNALU, testNonIDR, testNonIDR), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, key, err := appendAccessUnit([]byte("prefix"), tc.in, params)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				return
			}
			if string(got) != "prefix"+string(tc.want) || key != tc.key {
				t.Errorf("%s:\ngot  % x (key %v)\nwant % x (key %v)", tc.name, got[6:], key, tc.want, tc.key)
			}
		})
	}
	for _, in := range [][]byte{nil, []byte("\x65\x00"), []byte("\x00\x00\x00\x01")} {
		if _, _, err := appendAccessUnit(nil, in, params); !errors.Is(err, flv.ErrNoNALUs) && !errors.Is(err, flv.ErrNoStartCode) {
			t.Errorf("% x: %v", in, err)
		}
	}
}

func TestParameterSets(t *testing.T) {
	record, err := (&flv.AVCDecoderConfigurationRecord{
		ProfileIndication: 0x64, LevelIndication: 0x1e, LengthSizeMinusOne: 3,
		SPS: [][]byte{[]byte(testSPS)}, PPS: [][]byte{[]byte(testPPS)},
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		extradata []byte
		want      []byte
	}{
		{"Annex-B", annexB(testSPS, testPPS), annexB(testSPS, testPPS)},
		{"Annex-B with other NAL units", annexB(testAUD, testSPS, testSEI, testPPS), annexB(testSPS, testPPS)},
		{"AVCDecoderConfigurationRecord", record, annexB(testSPS, testPPS)},
		{"none", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sets, err := parameterSets(tc.extradata)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				return
			}
			var got []byte
			for _, s := range sets {
				got = append(got, annexBStartCode...)
				got = append(got, s...)
			}
			if string(got) != string(tc.want) {
				t.Errorf("%s: got % x, want % x", tc.name, got, tc.want)
			}
		})
	}
	if _, err := parameterSets([]byte{1, 2}); !errors.Is(err, flv.ErrTruncated) {
		t.Errorf("short record: %v", err)
	}
	if _, err := parameterSets([]byte{0x67, 2}); !errors.Is(err, flv.ErrNoStartCode) {
		t.Errorf("no start code: %v", err)
	}
}
