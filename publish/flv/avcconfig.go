package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var (
	// ErrMissingSPS is returned by NewAVCDecoderConfigurationRecord when
	// the extradata holds no SPS (NAL unit type 7), by
	// AVCDecoderConfigurationRecord's Marshal and Unmarshal when the record
	// lists none, by NewHEVCDecoderConfigurationRecord when the extradata
	// holds no HEVC SPS (type 33), and by VideoSequenceHeader when an HEVC
	// record lists none.
	ErrMissingSPS = errors.New("no sequence parameter set")

	// ErrMissingPPS is returned by NewAVCDecoderConfigurationRecord when
	// the extradata holds no PPS (NAL unit type 8), by
	// AVCDecoderConfigurationRecord's Marshal and Unmarshal when the record
	// lists none, by NewHEVCDecoderConfigurationRecord when the extradata
	// holds no HEVC PPS (type 34), and by VideoSequenceHeader when an HEVC
	// record lists none.
	ErrMissingPPS = errors.New("no picture parameter set")

	// ErrConfigurationVersion is returned by
	// AVCDecoderConfigurationRecord.Unmarshal and
	// HEVCDecoderConfigurationRecord.Unmarshal when configurationVersion is
	// not 1, the only version defined, and by VideoSequenceHeader when AV1
	// extradata does not begin with the av1C marker and version 1 (0x81).
	ErrConfigurationVersion = errors.New("unknown decoder configuration record version")
)

// AVCDecoderConfigurationRecord is the H.264 decoder configuration of
// ISO/IEC 14496-15 5.3.3.1 (the 'avcC' box body). FLV sends it as the data
// of the AVC sequence header tag (AVCPacketType 0), before any picture.
type AVCDecoderConfigurationRecord struct {
	// ProfileIndication is profile_idc, byte 1 of the first SPS.
	ProfileIndication uint8
	// ProfileCompatibility holds the constraint_set flags, byte 2 of the
	// first SPS.
	ProfileCompatibility uint8
	// LevelIndication is level_idc, byte 3 of the first SPS.
	LevelIndication uint8
	// LengthSizeMinusOne is the size in bytes of the NAL unit length
	// prefixes in the stream's AVCC data, minus one: 0, 1 or 3. This
	// package always writes 3.
	LengthSizeMinusOne uint8
	// SPS lists the sequence parameter set NAL units, header byte included:
	// 1 to 31 of them, each 1 to 65535 bytes.
	SPS [][]byte
	// PPS lists the picture parameter set NAL units: 1 to 255 of them.
	PPS [][]byte
	// HighProfile holds the fields that follow the PPS list for the High
	// profiles; nil when they are absent. See AVCHighProfileFields.
	HighProfile *AVCHighProfileFields
}

// AVCHighProfileFields are the trailing fields of an
// AVCDecoderConfigurationRecord for profile_idc 100, 110, 122 and 144
// (ISO/IEC 14496-15 5.3.3.1.2; FFmpeg also writes them for 244). Many
// writers leave them out, so readers must not rely on them.
type AVCHighProfileFields struct {
	// ChromaFormat is chroma_format_idc, 0 to 3 (1 is 4:2:0).
	ChromaFormat uint8
	// BitDepthLumaMinus8 is bit_depth_luma_minus8, 0 to 7.
	BitDepthLumaMinus8 uint8
	// BitDepthChromaMinus8 is bit_depth_chroma_minus8, 0 to 7.
	BitDepthChromaMinus8 uint8
	// SPSExt lists sequence parameter set extension NAL units (type 13): 0
	// to 255 of them, nil when there are none.
	SPSExt [][]byte
}

// hasHighProfileFields reports whether a record with this profile_idc may
// carry AVCHighProfileFields.
func hasHighProfileFields(profile uint8) bool {
	switch profile {
	case 100, 110, 122, 144, 244:
		return true
	}
	return false
}

// NewAVCDecoderConfigurationRecord builds the decoder configuration from
// H.264 extradata in Annex-B form, as libx264 gives it with the global-header
// flag: it picks every SPS (NAL unit type 7) and PPS (type 8) in order and
// ignores other NAL units. Profile, compatibility and level come from bytes
// 1 to 3 of the first SPS; LengthSizeMinusOne is 3.
//
// For the High profiles it also fills HighProfile from the first SPS, as
// FFmpeg does, unless the SPS cannot be read that far: then HighProfile
// stays nil, which readers accept.
//
// The parameter sets alias extradata. Errors: those of SplitAnnexB,
// ErrMissingSPS, ErrMissingPPS, ErrTruncated (an SPS shorter than 4 bytes).
func NewAVCDecoderConfigurationRecord(extradata []byte) (*AVCDecoderConfigurationRecord, error) {
	nalus, err := SplitAnnexB(extradata)
	if err != nil {
		return nil, fmt.Errorf("H.264 extradata: %w", err)
	}
	r := &AVCDecoderConfigurationRecord{LengthSizeMinusOne: 3}
	for _, nalu := range nalus {
		switch NALUTypeOf(nalu) {
		case NALUTypeSPS:
			r.SPS = append(r.SPS, nalu)
		case NALUTypePPS:
			r.PPS = append(r.PPS, nalu)
		}
	}
	if len(r.SPS) == 0 {
		return nil, fmt.Errorf("%w in H.264 extradata of %d bytes (%d NAL units)", ErrMissingSPS, len(extradata), len(nalus))
	}
	if len(r.PPS) == 0 {
		return nil, fmt.Errorf("%w in H.264 extradata of %d bytes (%d NAL units)", ErrMissingPPS, len(extradata), len(nalus))
	}
	sps := r.SPS[0]
	if len(sps) < 4 {
		return nil, fmt.Errorf("%w: SPS of %d bytes, want at least 4", ErrTruncated, len(sps))
	}
	r.ProfileIndication, r.ProfileCompatibility, r.LevelIndication = sps[1], sps[2], sps[3]
	if hasHighProfileFields(r.ProfileIndication) {
		if f, err := parseSPSFormat(sps); err == nil {
			r.HighProfile = &AVCHighProfileFields{
				ChromaFormat:         f.chromaFormat,
				BitDepthLumaMinus8:   f.bitDepthLumaMinus8,
				BitDepthChromaMinus8: f.bitDepthChromaMinus8,
			}
		}
	}
	return r, nil
}

// Marshal writes the record. Reserved bits are written as ones.
// HighProfile is written when it is not nil, whatever the profile.
// Errors: ErrMissingSPS, ErrMissingPPS, ErrLengthSize, ErrEmptyNALU,
// ErrOutOfRange (too many or too large parameter sets, HighProfile values
// beyond their bits).
func (r *AVCDecoderConfigurationRecord) Marshal() ([]byte, error) {
	if len(r.SPS) == 0 {
		return nil, ErrMissingSPS
	}
	if len(r.PPS) == 0 {
		return nil, ErrMissingPPS
	}
	if len(r.SPS) > 31 {
		return nil, fmt.Errorf("%w: %d SPS, at most 31 fit", ErrOutOfRange, len(r.SPS))
	}
	if len(r.PPS) > 255 {
		return nil, fmt.Errorf("%w: %d PPS, at most 255 fit", ErrOutOfRange, len(r.PPS))
	}
	switch r.LengthSizeMinusOne {
	case 0, 1, 3:
	default:
		return nil, fmt.Errorf("%w: LengthSizeMinusOne is %d, want 0, 1 or 3", ErrLengthSize, r.LengthSizeMinusOne)
	}
	size := 7 + paramSetsSize(r.SPS) + paramSetsSize(r.PPS)
	if h := r.HighProfile; h != nil {
		if h.ChromaFormat > 3 || h.BitDepthLumaMinus8 > 7 || h.BitDepthChromaMinus8 > 7 {
			return nil, fmt.Errorf("%w: chroma format %d, bit depths minus 8 %d and %d (at most 3, 7, 7)",
				ErrOutOfRange, h.ChromaFormat, h.BitDepthLumaMinus8, h.BitDepthChromaMinus8)
		}
		if len(h.SPSExt) > 255 {
			return nil, fmt.Errorf("%w: %d SPS extensions, at most 255 fit", ErrOutOfRange, len(h.SPSExt))
		}
		size += 4 + paramSetsSize(h.SPSExt)
	}

	b := make([]byte, 0, size)
	b = append(b, 1, r.ProfileIndication, r.ProfileCompatibility, r.LevelIndication,
		0xfc|r.LengthSizeMinusOne, 0xe0|uint8(len(r.SPS)))
	b, err := appendParamSets(b, r.SPS, "SPS")
	if err != nil {
		return nil, err
	}
	b = append(b, uint8(len(r.PPS)))
	if b, err = appendParamSets(b, r.PPS, "PPS"); err != nil {
		return nil, err
	}
	if h := r.HighProfile; h != nil {
		b = append(b, 0xfc|h.ChromaFormat, 0xf8|h.BitDepthLumaMinus8, 0xf8|h.BitDepthChromaMinus8,
			uint8(len(h.SPSExt)))
		if b, err = appendParamSets(b, h.SPSExt, "SPS extension"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func paramSetsSize(sets [][]byte) int {
	n := 0
	for _, s := range sets {
		n += 2 + len(s)
	}
	return n
}

func appendParamSets(b []byte, sets [][]byte, what string) ([]byte, error) {
	for i, s := range sets {
		if len(s) == 0 {
			return nil, fmt.Errorf("%w: %s %d", ErrEmptyNALU, what, i)
		}
		if len(s) > 0xffff {
			return nil, fmt.Errorf("%w: %s %d size (%d) is above 65535", ErrOutOfRange, what, i, len(s))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// Unmarshal reads a record. Reserved bits are not checked. HighProfile is
// read for the High profiles (100, 110, 122, 144, 244) when at least its 4
// fixed bytes follow the PPS list, and is nil otherwise; other trailing
// bytes are ignored.
//
// The parameter sets alias b. On error r is left unchanged. Errors:
// ErrTruncated, ErrConfigurationVersion, ErrLengthSize, ErrMissingSPS,
// ErrMissingPPS, ErrEmptyNALU.
func (r *AVCDecoderConfigurationRecord) Unmarshal(b []byte) error {
	if len(b) < 6 {
		return fmt.Errorf("%w: AVCDecoderConfigurationRecord of %d bytes, header needs 6", ErrTruncated, len(b))
	}
	if b[0] != 1 {
		return fmt.Errorf("%w: AVC configurationVersion is %d, want 1", ErrConfigurationVersion, b[0])
	}
	v := AVCDecoderConfigurationRecord{
		ProfileIndication:    b[1],
		ProfileCompatibility: b[2],
		LevelIndication:      b[3],
		LengthSizeMinusOne:   b[4] & 0x03,
	}
	if v.LengthSizeMinusOne == 2 {
		return fmt.Errorf("%w: LengthSizeMinusOne is 2, want 0, 1 or 3", ErrLengthSize)
	}
	n := int(b[5] & 0x1f)
	if n == 0 {
		return fmt.Errorf("%w: SPS count is 0", ErrMissingSPS)
	}
	pos := 6
	var err error
	if v.SPS, pos, err = readParamSets(b, pos, n, "SPS"); err != nil {
		return err
	}
	if pos == len(b) {
		return fmt.Errorf("%w: PPS count at byte %d of %d", ErrTruncated, pos, len(b))
	}
	n = int(b[pos])
	pos++
	if n == 0 {
		return fmt.Errorf("%w: PPS count is 0", ErrMissingPPS)
	}
	if v.PPS, pos, err = readParamSets(b, pos, n, "PPS"); err != nil {
		return err
	}
	if hasHighProfileFields(v.ProfileIndication) && len(b)-pos >= 4 {
		h := &AVCHighProfileFields{
			ChromaFormat:         b[pos] & 0x03,
			BitDepthLumaMinus8:   b[pos+1] & 0x07,
			BitDepthChromaMinus8: b[pos+2] & 0x07,
		}
		n = int(b[pos+3])
		pos += 4
		if n > 0 {
			if h.SPSExt, _, err = readParamSets(b, pos, n, "SPS extension"); err != nil {
				return err
			}
		}
		v.HighProfile = h
	}
	*r = v
	return nil
}

// readParamSets reads n parameter sets, each after a 16-bit length, from
// b[pos:]; it returns them and the position after them.
func readParamSets(b []byte, pos, n int, what string) ([][]byte, int, error) {
	// Each set takes at least 3 bytes: do not let a count allocate more.
	sets := make([][]byte, 0, min(n, (len(b)-pos)/3))
	for i := 0; i < n; i++ {
		if len(b)-pos < 2 {
			return nil, 0, fmt.Errorf("%w: %s %d of %d: length needs 2 bytes, %d remain",
				ErrTruncated, what, i, n, len(b)-pos)
		}
		size := int(binary.BigEndian.Uint16(b[pos:]))
		pos += 2
		if size == 0 {
			return nil, 0, fmt.Errorf("%w: %s %d of %d has length 0", ErrEmptyNALU, what, i, n)
		}
		if size > len(b)-pos {
			return nil, 0, fmt.Errorf("%w: %s %d of %d size (%d) exceeds remaining %d bytes",
				ErrTruncated, what, i, n, size, len(b)-pos)
		}
		sets = append(sets, b[pos:pos+size:pos+size])
		pos += size
	}
	return sets, pos, nil
}

// AnnexB returns the parameter sets as Annex-B extradata: the SPS, the SPS
// extensions, then the PPS, each after a 4-byte start code. It is what
// NewAVCDecoderConfigurationRecord reads, and what a decoder fed Annex-B
// packets wants as extradata.
func (r *AVCDecoderConfigurationRecord) AnnexB() []byte {
	nalus := make([][]byte, 0, len(r.SPS)+len(r.PPS))
	nalus = append(nalus, r.SPS...)
	if r.HighProfile != nil {
		nalus = append(nalus, r.HighProfile.SPSExt...)
	}
	nalus = append(nalus, r.PPS...)
	return JoinAnnexB(nalus)
}
