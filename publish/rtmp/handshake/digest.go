package handshake

import (
	"crypto/hmac"
	"crypto/sha256"
)

// The digest form's positions: a 32-byte digest sits in C1 (and S1) at an
// offset the packet's own bytes give, in one of two schemes. Scheme 0
// sums bytes 8–11 (the digest in bytes 12–739); scheme 1 sums bytes
// 772–775 (the digest in 776–1503). Flash Player 9 used scheme 0, later
// players and RTMPE scheme 1; a server answers in the client's scheme.

type scheme int

const (
	scheme0 scheme = 0
	scheme1 scheme = 1
)

// digestPos is where the digest sits in p (Size bytes) under s.
func digestPos(p []byte, s scheme) int {
	if s == scheme1 {
		return offsetAt(p, 772, 728, 776)
	}
	return offsetAt(p, 8, 728, 12)
}

// offsetAt is where the packet p puts something: the sum of its four
// bytes at off, modulo mod, plus base (the digest's and the RTMPE key's
// positions are both found so).
func offsetAt(p []byte, off, mod, base int) int {
	sum := int(p[off]) + int(p[off+1]) + int(p[off+2]) + int(p[off+3])
	return sum%mod + base
}

// mac is HMAC-SHA256 of the parts under key.
func mac(key []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// packetDigest is the digest of p (Size bytes) with the 32 bytes at pos
// left out.
func packetDigest(p []byte, pos int, key []byte) []byte {
	return mac(key, p[:pos], p[pos+32:])
}

// imprint writes p's digest under s with key into p and returns the
// digest's position.
func imprint(p []byte, s scheme, key []byte) int {
	pos := digestPos(p, s)
	copy(p[pos:pos+32], packetDigest(p, pos, key))
	return pos
}

// findDigest looks for a valid digest in p (C1 or S1) under key, scheme 0
// first; ok is false when neither scheme holds one, or when p's version
// field is zero (the simple form, which carries no digest).
func findDigest(p []byte, key []byte) (pos int, s scheme, ok bool) {
	if p[4]|p[5]|p[6]|p[7] == 0 {
		return 0, 0, false
	}
	for _, s := range []scheme{scheme0, scheme1} {
		pos := digestPos(p, s)
		if hmac.Equal(p[pos:pos+32], packetDigest(p, pos, key)) {
			return pos, s, true
		}
	}
	return 0, 0, false
}

// sign makes p (Size bytes, random) the answer to a peer whose digest is
// peerDigest: its last 32 bytes become HMAC(HMAC(key, peerDigest),
// p[:1504]), passed through XTEA for an RTMPE type 8 handshake.
func sign(p, peerDigest, key []byte, typ byte) {
	copy(p[Size-32:], signature(p, peerDigest, key, typ))
}

// signed says whether p is the answer to peerDigest under key.
func signed(p, peerDigest, key []byte, typ byte) bool {
	return hmac.Equal(p[Size-32:], signature(p, peerDigest, key, typ))
}

func signature(p, peerDigest, key []byte, typ byte) []byte {
	k := mac(key, peerDigest)
	sig := mac(k, p[:Size-32])
	if typ == versionXTEA {
		xteaSign(sig, k)
	}
	return sig
}
