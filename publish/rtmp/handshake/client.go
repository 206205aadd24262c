package handshake

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// clientVersion is C1's version field: the Flash Player version FFmpeg
// and librtmp announce (9.0.124.2), which servers know.
var clientVersion = [4]byte{9, 0, 124, 2}

// Client runs the client's side on rw: C0 and C1 in the digest form, then
// S0, S1 and S2. When S1 carries a valid digest, S2 must be signed for
// C1's digest (or be C1 echoed, as simple servers do; anything else is
// ErrDigest) and C2 is signed for S1's digest; otherwise C2 is S1 echoed.
func Client(rw io.ReadWriter, cfg Config) (Info, error) {
	var info Info
	out := make([]byte, 1+Size)
	out[0] = versionPlain
	c1 := out[1:]
	binary.BigEndian.PutUint32(c1[0:4], cfg.uptime())
	copy(c1[4:8], clientVersion[:])
	if err := cfg.fill(c1[8:]); err != nil {
		return info, err
	}
	c1pos := imprint(c1, scheme0, playerTextKey())
	if _, err := rw.Write(out); err != nil {
		return info, fmt.Errorf("writing C0 and C1: %w", err)
	}

	in := make([]byte, 1+2*Size)
	if err := readFirst(rw, in, "S0", "S1 and S2"); err != nil {
		return info, err
	}
	s1, s2 := in[1:1+Size], in[1+Size:]
	copy(info.PeerVersion[:], s1[4:8])

	c2 := make([]byte, Size)
	if pos, _, ok := findDigest(s1, serverTextKey()); ok {
		info.Digest = true
		if !signed(s2, c1[c1pos:c1pos+32], serverKey()) && !bytes.Equal(s2, c1) {
			return info, fmt.Errorf("%w: S2 is neither signed for C1's digest nor C1 echoed", ErrDigest)
		}
		if err := cfg.fill(c2[:Size-32]); err != nil {
			return info, err
		}
		sign(c2, s1[pos:pos+32], playerKey())
	} else {
		copy(c2, s1)
	}
	if _, err := rw.Write(c2); err != nil {
		return info, fmt.Errorf("writing C2: %w", err)
	}
	return info, nil
}
