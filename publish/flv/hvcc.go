package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMissingVPS is returned by NewHEVCDecoderConfigurationRecord when the
// extradata holds no VPS (NAL unit type 32), and by VideoSequenceHeader
// when an HEVC record lists none.
var ErrMissingVPS = errors.New("no video parameter set")

// HEVCDecoderConfigurationRecord is the H.265 decoder configuration of
// ISO/IEC 14496-15 8.3.3.1 (the 'hvcC' box body). Enhanced RTMP sends it
// as the data of the hvc1 SequenceStart tag, before any picture.
type HEVCDecoderConfigurationRecord struct {
	// The general_* fields of the SPS's profile_tier_level.
	GeneralProfileSpace uint8 // 0 to 3
	GeneralTierFlag     bool
	GeneralProfileIDC   uint8 // 0 to 31; 1 is Main, 2 Main 10
	// GeneralProfileCompatibilityFlags has flag j in bit 31-j.
	GeneralProfileCompatibilityFlags uint32
	// GeneralConstraintIndicatorFlags holds the 48 bits from
	// general_progressive_source_flag (bit 47) on.
	GeneralConstraintIndicatorFlags uint64
	// GeneralLevelIDC is 30 times the level: 93 is level 3.1.
	GeneralLevelIDC uint8

	MinSpatialSegmentationIDC uint16 // 0 to 4095
	ParallelismType           uint8  // 0 to 3
	ChromaFormat              uint8  // chroma_format_idc, 0 to 3 (1 is 4:2:0)
	BitDepthLumaMinus8        uint8  // 0 to 7
	BitDepthChromaMinus8      uint8  // 0 to 7
	// AvgFrameRate is in frames per 256 seconds; 0 is unspecified.
	AvgFrameRate      uint16
	ConstantFrameRate uint8 // 0 to 3
	NumTemporalLayers uint8 // 0 to 7
	TemporalIDNested  bool
	// LengthSizeMinusOne is the size in bytes of the NAL unit length
	// prefixes, minus one: 0, 1 or 3. This package always writes 3.
	LengthSizeMinusOne uint8

	// Arrays lists the parameter sets (and SEI) by NAL unit type, at most
	// 255 arrays.
	Arrays []HEVCNALUArray
}

// HEVCNALUArray is one array of an HEVCDecoderConfigurationRecord: NAL
// units of one type.
type HEVCNALUArray struct {
	// Complete says that all NAL units of the type are in the array, none
	// in the stream (array_completeness): true for the hvc1 sample entry.
	Complete bool
	Type     HEVCNALUType // 0 to 63
	// NALUs are the NAL units, header included: at most 65535, each 1 to
	// 65535 bytes.
	NALUs [][]byte
}

// hevcRecordHeaderSize is the size of the record before its arrays.
const hevcRecordHeaderSize = 23

// NewHEVCDecoderConfigurationRecord builds the decoder configuration from
// H.265 extradata in Annex-B form, as libx265 gives it with the
// global-header flag: one complete array each of the VPS (type 32), SPS (33)
// and PPS (34) NAL units, in their order; other NAL units are ignored. The
// profile, tier, level, flags, chroma format, bit depths and temporal
// layers come from the first SPS. LengthSizeMinusOne is 3;
// MinSpatialSegmentationIDC, ParallelismType, AvgFrameRate and
// ConstantFrameRate are 0 (unknown).
//
// The parameter sets alias annexB. Errors: those of SplitAnnexB,
// ErrMissingVPS, ErrMissingSPS, ErrMissingPPS, ErrTruncated and
// ErrOutOfRange (an SPS that cannot be read).
func NewHEVCDecoderConfigurationRecord(annexB []byte) (*HEVCDecoderConfigurationRecord, error) {
	nalus, err := SplitAnnexB(annexB)
	if err != nil {
		return nil, fmt.Errorf("HEVC extradata: %w", err)
	}
	var vps, sps, pps [][]byte
	for _, nalu := range nalus {
		switch HEVCNALUTypeOf(nalu) {
		case HEVCNALUTypeVPS:
			vps = append(vps, nalu)
		case HEVCNALUTypeSPS:
			sps = append(sps, nalu)
		case HEVCNALUTypePPS:
			pps = append(pps, nalu)
		}
	}
	for _, m := range []struct {
		sets [][]byte
		err  error
	}{{vps, ErrMissingVPS}, {sps, ErrMissingSPS}, {pps, ErrMissingPPS}} {
		if len(m.sets) == 0 {
			return nil, fmt.Errorf("%w in HEVC extradata of %d bytes (%d NAL units)", m.err, len(annexB), len(nalus))
		}
	}
	s, err := parseHEVCSPS(sps[0])
	if err != nil {
		return nil, err
	}
	return &HEVCDecoderConfigurationRecord{
		GeneralProfileSpace:              s.profileSpace,
		GeneralTierFlag:                  s.tier,
		GeneralProfileIDC:                s.profileIDC,
		GeneralProfileCompatibilityFlags: s.compatibilityFlags,
		GeneralConstraintIndicatorFlags:  s.constraintFlags,
		GeneralLevelIDC:                  s.levelIDC,
		ChromaFormat:                     s.chromaFormat,
		BitDepthLumaMinus8:               s.bitDepthLumaMinus8,
		BitDepthChromaMinus8:             s.bitDepthChromaMinus8,
		NumTemporalLayers:                s.maxSubLayersMinus1 + 1,
		TemporalIDNested:                 s.temporalIDNesting,
		LengthSizeMinusOne:               3,
		Arrays: []HEVCNALUArray{
			{Complete: true, Type: HEVCNALUTypeVPS, NALUs: vps},
			{Complete: true, Type: HEVCNALUTypeSPS, NALUs: sps},
			{Complete: true, Type: HEVCNALUTypePPS, NALUs: pps},
		},
	}, nil
}

// Marshal writes the record. Reserved bits are written as ones. Errors:
// ErrLengthSize, ErrEmptyNALU, ErrOutOfRange (a field beyond its bits, more
// than 255 arrays or 65535 NAL units in one, a NAL unit over 65535 bytes).
func (r *HEVCDecoderConfigurationRecord) Marshal() ([]byte, error) {
	switch r.LengthSizeMinusOne {
	case 0, 1, 3:
	default:
		return nil, fmt.Errorf("%w: LengthSizeMinusOne is %d, want 0, 1 or 3", ErrLengthSize, r.LengthSizeMinusOne)
	}
	for _, f := range []struct {
		name  string
		value uint64
		bits  int
	}{
		{"general_profile_space", uint64(r.GeneralProfileSpace), 2},
		{"general_profile_idc", uint64(r.GeneralProfileIDC), 5},
		{"general_constraint_indicator_flags", r.GeneralConstraintIndicatorFlags, 48},
		{"min_spatial_segmentation_idc", uint64(r.MinSpatialSegmentationIDC), 12},
		{"parallelismType", uint64(r.ParallelismType), 2},
		{"chromaFormat", uint64(r.ChromaFormat), 2},
		{"bitDepthLumaMinus8", uint64(r.BitDepthLumaMinus8), 3},
		{"bitDepthChromaMinus8", uint64(r.BitDepthChromaMinus8), 3},
		{"constantFrameRate", uint64(r.ConstantFrameRate), 2},
		{"numTemporalLayers", uint64(r.NumTemporalLayers), 3},
	} {
		if f.value >= 1<<f.bits {
			return nil, fmt.Errorf("%w: %s (%d) does not fit %d bits", ErrOutOfRange, f.name, f.value, f.bits)
		}
	}
	if len(r.Arrays) > 255 {
		return nil, fmt.Errorf("%w: %d NAL unit arrays, at most 255 fit", ErrOutOfRange, len(r.Arrays))
	}
	size := hevcRecordHeaderSize
	for i, a := range r.Arrays {
		if a.Type > 63 {
			return nil, fmt.Errorf("%w: array %d NAL unit type %d does not fit 6 bits", ErrOutOfRange, i, a.Type)
		}
		if len(a.NALUs) > 0xffff {
			return nil, fmt.Errorf("%w: array %d holds %d NAL units, at most 65535 fit", ErrOutOfRange, i, len(a.NALUs))
		}
		size += 3 + paramSetsSize(a.NALUs)
	}

	b := make([]byte, 0, size)
	b = append(b, 1, r.GeneralProfileSpace<<6|boolBit(r.GeneralTierFlag)<<5|r.GeneralProfileIDC)
	b = binary.BigEndian.AppendUint32(b, r.GeneralProfileCompatibilityFlags)
	b = binary.BigEndian.AppendUint16(b, uint16(r.GeneralConstraintIndicatorFlags>>32))
	b = binary.BigEndian.AppendUint32(b, uint32(r.GeneralConstraintIndicatorFlags))
	b = append(b, r.GeneralLevelIDC)
	b = binary.BigEndian.AppendUint16(b, 0xf000|r.MinSpatialSegmentationIDC)
	b = append(b, 0xfc|r.ParallelismType, 0xfc|r.ChromaFormat, 0xf8|r.BitDepthLumaMinus8, 0xf8|r.BitDepthChromaMinus8)
	b = binary.BigEndian.AppendUint16(b, r.AvgFrameRate)
	b = append(b, r.ConstantFrameRate<<6|r.NumTemporalLayers<<3|boolBit(r.TemporalIDNested)<<2|r.LengthSizeMinusOne,
		uint8(len(r.Arrays)))
	for i, a := range r.Arrays {
		b = append(b, boolBit(a.Complete)<<7|uint8(a.Type))
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.NALUs)))
		var err error
		if b, err = appendParamSets(b, a.NALUs, fmt.Sprintf("array %d (type %d) NAL unit", i, a.Type)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func boolBit(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// Unmarshal reads a record. Reserved bits are not checked; bytes after the
// last array are ignored. Arrays need not hold a VPS, SPS or PPS: a
// record's reader decides what it needs.
//
// The NAL units alias b. On error r is left unchanged. Errors: ErrTruncated,
// ErrConfigurationVersion, ErrLengthSize, ErrEmptyNALU.
func (r *HEVCDecoderConfigurationRecord) Unmarshal(b []byte) error {
	if len(b) < hevcRecordHeaderSize {
		return fmt.Errorf("%w: HEVCDecoderConfigurationRecord of %d bytes, header needs %d",
			ErrTruncated, len(b), hevcRecordHeaderSize)
	}
	if b[0] != 1 {
		return fmt.Errorf("%w: HEVC configurationVersion is %d, want 1", ErrConfigurationVersion, b[0])
	}
	v := HEVCDecoderConfigurationRecord{
		GeneralProfileSpace:              b[1] >> 6,
		GeneralTierFlag:                  b[1]>>5&1 == 1,
		GeneralProfileIDC:                b[1] & 0x1f,
		GeneralProfileCompatibilityFlags: binary.BigEndian.Uint32(b[2:]),
		GeneralConstraintIndicatorFlags:  uint64(binary.BigEndian.Uint16(b[6:]))<<32 | uint64(binary.BigEndian.Uint32(b[8:])),
		GeneralLevelIDC:                  b[12],
		MinSpatialSegmentationIDC:        binary.BigEndian.Uint16(b[13:]) & 0x0fff,
		ParallelismType:                  b[15] & 0x03,
		ChromaFormat:                     b[16] & 0x03,
		BitDepthLumaMinus8:               b[17] & 0x07,
		BitDepthChromaMinus8:             b[18] & 0x07,
		AvgFrameRate:                     binary.BigEndian.Uint16(b[19:]),
		ConstantFrameRate:                b[21] >> 6,
		NumTemporalLayers:                b[21] >> 3 & 0x07,
		TemporalIDNested:                 b[21]>>2&1 == 1,
		LengthSizeMinusOne:               b[21] & 0x03,
	}
	if v.LengthSizeMinusOne == 2 {
		return fmt.Errorf("%w: LengthSizeMinusOne is 2, want 0, 1 or 3", ErrLengthSize)
	}
	n := int(b[22])
	pos := hevcRecordHeaderSize
	// Each array takes at least 3 bytes: do not let a count allocate more.
	v.Arrays = make([]HEVCNALUArray, 0, min(n, (len(b)-pos)/3))
	for i := 0; i < n; i++ {
		if len(b)-pos < 3 {
			return fmt.Errorf("%w: array %d of %d: header needs 3 bytes, %d remain", ErrTruncated, i, n, len(b)-pos)
		}
		a := HEVCNALUArray{Complete: b[pos]>>7 == 1, Type: HEVCNALUType(b[pos] & 0x3f)}
		count := int(binary.BigEndian.Uint16(b[pos+1:]))
		pos += 3
		var err error
		if a.NALUs, pos, err = readParamSets(b, pos, count, fmt.Sprintf("array %d (type %d) NAL unit", i, a.Type)); err != nil {
			return err
		}
		v.Arrays = append(v.Arrays, a)
	}
	*r = v
	return nil
}

// NALUs returns the NAL units of the given type from all arrays, in order;
// nil when there are none.
func (r *HEVCDecoderConfigurationRecord) NALUs(typ HEVCNALUType) [][]byte {
	var nalus [][]byte
	for _, a := range r.Arrays {
		if a.Type == typ {
			nalus = append(nalus, a.NALUs...)
		}
	}
	return nalus
}

// AnnexB returns the NAL units of all arrays in their order (VPS, SPS and
// PPS for a record NewHEVCDecoderConfigurationRecord made), each after a
// 4-byte start code: what NewHEVCDecoderConfigurationRecord reads, and what
// a decoder fed Annex-B packets wants as extradata.
func (r *HEVCDecoderConfigurationRecord) AnnexB() []byte {
	var nalus [][]byte
	for _, a := range r.Arrays {
		nalus = append(nalus, a.NALUs...)
	}
	return JoinAnnexB(nalus)
}

// checkParamSets checks that the record lists a VPS, an SPS and a PPS.
// Errors: ErrMissingVPS, ErrMissingSPS, ErrMissingPPS.
func (r *HEVCDecoderConfigurationRecord) checkParamSets() error {
	for _, m := range []struct {
		typ HEVCNALUType
		err error
	}{{HEVCNALUTypeVPS, ErrMissingVPS}, {HEVCNALUTypeSPS, ErrMissingSPS}, {HEVCNALUTypePPS, ErrMissingPPS}} {
		if len(r.NALUs(m.typ)) == 0 {
			return fmt.Errorf("%w in HEVCDecoderConfigurationRecord (%d arrays)", m.err, len(r.Arrays))
		}
	}
	return nil
}
