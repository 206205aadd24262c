package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Real parameter sets from FFmpeg 5.1 + libx265 (3.5), and the
// HEVCDecoderConfigurationRecord FFmpeg's MP4 muxer wrote for them
// (ffmpeg -f lavfi -i testsrc2=... -c:v libx265 -f hevc, then
// ffmpeg -i x.hevc -c copy -tag:v hvc1 x.mp4).
var (
	// Main, level 3.1, 1280x720, 4:2:0 8-bit.
	x265MainVPS    = hexBytes("40 01 0c 01 ff ff 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d 95 98 09")
	x265MainSPS    = hexBytes("42 01 01 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d a0 02 80 80 2d 16 59 59 a4 93 2b c0 5a 02 00 00 03 00 02 00 00 03 00 3c 10")
	x265MainPPS    = hexBytes("44 01 c1 72 b4 62 40")
	x265MainRecord = hexBytes(`01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 03
		a0 00 01 00 18 40 01 0c 01 ff ff 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d 95 98 09
		a1 00 01 00 2b 42 01 01 01 60 00 00 03 00 90 00 00 03 00 00 03 00 5d a0 02 80 80 2d 16
		59 59 a4 93 2b c0 5a 02 00 00 03 00 02 00 00 03 00 3c 10
		a2 00 01 00 07 44 01 c1 72 b4 62 40`)

	// Format range extensions (4:2:2 8-bit), level 2, 322x242 (coded
	// 328x248, a conformance window), two temporal layers
	// (-x265-params temporal-layers=1).
	x265RextVPS    = hexBytes("40 01 0c 02 ff ff 04 08 00 00 03 00 9d 08 00 00 03 00 00 3c 00 00 95 98 ac c0 48")
	x265RextSPS    = hexBytes("42 01 02 04 08 00 00 03 00 9d 08 00 00 03 00 00 3c 00 00 b0 0a 48 0f 9c 93 e5 95 98 ac d2 49 95 e0 2d 01 00 00 03 00 01 00 00 03 00 1e 08")
	x265RextPPS    = hexBytes("44 01 c1 72 b4 62 40")
	x265RextRecord = hexBytes(`01 04 08 00 00 00 9d 08 00 00 00 00 3c f0 00 fc fe f8 f8 00 00 13 03
		a0 00 01 00 1b 40 01 0c 02 ff ff 04 08 00 00 03 00 9d 08 00 00 03 00 00 3c 00 00 95 98 ac c0 48
		a1 00 01 00 2e 42 01 02 04 08 00 00 03 00 9d 08 00 00 03 00 00 3c 00 00 b0 0a 48 0f 9c 93
		e5 95 98 ac d2 49 95 e0 2d 01 00 00 03 00 01 00 00 03 00 1e 08
		a2 00 01 00 07 44 01 c1 72 b4 62 40`)

	// Start of x265's IDR slice (type 19) and of an inter slice (type 1).
	x265IDR   = hexBytes("26 01 af 09 40 7c 1f 2d")
	x265Inter = hexBytes("02 01 d0 09 7e 10")
	x265AUD   = hexBytes("46 01 10")
	x265SEI   = hexBytes("4e 01 05 1a 47 56 4a dc")
)

// casesHVCCX265 are the records FFmpeg wrote for x265 streams:
// NewHEVCDecoderConfigurationRecord makes each from the Annex-B extradata of
// its parameter sets.
var casesHVCCX265 = []codecCase[HEVCDecoderConfigurationRecord]{
	{
		"x265 Main 1280x720",
		x265MainRecord,
		HEVCDecoderConfigurationRecord{
			GeneralProfileIDC: 1, GeneralProfileCompatibilityFlags: 0x60000000,
			GeneralConstraintIndicatorFlags: 0x900000000000, GeneralLevelIDC: 93,
			ChromaFormat: 1, NumTemporalLayers: 1, TemporalIDNested: true, LengthSizeMinusOne: 3,
			Arrays: []HEVCNALUArray{
				{Complete: true, Type: HEVCNALUTypeVPS, NALUs: [][]byte{x265MainVPS}},
				{Complete: true, Type: HEVCNALUTypeSPS, NALUs: [][]byte{x265MainSPS}},
				{Complete: true, Type: HEVCNALUTypePPS, NALUs: [][]byte{x265MainPPS}},
			},
		},
	},
	{
		"x265 Rext 4:2:2 322x242, two temporal layers",
		x265RextRecord,
		HEVCDecoderConfigurationRecord{
			GeneralProfileIDC: 4, GeneralProfileCompatibilityFlags: 0x08000000,
			GeneralConstraintIndicatorFlags: 0x9d0800000000, GeneralLevelIDC: 60,
			ChromaFormat: 2, NumTemporalLayers: 2, LengthSizeMinusOne: 3,
			Arrays: []HEVCNALUArray{
				{Complete: true, Type: HEVCNALUTypeVPS, NALUs: [][]byte{x265RextVPS}},
				{Complete: true, Type: HEVCNALUTypeSPS, NALUs: [][]byte{x265RextSPS}},
				{Complete: true, Type: HEVCNALUTypePPS, NALUs: [][]byte{x265RextPPS}},
			},
		},
	},
}

var casesHVCC = append(append([]codecCase[HEVCDecoderConfigurationRecord]{}, casesHVCCX265...), []codecCase[HEVCDecoderConfigurationRecord]{
	{
		"every field set, 2-byte lengths, an empty array, incomplete SEI",
		hexBytes(`01 62 20 00 00 00 80 00 00 00 00 01 63 fa bc ff fc fa fa 1e 00 5d 02
			20 00 00
			27 00 02 00 02 4e 01 00 03 4e 01 05`),
		HEVCDecoderConfigurationRecord{
			GeneralProfileSpace: 1, GeneralTierFlag: true, GeneralProfileIDC: 2,
			GeneralProfileCompatibilityFlags: 0x20000000, GeneralConstraintIndicatorFlags: 0x800000000001,
			GeneralLevelIDC: 99, MinSpatialSegmentationIDC: 0xabc, ParallelismType: 3, ChromaFormat: 0,
			BitDepthLumaMinus8: 2, BitDepthChromaMinus8: 2, AvgFrameRate: 0x1e00, ConstantFrameRate: 1,
			NumTemporalLayers: 3, TemporalIDNested: true, LengthSizeMinusOne: 1,
			Arrays: []HEVCNALUArray{
				{Type: HEVCNALUTypeVPS, NALUs: [][]byte{}},
				{Type: HEVCNALUTypePrefixSEI, NALUs: [][]byte{hexBytes("4e 01"), hexBytes("4e 01 05")}},
			},
		},
	},
	{
		"no arrays",
		hexBytes("01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 00"),
		HEVCDecoderConfigurationRecord{
			GeneralProfileIDC: 1, GeneralProfileCompatibilityFlags: 0x60000000,
			GeneralConstraintIndicatorFlags: 0x900000000000, GeneralLevelIDC: 93,
			ChromaFormat: 1, NumTemporalLayers: 1, TemporalIDNested: true, LengthSizeMinusOne: 3,
			Arrays: []HEVCNALUArray{},
		},
	},
}...)

var codecHVCC = methodCodec[HEVCDecoderConfigurationRecord]()

func TestHEVCDecoderConfigurationRecordUnmarshal(t *testing.T) {
	runUnmarshalCases(t, casesHVCC, codecHVCC.unmarshal)
}

func TestHEVCDecoderConfigurationRecordMarshal(t *testing.T) {
	runMarshalCases(t, casesHVCC, codecHVCC.marshal)
}

func TestNewHEVCDecoderConfigurationRecord(t *testing.T) {
	for _, ca := range casesHVCCX265 {
		t.Run(ca.name, func(t *testing.T) {
			annexB := ca.dec.AnnexB()
			r, err := NewHEVCDecoderConfigurationRecord(annexB)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*r, ca.dec) {
				t.Fatalf("got %+v, want %+v", *r, ca.dec)
			}
			// Byte for byte what FFmpeg writes.
			enc, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, ca.enc) {
				t.Fatalf("got % x, want % x", enc, ca.enc)
			}
			if got := r.AnnexB(); !bytes.Equal(got, annexB) {
				t.Fatalf("AnnexB: got % x, want % x", got, annexB)
			}
		})
	}
}

func TestNewHEVCDecoderConfigurationRecordSkipsOtherNALUs(t *testing.T) {
	annexB := append(hexBytes("00 00 01"), JoinAnnexB([][]byte{x265AUD, x265MainVPS, x265MainSPS, x265SEI, x265MainPPS, x265IDR})...)
	r, err := NewHEVCDecoderConfigurationRecord(annexB)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*r, casesHVCC[0].dec) {
		t.Fatalf("got %+v, want %+v", *r, casesHVCC[0].dec)
	}
}

func TestNewHEVCDecoderConfigurationRecordError(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"empty", nil, ErrNoNALUs},
		{"a record, not Annex-B", x265MainRecord, ErrNoStartCode},
		{"no VPS", JoinAnnexB([][]byte{x265MainSPS, x265MainPPS}), ErrMissingVPS},
		{"no SPS", JoinAnnexB([][]byte{x265MainVPS, x265MainPPS}), ErrMissingSPS},
		{"no PPS", JoinAnnexB([][]byte{x265MainVPS, x265MainSPS}), ErrMissingPPS},
		{"SPS cut in profile_tier_level", JoinAnnexB([][]byte{x265MainVPS, x265MainSPS[:8], x265MainPPS}), ErrTruncated},
		{"SPS cut before the bit depths", JoinAnnexB([][]byte{x265MainVPS, x265MainSPS[:22], x265MainPPS}), ErrTruncated},
		{"SPS with 8 sub-layers", JoinAnnexB([][]byte{x265MainVPS, hexBytes("42 01 0f 01 60 00 00 03 00 90"), x265MainPPS}), ErrOutOfRange},
	}, func(annexB []byte) error {
		_, err := NewHEVCDecoderConfigurationRecord(annexB)
		return err
	})
}

func TestHEVCDecoderConfigurationRecordUnmarshalError(t *testing.T) {
	runUnmarshalErrorCases(t, []errorCase[[]byte]{
		{"version 0", append([]byte{0}, x265MainRecord[1:]...), ErrConfigurationVersion},
		{"length size 3", append(append(append([]byte{}, x265MainRecord[:21]...), 0x0e), x265MainRecord[22:]...), ErrLengthSize},
		{"empty NAL unit", hexBytes("01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 01 a0 00 01 00 00"), ErrEmptyNALU},
		{"array count beyond data", hexBytes("01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 02 a0 00 00"), ErrTruncated},
		{"NAL unit count beyond data", hexBytes("01 01 60 00 00 00 90 00 00 00 00 00 5d f0 00 fc fd f8 f8 00 00 0f 01 a0 ff ff 00 01 40"), ErrTruncated},
	}, HEVCDecoderConfigurationRecord{GeneralLevelIDC: 42})
}

func TestHEVCDecoderConfigurationRecordUnmarshalTruncated(t *testing.T) {
	for _, ca := range casesHVCC {
		for n := 0; n < len(ca.enc); n++ {
			var r HEVCDecoderConfigurationRecord
			if err := r.Unmarshal(ca.enc[:n]); !errors.Is(err, ErrTruncated) {
				t.Errorf("%s, %d of %d bytes: got %v, want %v", ca.name, n, len(ca.enc), err, ErrTruncated)
			}
		}
	}
}

func TestHEVCDecoderConfigurationRecordMarshalError(t *testing.T) {
	runErrorCases(t, []errorCase[func(*HEVCDecoderConfigurationRecord)]{
		{"length size 3", func(r *HEVCDecoderConfigurationRecord) { r.LengthSizeMinusOne = 2 }, ErrLengthSize},
		{"profile space 4", func(r *HEVCDecoderConfigurationRecord) { r.GeneralProfileSpace = 4 }, ErrOutOfRange},
		{"profile 32", func(r *HEVCDecoderConfigurationRecord) { r.GeneralProfileIDC = 32 }, ErrOutOfRange},
		{"constraint flags beyond 48 bits", func(r *HEVCDecoderConfigurationRecord) { r.GeneralConstraintIndicatorFlags = 1 << 48 }, ErrOutOfRange},
		{"min_spatial_segmentation_idc 4096", func(r *HEVCDecoderConfigurationRecord) { r.MinSpatialSegmentationIDC = 4096 }, ErrOutOfRange},
		{"parallelism type 4", func(r *HEVCDecoderConfigurationRecord) { r.ParallelismType = 4 }, ErrOutOfRange},
		{"chroma format 4", func(r *HEVCDecoderConfigurationRecord) { r.ChromaFormat = 4 }, ErrOutOfRange},
		{"bit depth 16", func(r *HEVCDecoderConfigurationRecord) { r.BitDepthLumaMinus8 = 8 }, ErrOutOfRange},
		{"chroma bit depth 16", func(r *HEVCDecoderConfigurationRecord) { r.BitDepthChromaMinus8 = 8 }, ErrOutOfRange},
		{"constant frame rate 4", func(r *HEVCDecoderConfigurationRecord) { r.ConstantFrameRate = 4 }, ErrOutOfRange},
		{"8 temporal layers", func(r *HEVCDecoderConfigurationRecord) { r.NumTemporalLayers = 8 }, ErrOutOfRange},
		{"256 arrays", func(r *HEVCDecoderConfigurationRecord) { r.Arrays = make([]HEVCNALUArray, 256) }, ErrOutOfRange},
		{"NAL unit type 64", func(r *HEVCDecoderConfigurationRecord) { r.Arrays[0].Type = 64 }, ErrOutOfRange},
		{"65536 NAL units", func(r *HEVCDecoderConfigurationRecord) { r.Arrays[0].NALUs = make([][]byte, 1<<16) }, ErrOutOfRange},
		{"empty NAL unit", func(r *HEVCDecoderConfigurationRecord) { r.Arrays[2].NALUs = [][]byte{{}} }, ErrEmptyNALU},
		{"NAL unit over 65535 bytes", func(r *HEVCDecoderConfigurationRecord) { r.Arrays[1].NALUs = [][]byte{make([]byte, 1<<16)} }, ErrOutOfRange},
	}, func(change func(*HEVCDecoderConfigurationRecord)) error {
		var r HEVCDecoderConfigurationRecord
		if err := r.Unmarshal(x265MainRecord); err != nil {
			t.Fatal(err)
		}
		change(&r)
		_, err := r.Marshal()
		return err
	})
}

func TestHEVCSPSSize(t *testing.T) {
	for _, ca := range []struct {
		name string
		sps  []byte
		w, h int
	}{
		{"x265 Main 1280x720", x265MainSPS, 1280, 720},
		{"x265 Rext 4:2:2 322x242, conformance window", x265RextSPS, 322, 242},
	} {
		w, h, ok := HEVCSPSSize(ca.sps)
		if !ok || w != ca.w || h != ca.h {
			t.Errorf("%s: got %dx%d, %v; want %dx%d", ca.name, w, h, ok, ca.w, ca.h)
		}
		// The size and bit depths end by byte 24; later cuts may read.
		for n := 0; n < len(ca.sps); n++ {
			if _, _, ok := HEVCSPSSize(ca.sps[:n]); ok && n < 20 {
				t.Errorf("%s: cut to %d bytes, still ok", ca.name, n)
			}
		}
	}
	if _, _, ok := HEVCSPSSize(x265MainVPS); ok {
		t.Error("a VPS read as an SPS")
	}
}

func TestHEVCNALUType(t *testing.T) {
	for _, ca := range []struct {
		nalu []byte
		typ  HEVCNALUType
		irap bool
	}{
		{x265MainVPS, HEVCNALUTypeVPS, false},
		{x265MainSPS, HEVCNALUTypeSPS, false},
		{x265MainPPS, HEVCNALUTypePPS, false},
		{x265AUD, HEVCNALUTypeAUD, false},
		{x265SEI, HEVCNALUTypePrefixSEI, false},
		{x265IDR, HEVCNALUTypeIDRWRADL, true},
		{hexBytes("2a 01"), HEVCNALUTypeCRA, true},
		{hexBytes("20 01"), HEVCNALUTypeBLAWLP, true},
		{hexBytes("30 01"), 24, false},
		{x265Inter, 1, false},
		{nil, 0, false},
	} {
		if typ := HEVCNALUTypeOf(ca.nalu); typ != ca.typ || typ.IsIRAP() != ca.irap {
			t.Errorf("% x: type %d (IRAP %v), want %d (%v)", ca.nalu, typ, typ.IsIRAP(), ca.typ, ca.irap)
		}
	}
}

func FuzzHEVCDecoderConfigurationRecordUnmarshal(f *testing.F) {
	seedFuzz(f, casesHVCC)
	fuzzRoundTrip(f, codecHVCC, nil)
}

// FuzzNewHEVCDecoderConfigurationRecord: what it builds marshals, reads
// back the same, and is built again from its AnnexB; its SPS gives a size.
func FuzzNewHEVCDecoderConfigurationRecord(f *testing.F) {
	for _, ca := range casesHVCCX265 {
		f.Add(ca.dec.AnnexB())
	}
	f.Add(JoinAnnexB([][]byte{x265AUD, x265MainVPS, x265MainSPS, x265SEI, x265MainPPS, x265IDR}))
	f.Fuzz(func(t *testing.T, annexB []byte) {
		r, err := NewHEVCDecoderConfigurationRecord(annexB)
		if err != nil {
			return
		}
		enc := codecHVCC.roundTrip(t, *r)
		again, err := NewHEVCDecoderConfigurationRecord(r.AnnexB())
		if err != nil {
			t.Fatalf("from AnnexB % x: %v", r.AnnexB(), err)
		}
		if enc2, err := again.Marshal(); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("rebuilt from AnnexB: % x, %v; want % x", enc2, err, enc)
		}
		if w, h, ok := HEVCSPSSize(r.NALUs(HEVCNALUTypeSPS)[0]); !ok || w <= 0 || h <= 0 {
			t.Fatalf("SPS size %dx%d, %v", w, h, ok)
		}
	})
}
