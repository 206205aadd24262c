// Package handshake is the RTMP handshake, both ends, in its two forms:
//
//   - simple (RTMP specification 5.2): C1 and S1 carry a time, four zero
//     bytes and random bytes; each side echoes the other's packet. The
//     server echoes C1 byte for byte (librtmp, and so OBS, compares all
//     1536 bytes and logs "client signature does not match!" otherwise).
//   - digest (Flash Player 9, digest.go): C1 and S1 carry a version and an
//     HMAC-SHA256 digest at a position their own bytes give; S2 and C2 are
//     random bytes signed with a key derived from the other side's digest.
//     FFmpeg's client sends it and, when it plays, checks the server's.
//
// Server answers in the form the client used; Client sends the digest form
// and follows the server's answer. Both ends also speak RTMPE (rtmpe.go,
// C0 = 6 or 8): a Diffie-Hellman exchange in C1 and S1, then RC4 on
// everything after the handshake (Info.Wrap).
package handshake

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Size is the size of C1, S1, C2 and S2.
const Size = 1536

// Version bytes (C0, S0).
const (
	versionPlain     = 3
	versionEncrypted = 6 // RTMPE, Diffie-Hellman + RC4
	versionXTEA      = 8 // RTMPE, XTEA-signed
	versionBlowfish  = 9 // RTMPE, Blowfish-signed
)

// ErrVersion is returned when C0 or S0 names an RTMP version other than 3
// (or the encrypted ones).
var ErrVersion = errors.New("not an RTMP handshake")

// ErrEncrypted is returned when the peer asks for an encrypted (RTMPE)
// handshake where none is expected (a plain client gets an RTMPE S0), or
// of a type OnAir does not speak (9, Blowfish).
var ErrEncrypted = errors.New("encrypted RTMP (RTMPE) handshake not expected")

// ErrDigest is returned by Client when the server answers in the digest
// form with a signature that does not match.
var ErrDigest = errors.New("RTMP handshake signature does not match")

// readFirst reads a version byte into p[0], checks it is one of want,
// then the rest of p; first and rest name them for errors ("C0", "C1").
func readFirst(r io.Reader, p []byte, first, rest string, want ...byte) error {
	if _, err := io.ReadFull(r, p[:1]); err != nil {
		return fmt.Errorf("reading %s: %w", first, err)
	}
	if !slices.Contains(want, p[0]) {
		return versionErr(p[0])
	}
	if _, err := io.ReadFull(r, p[1:]); err != nil {
		return fmt.Errorf("reading %s: %w", rest, err)
	}
	return nil
}

func versionErr(v byte) error {
	switch v {
	case versionEncrypted, versionXTEA:
		return fmt.Errorf("%w (version byte %d)", ErrEncrypted, v)
	case versionBlowfish:
		return fmt.Errorf("%w: type 9 (Blowfish-signed) is not supported", ErrEncrypted)
	}
	return fmt.Errorf("%w: version byte %d, want 3", ErrVersion, v)
}

// cipherStream is an RC4 cipher (crypto/rc4.Cipher).
type cipherStream interface{ XORKeyStream(dst, src []byte) }
