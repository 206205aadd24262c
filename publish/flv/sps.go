package flv

import "fmt"

// spsFormat is the part of an H.264 sequence parameter set that the
// High-profile fields of an AVCDecoderConfigurationRecord repeat.
type spsFormat struct {
	chromaFormat         uint8 // chroma_format_idc
	bitDepthLumaMinus8   uint8
	bitDepthChromaMinus8 uint8
}

// parseSPSFormat reads chroma_format_idc and the bit depths from an SPS NAL
// unit, header byte included (ITU-T H.264 7.3.2.1.1). Profiles that do not
// code them imply 4:2:0 at 8 bits (7.4.2.1.1).
func parseSPSFormat(sps []byte) (spsFormat, error) {
	f := spsFormat{chromaFormat: 1}
	if len(sps) < 4 {
		return f, fmt.Errorf("%w: SPS of %d bytes, want at least 4", ErrTruncated, len(sps))
	}
	switch sps[1] { // profile_idc
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135, 144:
	default:
		return f, nil
	}
	// Past profile_idc, the constraint flags and level_idc, up to 4 ue(v)
	// and a flag follow: 4 bytes of RBSP do for sane values, 16 for any.
	r := bitReader{b: unescapeRBSP(sps[4:], 16)}
	if _, err := r.ue(); err != nil { // seq_parameter_set_id
		return f, fmt.Errorf("SPS seq_parameter_set_id: %w", err)
	}
	chroma, err := r.ue()
	if err != nil {
		return f, fmt.Errorf("SPS chroma_format_idc: %w", err)
	}
	if chroma > 3 {
		return f, fmt.Errorf("%w: SPS chroma_format_idc (%d) is above 3", ErrOutOfRange, chroma)
	}
	if chroma == 3 {
		if _, err := r.bits(1); err != nil { // separate_colour_plane_flag
			return f, fmt.Errorf("SPS separate_colour_plane_flag: %w", err)
		}
	}
	luma, err := r.ue()
	if err != nil {
		return f, fmt.Errorf("SPS bit_depth_luma_minus8: %w", err)
	}
	chromaDepth, err := r.ue()
	if err != nil {
		return f, fmt.Errorf("SPS bit_depth_chroma_minus8: %w", err)
	}
	if luma > 7 || chromaDepth > 7 {
		return f, fmt.Errorf("%w: SPS bit depths minus 8 (%d, %d) are above 7", ErrOutOfRange, luma, chromaDepth)
	}
	return spsFormat{uint8(chroma), uint8(luma), uint8(chromaDepth)}, nil
}

// unescapeRBSP removes emulation prevention bytes (the 03 of 00 00 03) from
// the start of a NAL unit payload, returning at most limit bytes.
func unescapeRBSP(b []byte, limit int) []byte {
	out := make([]byte, 0, min(len(b), limit))
	zeros := 0
	for _, c := range b {
		if len(out) == limit {
			break
		}
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}
