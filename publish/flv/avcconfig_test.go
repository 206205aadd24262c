package flv

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// casesAVCConfigX264 are the records FFmpeg wrote for x264 streams:
// NewAVCDecoderConfigurationRecord makes each from the Annex-B extradata of
// its parameter sets.
var casesAVCConfigX264 = []codecCase[AVCDecoderConfigurationRecord]{
	{
		"x264 High 1280x720",
		x264HighRecord,
		AVCDecoderConfigurationRecord{
			ProfileIndication: 100, ProfileCompatibility: 0, LevelIndication: 31, LengthSizeMinusOne: 3,
			SPS:         [][]byte{x264HighSPS},
			PPS:         [][]byte{x264HighPPS},
			HighProfile: &AVCHighProfileFields{ChromaFormat: 1},
		},
	},
	{
		"x264 High 4:4:4 10-bit",
		x264High444Record,
		AVCDecoderConfigurationRecord{
			ProfileIndication: 244, ProfileCompatibility: 0, LevelIndication: 13, LengthSizeMinusOne: 3,
			SPS:         [][]byte{x264High444SPS},
			PPS:         [][]byte{x264High444PPS},
			HighProfile: &AVCHighProfileFields{ChromaFormat: 3, BitDepthLumaMinus8: 2, BitDepthChromaMinus8: 2},
		},
	},
	{
		"x264 High 4:2:2 10-bit",
		x264High422Record,
		AVCDecoderConfigurationRecord{
			ProfileIndication: 122, ProfileCompatibility: 0, LevelIndication: 13, LengthSizeMinusOne: 3,
			SPS:         [][]byte{x264High422SPS},
			PPS:         [][]byte{x264High422PPS},
			HighProfile: &AVCHighProfileFields{ChromaFormat: 2, BitDepthLumaMinus8: 2, BitDepthChromaMinus8: 2},
		},
	},
	{
		"x264 Constrained Baseline",
		x264BaselineRecord,
		AVCDecoderConfigurationRecord{
			ProfileIndication: 66, ProfileCompatibility: 0xc0, LevelIndication: 13, LengthSizeMinusOne: 3,
			SPS: [][]byte{x264BaselineSPS},
			PPS: [][]byte{x264BaselinePPS},
		},
	},
}

// casesAVCConfig are casesAVCConfigX264 and records that
// NewAVCDecoderConfigurationRecord does not make.
var casesAVCConfig = append(slices.Clip(casesAVCConfigX264), []codecCase[AVCDecoderConfigurationRecord]{
	{
		"High without the High-profile fields",
		x264HighRecord[:len(x264HighRecord)-4],
		AVCDecoderConfigurationRecord{
			ProfileIndication: 100, ProfileCompatibility: 0, LevelIndication: 31, LengthSizeMinusOne: 3,
			SPS: [][]byte{x264HighSPS},
			PPS: [][]byte{x264HighPPS},
		},
	},
	{
		"two SPS and PPS, 2-byte lengths",
		hexBytes("01 42 c0 1e fd e2 00 04 67 42 c0 1e 00 03 67 42 c0 02 00 02 68 ce 00 02 68 cf"),
		AVCDecoderConfigurationRecord{
			ProfileIndication: 66, ProfileCompatibility: 0xc0, LevelIndication: 30, LengthSizeMinusOne: 1,
			SPS: [][]byte{hexBytes("67 42 c0 1e"), hexBytes("67 42 c0")},
			PPS: [][]byte{hexBytes("68 ce"), hexBytes("68 cf")},
		},
	},
	{
		"High with SPS extensions",
		hexBytes("01 64 00 28 ff e1 00 04 67 64 00 28 01 00 02 68 ee fd f8 f8 02 00 02 6d 01 00 01 6d"),
		AVCDecoderConfigurationRecord{
			ProfileIndication: 100, LevelIndication: 40, LengthSizeMinusOne: 3,
			SPS: [][]byte{hexBytes("67 64 00 28")},
			PPS: [][]byte{hexBytes("68 ee")},
			HighProfile: &AVCHighProfileFields{
				ChromaFormat: 1,
				SPSExt:       [][]byte{hexBytes("6d 01"), hexBytes("6d")},
			},
		},
	},
}...)

var codecAVCConfig = methodCodec[AVCDecoderConfigurationRecord]()

func TestAVCDecoderConfigurationRecordUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesAVCConfig, codecAVCConfig.unmarshal)
}

func TestAVCDecoderConfigurationRecordMarshal(t *testing.T) {
	runMarshalCases(t, casesAVCConfig, codecAVCConfig.marshal)
}

func TestNewAVCDecoderConfigurationRecord(t *testing.T) {
	for _, ca := range casesAVCConfigX264 {
		t.Run(ca.name, func(t *testing.T) {
			annexB := JoinAnnexB(append(append([][]byte{}, ca.dec.SPS...), ca.dec.PPS...))
			r, err := NewAVCDecoderConfigurationRecord(annexB)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*r, ca.dec) {
				t.Fatalf("got %+v, want %+v", *r, ca.dec)
			}
			if got := r.AnnexB(); !bytes.Equal(got, annexB) {
				t.Fatalf("AnnexB: got % x, want % x", got, annexB)
			}
		})
	}
}

func TestNewAVCDecoderConfigurationRecordSkipsOtherNALUs(t *testing.T) {
	r, err := NewAVCDecoderConfigurationRecord(JoinAnnexB([][]byte{aud, x264SEI, x264HighSPS, x264HighPPS, x264IDR}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*r, casesAVCConfig[0].dec) {
		t.Fatalf("got %+v, want %+v", *r, casesAVCConfig[0].dec)
	}
}

func TestNewAVCDecoderConfigurationRecordShortHighSPS(t *testing.T) {
	// An SPS that ends before chroma_format_idc: the record is still made,
	// without the High-profile fields.
	r, err := NewAVCDecoderConfigurationRecord(JoinAnnexB([][]byte{hexBytes("67 64 00 1f"), x264HighPPS}))
	if err != nil {
		t.Fatal(err)
	}
	if r.ProfileIndication != 100 || r.LevelIndication != 31 || r.HighProfile != nil {
		t.Fatalf("got %+v", *r)
	}
}

func TestNewAVCDecoderConfigurationRecordError(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrNoNALUs},
		{"not Annex-B", x264HighRecord, ErrNoStartCode},
		{"no SPS", JoinAnnexB([][]byte{x264HighPPS}), ErrMissingSPS},
		{"no PPS", JoinAnnexB([][]byte{x264HighSPS, x264SEI}), ErrMissingPPS},
		{"SPS of 3 bytes", JoinAnnexB([][]byte{hexBytes("67 64 00"), x264HighPPS}), ErrTruncated},
	}, func(extradata []byte) error {
		_, err := NewAVCDecoderConfigurationRecord(extradata)
		return err
	})
}

func TestAVCDecoderConfigurationRecordUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"version 0", hexBytes("00 64 00 1f ff e1 00 01 67 01 00 01 68"), ErrConfigurationVersion},
		{"length size 3", hexBytes("01 64 00 1f fe e1 00 01 67 01 00 01 68"), ErrLengthSize},
		{"no SPS", hexBytes("01 64 00 1f ff e0 01 00 01 68"), ErrMissingSPS},
		{"no PPS", hexBytes("01 64 00 1f ff e1 00 01 67 00"), ErrMissingPPS},
		{"empty SPS", hexBytes("01 64 00 1f ff e1 00 00 01 00 01 68"), ErrEmptyNALU},
		{"empty PPS", hexBytes("01 64 00 1f ff e1 00 01 67 01 00 00"), ErrEmptyNALU},
		{"SPS count beyond data", hexBytes("01 64 00 1f ff ff 00 01 67"), ErrTruncated},
		{"SPS extension truncated", hexBytes("01 64 00 1f ff e1 00 01 67 01 00 01 68 fd f8 f8 01 00 05 6d"), ErrTruncated},
	}, AVCDecoderConfigurationRecord{LevelIndication: 42})
}

func TestAVCDecoderConfigurationRecordUnmarshalTruncated(t *testing.T) {
	// Every cut before the High-profile fields fails; cuts inside them leave
	// a record without them, as readers must accept.
	base := len(x264HighRecord) - 4
	for n := 0; n < len(x264HighRecord); n++ {
		var r AVCDecoderConfigurationRecord
		err := r.Unmarshal(x264HighRecord[:n])
		switch {
		case n < base && !errors.Is(err, ErrTruncated):
			t.Errorf("%d bytes: got %v, want %v", n, err, ErrTruncated)
		case n >= base && (err != nil || r.HighProfile != nil):
			t.Errorf("%d bytes: got %v, High-profile fields %+v; want a record without them", n, err, r.HighProfile)
		}
	}
}

func TestAVCDecoderConfigurationRecordMarshalError(t *testing.T) {
	valid := func() AVCDecoderConfigurationRecord {
		return AVCDecoderConfigurationRecord{
			ProfileIndication: 100, LevelIndication: 31, LengthSizeMinusOne: 3,
			SPS: [][]byte{x264HighSPS}, PPS: [][]byte{x264HighPPS},
		}
	}
	runErrorCases(t, []errorCase[func(*AVCDecoderConfigurationRecord)]{
		{"no SPS", func(r *AVCDecoderConfigurationRecord) { r.SPS = nil }, ErrMissingSPS},
		{"no PPS", func(r *AVCDecoderConfigurationRecord) { r.PPS = nil }, ErrMissingPPS},
		{"32 SPS", func(r *AVCDecoderConfigurationRecord) { r.SPS = make([][]byte, 32) }, ErrOutOfRange},
		{"256 PPS", func(r *AVCDecoderConfigurationRecord) { r.PPS = make([][]byte, 256) }, ErrOutOfRange},
		{"length size 3", func(r *AVCDecoderConfigurationRecord) { r.LengthSizeMinusOne = 2 }, ErrLengthSize},
		{"empty PPS", func(r *AVCDecoderConfigurationRecord) { r.PPS = [][]byte{{}} }, ErrEmptyNALU},
		{"SPS over 65535 bytes", func(r *AVCDecoderConfigurationRecord) { r.SPS = [][]byte{make([]byte, 1<<16)} }, ErrOutOfRange},
		{"chroma format 4", func(r *AVCDecoderConfigurationRecord) {
			r.HighProfile = &AVCHighProfileFields{ChromaFormat: 4}
		}, ErrOutOfRange},
		{"bit depth 16", func(r *AVCDecoderConfigurationRecord) {
			r.HighProfile = &AVCHighProfileFields{ChromaFormat: 1, BitDepthLumaMinus8: 8}
		}, ErrOutOfRange},
	}, func(change func(*AVCDecoderConfigurationRecord)) error {
		r := valid()
		change(&r)
		_, err := r.Marshal()
		return err
	})
}

func FuzzAVCDecoderConfigurationRecordUnmarshal(f *testing.F) {
	seedFuzz(f, casesAVCConfig)
	fuzzRoundTrip(f, codecAVCConfig, nil)
}
