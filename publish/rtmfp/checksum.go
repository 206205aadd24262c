package rtmfp

// checksum is the 16-bit Internet checksum (RFC 1071) the Flash profile
// puts in front of a plain packet when no HMAC protects it: the ones'
// complement of the ones' complement sum of b's big-endian 16-bit words.
// An odd last byte is added as the low byte of a word, as the reference
// implementation (rtmfp-cpp) does; RFC 1071 would add it as the high one.
// The odd case only arises with session sequence numbers and no HMAC.
func checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
