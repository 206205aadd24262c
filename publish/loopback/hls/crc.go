package hls

// crc32MPEG is the CRC-32 of MPEG-2 PSI sections (ISO/IEC 13818-1 Annex A):
// polynomial 0x04C11DB7, initial value 0xFFFFFFFF, bits most significant
// first, no final XOR. Run over a whole section including its CRC_32 field
// it gives 0.
//
// It works bit by bit: it only runs over the PAT and PMT, once per muxer.
func crc32MPEG(b []byte) uint32 {
	crc := uint32(0xffffffff)
	for _, c := range b {
		crc ^= uint32(c) << 24
		for i := 0; i < 8; i++ {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
