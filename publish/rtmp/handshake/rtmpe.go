package handshake

import (
	"crypto/rc4"
	"encoding/binary"
)

// RTMPE (the encrypted handshake, C0 = 6 or 8) is the digest form with a
// Diffie-Hellman public key in C1 and S1; the shared secret gives two RC4
// keys, one per direction, which encrypt everything after the handshake.
//
// Where the key sits pairs with the digest's scheme, each in its own half
// of the packet: with scheme 0 (digest in bytes 12–739) the key is at
// (sum of bytes 1532–1535) % 632 + 772; with scheme 1 (digest in
// 776–1503) at (sum of bytes 768–771) % 632 + 8. Clients use scheme 1
// (FFmpeg, librtmp); a server answers in the client's.
//
// Type 8 also passes the 32-byte signatures of S2 and C2 through XTEA
// (xteaSign); type 9 (Blowfish) is not implemented.

// dhPos is where the public key sits in p (Size bytes) under s.
func dhPos(p []byte, s scheme) int {
	if s == scheme0 {
		return offsetAt(p, 1532, 632, 772)
	}
	return offsetAt(p, 768, 632, 8)
}

// rc4Pair makes the two RC4 ciphers from the shared secret and both public
// keys: the stream a side sends is keyed with HMAC-SHA256(secret, the
// receiver's public key), its first 16 bytes; the first Size bytes of
// each keystream are thrown away, as the peers do.
func rc4Pair(secret, ownPub, peerPub []byte) (in, out cipherStream) {
	mk := func(pub []byte) *rc4.Cipher {
		c, _ := rc4.NewCipher(mac(secret, pub[:dhKeySize])[:16]) // 16 bytes: never an error
		discard := make([]byte, Size)
		c.XORKeyStream(discard, discard)
		return c
	}
	return mk(ownPub), mk(peerPub)
}

// xteaSign is type 8's transform of a signature (32 bytes, in place): each
// 8-byte block is enciphered with XTEA (32 rounds, little-endian words)
// under one of sixteen fixed keys, chosen by key[i] % 15 for the block at
// i, where key is the HMAC key the signature was made with. (librtmp's
// rtmpe8_sig; the modulo 15 leaves the last key unused, as there.)
func xteaSign(sig, key []byte) {
	for i := 0; i < 32; i += 8 {
		v0, v1 := xtea(binary.LittleEndian.Uint32(sig[i:]), binary.LittleEndian.Uint32(sig[i+4:]), xteaKey(key[i]%15))
		binary.LittleEndian.PutUint32(sig[i:], v0)
		binary.LittleEndian.PutUint32(sig[i+4:], v1)
	}
}

// xtea enciphers the block v0, v1 under k, 32 cycles.
func xtea(v0, v1 uint32, k [4]uint32) (uint32, uint32) {
	const delta = 0x9E3779B9
	var sum uint32
	for r := 0; r < 32; r++ {
		v0 += (((v1 << 4) ^ (v1 >> 5)) + v1) ^ (sum + k[sum&3])
		sum += delta
		v1 += (((v0 << 4) ^ (v0 >> 5)) + v0) ^ (sum + k[(sum>>11)&3])
	}
	return v0, v1
}

// xteaKey is type 8's key n of sixteen, as Flash Player 10 and librtmp
// have them.
func xteaKey(n byte) [4]uint32 {
	return [16][4]uint32{
		{0xbff034b2, 0x11d9081f, 0xccdfb795, 0x748de732},
		{0x086a5eb6, 0x1743090e, 0x6ef05ab8, 0xfe5a39e2},
		{0x7b10956f, 0x76ce0521, 0x2388a73a, 0x440149a1},
		{0xa943f317, 0xebf11bb2, 0xa691a5ee, 0x17f36339},
		{0x7a30e00a, 0xb529e22c, 0xa087aea5, 0xc0cb79ac},
		{0xbdce0c23, 0x2febdeff, 0x1cfaae16, 0x1123239d},
		{0x55dd3f7b, 0x77e7e62e, 0x9bb8c499, 0xc9481ee4},
		{0x407bb6b4, 0x71e89136, 0xa7aebf55, 0xca33b839},
		{0xfcf6bdc3, 0xb63c3697, 0x7ce4f825, 0x04d959b2},
		{0x28e091fd, 0x41954c4c, 0x7fb7db00, 0xe3a066f8},
		{0x57845b76, 0x4f251b03, 0x46d45bcd, 0xa2c30d29},
		{0x0acceef8, 0xda55b546, 0x03473452, 0x5863713b},
		{0xb82075dc, 0xa75f1fee, 0xd84268e8, 0xa72a44cc},
		{0x07cf6e9e, 0xa16d7b25, 0x9fa7ae6c, 0xd92f5629},
		{0xfeb1eae4, 0x8c8c3ce1, 0x4e0064a7, 0x6a387c2a},
		{0x893a9427, 0xcc3013a2, 0xf106385b, 0xa829f927},
	}[n]
}
