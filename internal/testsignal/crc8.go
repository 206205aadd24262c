package testsignal

// CRC8 is the CRC-8 that guards the stripe's timestamp: polynomial 0x07,
// initial value 0, no reflection, no final xor (CRC-8/SMBUS).
func CRC8(b []byte) byte {
	var crc byte
	for _, v := range b {
		crc ^= v
		for i := 0; i < 8; i++ {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ 0x07
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
