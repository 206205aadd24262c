package flv

// HEVCNALUType is the nal_unit_type of an H.265 NAL unit: bits 1 to 6 of
// its first byte, (b[0]>>1)&0x3f (ITU-T H.265 Table 7-1). Only the types
// this package acts on are named.
type HEVCNALUType uint8

const (
	// HEVCNALUTypeBLAWLP is the first IRAP (intra random access point)
	// type: types 16 to 23 are IRAP pictures, where a decoder can start.
	HEVCNALUTypeBLAWLP HEVCNALUType = 16
	// HEVCNALUTypeIDRWRADL is an IDR picture, what x265 writes for key
	// frames.
	HEVCNALUTypeIDRWRADL HEVCNALUType = 19
	// HEVCNALUTypeCRA is a clean random access picture (x265 with open
	// GOPs).
	HEVCNALUTypeCRA HEVCNALUType = 21
	// HEVCNALUTypeVPS is a video parameter set.
	HEVCNALUTypeVPS HEVCNALUType = 32
	// HEVCNALUTypeSPS is a sequence parameter set.
	HEVCNALUTypeSPS HEVCNALUType = 33
	// HEVCNALUTypePPS is a picture parameter set.
	HEVCNALUTypePPS HEVCNALUType = 34
	// HEVCNALUTypeAUD is an access unit delimiter.
	HEVCNALUTypeAUD HEVCNALUType = 35
	// HEVCNALUTypePrefixSEI is supplemental enhancement information before
	// the picture; x265 writes its version and options in one.
	HEVCNALUTypePrefixSEI HEVCNALUType = 39
)

// HEVCNALUTypeOf returns the type of an H.265 NAL unit from its first
// header byte; 0 for an empty one.
func HEVCNALUTypeOf(nalu []byte) HEVCNALUType {
	if len(nalu) == 0 {
		return 0
	}
	return HEVCNALUType(nalu[0] >> 1 & 0x3f)
}

// IsIRAP reports whether the type is an IRAP picture (16 to 23): BLA, IDR
// or CRA, a picture a decoder can start from.
func (t HEVCNALUType) IsIRAP() bool { return t >= 16 && t <= 23 }
