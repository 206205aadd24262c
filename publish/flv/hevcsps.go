package flv

import "fmt"

// hevcSPS is the part of an H.265 sequence parameter set that an
// HEVCDecoderConfigurationRecord repeats, and the picture size.
type hevcSPS struct {
	maxSubLayersMinus1 uint8 // sps_max_sub_layers_minus1, 0 to 6
	temporalIDNesting  bool  // sps_temporal_id_nesting_flag

	// general_* of profile_tier_level.
	profileSpace       uint8  // 2 bits
	tier               bool   // 1 bit
	profileIDC         uint8  // 5 bits
	compatibilityFlags uint32 // 32 bits
	constraintFlags    uint64 // 48 bits, progressive_source_flag first
	levelIDC           uint8

	chromaFormat         uint8 // chroma_format_idc, 0 to 3
	bitDepthLumaMinus8   uint8 // 0 to 7 (H.265 allows 8; the record has 3 bits)
	bitDepthChromaMinus8 uint8
	width, height        int // in luma samples, conformance window applied
}

// parseHEVCSPS reads an H.265 SPS NAL unit, its 2-byte header included
// (ITU-T H.265 7.3.2.2.1 and 7.3.3), up to the bit depths. Errors:
// ErrTruncated, ErrOutOfRange (not NAL unit type 33, values beyond their
// ranges).
func parseHEVCSPS(nalu []byte) (hevcSPS, error) {
	var s hevcSPS
	if len(nalu) < 3 {
		return s, fmt.Errorf("%w: HEVC SPS of %d bytes", ErrTruncated, len(nalu))
	}
	if typ := HEVCNALUTypeOf(nalu); typ != HEVCNALUTypeSPS {
		return s, fmt.Errorf("%w: NAL unit type %d, want %d (SPS)", ErrOutOfRange, typ, HEVCNALUTypeSPS)
	}
	// profile_tier_level takes at most 12 + 2 + 7*12 bytes, then a few
	// Exp-Golomb codes follow: 256 bytes of RBSP do for any sane SPS.
	r := bitReader{b: unescapeRBSP(nalu[2:], 256)}
	var err error
	u := func(n int) uint32 {
		if err != nil {
			return 0
		}
		var v uint32
		v, err = r.bits(n)
		return v
	}
	ue := func() uint32 {
		if err != nil {
			return 0
		}
		var v uint32
		v, err = r.ue()
		return v
	}

	u(4) // sps_video_parameter_set_id
	s.maxSubLayersMinus1 = uint8(u(3))
	s.temporalIDNesting = u(1) == 1
	if err == nil && s.maxSubLayersMinus1 > 6 {
		return s, fmt.Errorf("%w: HEVC SPS sps_max_sub_layers_minus1 (%d) is above 6", ErrOutOfRange, s.maxSubLayersMinus1)
	}

	// profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3.
	s.profileSpace = uint8(u(2))
	s.tier = u(1) == 1
	s.profileIDC = uint8(u(5))
	s.compatibilityFlags = u(32)
	s.constraintFlags = uint64(u(16))<<32 | uint64(u(32))
	s.levelIDC = uint8(u(8))
	n := int(s.maxSubLayersMinus1)
	var profilePresent, levelPresent [8]bool
	for i := 0; i < n; i++ {
		profilePresent[i] = u(1) == 1
		levelPresent[i] = u(1) == 1
	}
	if n > 0 {
		for i := n; i < 8; i++ {
			u(2) // reserved_zero_2bits
		}
	}
	for i := 0; i < n; i++ {
		if profilePresent[i] {
			u(32) // sub_layer profile space, tier, profile, 24 compatibility flags
			u(32) // 8 compatibility flags, 24 constraint flags
			u(24) // 24 constraint flags
		}
		if levelPresent[i] {
			u(8) // sub_layer_level_idc
		}
	}

	ue() // sps_seq_parameter_set_id
	chroma := ue()
	if err == nil && chroma > 3 {
		return s, fmt.Errorf("%w: HEVC SPS chroma_format_idc (%d) is above 3", ErrOutOfRange, chroma)
	}
	separate := false
	if chroma == 3 {
		separate = u(1) == 1 // separate_colour_plane_flag
	}
	width, height := ue(), ue()
	var left, right, top, bottom uint32
	if u(1) == 1 { // conformance_window_flag
		left, right, top, bottom = ue(), ue(), ue(), ue()
	}
	luma, chromaDepth := ue(), ue()
	if err != nil {
		return s, fmt.Errorf("HEVC SPS: %w", err)
	}
	if luma > 7 || chromaDepth > 7 {
		return s, fmt.Errorf("%w: HEVC SPS bit depths minus 8 (%d, %d) are above 7", ErrOutOfRange, luma, chromaDepth)
	}
	s.chromaFormat, s.bitDepthLumaMinus8, s.bitDepthChromaMinus8 = uint8(chroma), uint8(luma), uint8(chromaDepth)

	// Conformance window offsets count chroma samples (7.4.3.2.1).
	subWidth, subHeight := uint64(1), uint64(1)
	if !separate && (chroma == 1 || chroma == 2) {
		subWidth = 2
	}
	if !separate && chroma == 1 {
		subHeight = 2
	}
	const maxSize = 1 << 16
	cropW := subWidth * (uint64(left) + uint64(right))
	cropH := subHeight * (uint64(top) + uint64(bottom))
	if width == 0 || height == 0 || width > maxSize || height > maxSize || cropW >= uint64(width) || cropH >= uint64(height) {
		return s, fmt.Errorf("%w: HEVC SPS picture %dx%d, conformance window %d+%d, %d+%d",
			ErrOutOfRange, width, height, left, right, top, bottom)
	}
	s.width, s.height = int(uint64(width)-cropW), int(uint64(height)-cropH)
	return s, nil
}

// HEVCSPSSize reads the displayed picture size (the conformance window
// applied) from an H.265 SPS NAL unit, its 2-byte header included (ITU-T
// H.265 7.3.2.2.1 and 7.4.3.2.1).
func HEVCSPSSize(sps []byte) (width, height int, ok bool) {
	s, err := parseHEVCSPS(sps)
	return s.width, s.height, err == nil
}
