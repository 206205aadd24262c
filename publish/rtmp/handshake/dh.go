package handshake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// RTMPE's Diffie-Hellman: the 1024-bit MODP group of RFC 2409 (section
// 6.2, "group 2"), generator 2. Public keys travel as 128 big-endian bytes,
// padded with leading zeros.

// dhKeySize is the size of a public key in C1 and S1.
const dhKeySize = 128

// dhPrimeHex is RFC 2409's 1024-bit prime: 2^1024 - 2^960 - 1 +
// 2^64 * ([2^894 pi] + 129093).
const dhPrimeHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381" +
	"FFFFFFFFFFFFFFFF"

// ErrBadKey is returned when the peer's Diffie-Hellman public key is not
// one a genuine peer makes: 0, 1, p-1 or anything outside 2..p-2, which
// would make the shared secret guessable.
var ErrBadKey = errors.New("RTMPE: the peer's Diffie-Hellman public key is invalid")

// dhPrime is the group's prime, parsed anew (no package state).
func dhPrime() *big.Int {
	p, _ := new(big.Int).SetString(dhPrimeHex, 16)
	return p
}

// dhKey is one side's key pair.
type dhKey struct {
	p, priv, pub *big.Int
}

// newDHKey makes a key pair from r: a private exponent of 1023 random
// bits, the public key 2^priv mod p (in 2..p-2, as RFC 2631 2.1.5 wants).
func newDHKey(r io.Reader) (*dhKey, error) {
	p := dhPrime()
	limit := new(big.Int).Sub(p, big.NewInt(2))
	for i := 0; i < 16; i++ {
		priv, err := rand.Int(r, new(big.Int).Rsh(p, 1))
		if err != nil {
			return nil, fmt.Errorf("handshake random bytes: %w", err)
		}
		if priv.Cmp(big.NewInt(2)) < 0 {
			continue
		}
		pub := new(big.Int).Exp(big.NewInt(2), priv, p)
		if pub.Cmp(big.NewInt(2)) >= 0 && pub.Cmp(limit) <= 0 {
			return &dhKey{p: p, priv: priv, pub: pub}, nil
		}
	}
	return nil, errors.New("RTMPE: no usable Diffie-Hellman key from the random source")
}

// putPublic writes the public key into dst (dhKeySize bytes), padded.
func (k *dhKey) putPublic(dst []byte) { k.pub.FillBytes(dst[:dhKeySize]) }

// secret is the shared secret with the peer's public key (dhKeySize
// bytes): peer^priv mod p, its big-endian bytes without leading zeros
// first, then zeros. That odd layout is librtmp's (OpenSSL's
// DH_compute_key and gcrypt print the number unpadded into a zeroed
// 128-byte buffer), and the RC4 keys are an HMAC of all 128 bytes.
func (k *dhKey) secret(peer []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peer[:dhKeySize])
	if y.Cmp(big.NewInt(2)) < 0 || y.Cmp(new(big.Int).Sub(k.p, big.NewInt(2))) > 0 {
		return nil, ErrBadKey
	}
	s := new(big.Int).Exp(y, k.priv, k.p)
	out := make([]byte, dhKeySize)
	copy(out, s.Bytes())
	return out, nil
}
