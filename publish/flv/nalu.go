package flv

// NALUType is the nal_unit_type of an H.264 NAL unit: the low 5 bits of its
// first byte (ITU-T H.264 Table 7-1). Only the types this package acts on
// are named.
type NALUType uint8

const (
	// NALUTypeNonIDR is a slice of a picture that is not an IDR picture.
	NALUTypeNonIDR NALUType = 1
	// NALUTypeIDR is a slice of an IDR picture: a decoder can start there.
	NALUTypeIDR NALUType = 5
	// NALUTypeSEI is supplemental enhancement information. x264 writes its
	// version and options in one with the first picture.
	NALUTypeSEI NALUType = 6
	// NALUTypeSPS is a sequence parameter set.
	NALUTypeSPS NALUType = 7
	// NALUTypePPS is a picture parameter set.
	NALUTypePPS NALUType = 8
	// NALUTypeAUD is an access unit delimiter.
	NALUTypeAUD NALUType = 9
)

// NALUTypeOf returns the type of a NAL unit from its header byte; 0
// (unspecified) for an empty one.
func NALUTypeOf(nalu []byte) NALUType {
	if len(nalu) == 0 {
		return 0
	}
	return NALUType(nalu[0] & 0x1f)
}
