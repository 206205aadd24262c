package handshake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// clientVersion is C1's version field: the Flash Player version FFmpeg
// and librtmp announce (9.0.124.2), which servers know.
var clientVersion = [4]byte{9, 0, 124, 2}

// ErrNotEncrypted is returned by an RTMPE Client when the server answers
// with a plain handshake: it does not speak RTMPE.
var ErrNotEncrypted = errors.New("the server answered without encryption: it does not speak RTMPE")

// Client runs the client's side on rw: C0 and C1 in the digest form, then
// S0, S1 and S2. When S1 carries a valid digest, S2 must be signed for
// C1's digest (or be C1 echoed, as simple servers do; anything else is
// ErrDigest) and C2 is signed for S1's digest; otherwise C2 is S1 echoed.
//
// With cfg.Type 6 or 8 the handshake is RTMPE: C1 carries a public key
// (digest scheme 1, as FFmpeg and librtmp send), the server must answer
// 6 or 8 with a digest and a valid key (ErrNotEncrypted, ErrDigest,
// ErrBadKey), and the session goes on through Info.Wrap.
func Client(rw io.ReadWriter, cfg Config) (Info, error) {
	var info Info
	typ := cfg.Type
	switch typ {
	case 0:
		typ = versionPlain
	case versionPlain, versionEncrypted, versionXTEA:
	default:
		return info, fmt.Errorf("handshake type %d: want 3, 6 or 8", typ)
	}
	enc := typ != versionPlain
	out := make([]byte, 1+Size)
	out[0] = typ
	c1 := out[1:]
	binary.BigEndian.PutUint32(c1[0:4], cfg.uptime())
	copy(c1[4:8], clientVersion[:])
	if err := cfg.fill(c1[8:]); err != nil {
		return info, err
	}
	sch := scheme0
	var key *dhKey
	var kpos int
	if enc {
		sch = scheme1
		var err error
		if key, err = newDHKey(cfg.rand()); err != nil {
			return info, err
		}
		kpos = dhPos(c1, sch)
		key.putPublic(c1[kpos:])
	}
	c1pos := imprint(c1, sch, playerTextKey())
	if _, err := rw.Write(out); err != nil {
		return info, fmt.Errorf("writing C0 and C1: %w", err)
	}

	in := make([]byte, 1+2*Size)
	want := []byte{versionPlain}
	if enc {
		want = []byte{versionPlain, versionEncrypted, versionXTEA}
	}
	if err := readFirst(rw, in, "S0", "S1 and S2", want...); err != nil {
		return info, err
	}
	info.Type = in[0]
	if enc && info.Type == versionPlain {
		return info, ErrNotEncrypted
	}
	s1, s2 := in[1:1+Size], in[1+Size:]
	copy(info.PeerVersion[:], s1[4:8])

	c2 := make([]byte, Size)
	pos, s, ok := findDigest(s1, serverTextKey())
	switch {
	case ok:
		info.Digest = true
		if !signed(s2, c1[c1pos:c1pos+32], serverKey(), info.Type) && (enc || !bytes.Equal(s2, c1)) {
			return info, fmt.Errorf("%w: S2 is neither signed for C1's digest nor C1 echoed", ErrDigest)
		}
		if enc {
			spos := dhPos(s1, s)
			secret, err := key.secret(s1[spos:])
			if err != nil {
				return info, fmt.Errorf("S1: %w", err)
			}
			info.in, info.out = rc4Pair(secret, c1[kpos:], s1[spos:])
		}
		if err := cfg.fill(c2[:Size-32]); err != nil {
			return info, err
		}
		sign(c2, s1[pos:pos+32], playerKey(), info.Type)
	case enc:
		return info, fmt.Errorf("%w: an RTMPE S1 without a valid digest", ErrDigest)
	default:
		copy(c2, s1)
	}
	if _, err := rw.Write(c2); err != nil {
		return info, fmt.Errorf("writing C2: %w", err)
	}
	return info, nil
}
