package handshake

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Config is what both ends may set; the zero value is ready to use.
type Config struct {
	// Rand fills the random bytes; nil: crypto/rand.
	Rand io.Reader
	// Epoch is when this end's clock started (C1's and S1's time field is
	// milliseconds since it); zero: the handshake's start.
	Epoch time.Time
}

func (c Config) fill(p []byte) error {
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, p); err != nil {
		return fmt.Errorf("handshake random bytes: %w", err)
	}
	return nil
}

func (c Config) uptime() uint32 {
	if c.Epoch.IsZero() {
		return 0
	}
	return uint32(time.Since(c.Epoch).Milliseconds())
}

// Info says how a handshake went.
type Info struct {
	// Digest: the digest form (Flash Player 9); false: the simple one.
	Digest bool
	// PeerVersion is the version field of the peer's C1 or S1 (zero in
	// the simple form), e.g. 9.0.124.2 from FFmpeg.
	PeerVersion [4]byte
}

// serverVersion is S1's version field in the digest form. FFmpeg checks
// S1's digest when its first byte is 3 or more.
var serverVersion = [4]byte{4, 5, 0, 1}

// Server runs the server's side on rw: it reads C0 and C1, answers S0, S1
// and S2 in one write, in the form the client used (the simple form's S2
// is C1 byte for byte), and reads C2. C2 is not checked: clients differ
// in what they put there, and none of it secures anything.
func Server(rw io.ReadWriter, cfg Config) (Info, error) {
	var info Info
	in := make([]byte, 1+Size)
	if err := readFirst(rw, in, "C0", "C1"); err != nil {
		return info, err
	}
	c1 := in[1:]
	copy(info.PeerVersion[:], c1[4:8])

	out := make([]byte, 1+2*Size)
	out[0] = versionPlain
	s1, s2 := out[1:1+Size], out[1+Size:]
	binary.BigEndian.PutUint32(s1[0:4], cfg.uptime())
	if err := cfg.fill(s1[8:]); err != nil {
		return info, err
	}
	if pos, s, ok := findDigest(c1, playerTextKey()); ok {
		info.Digest = true
		copy(s1[4:8], serverVersion[:])
		imprint(s1, s, serverTextKey())
		if err := cfg.fill(s2[:Size-32]); err != nil {
			return info, err
		}
		sign(s2, c1[pos:pos+32], serverKey())
	} else {
		copy(s2, c1)
	}
	if _, err := rw.Write(out); err != nil {
		return info, fmt.Errorf("writing S0, S1 and S2: %w", err)
	}
	if _, err := io.ReadFull(rw, in[:Size]); err != nil {
		return info, fmt.Errorf("reading C2: %w", err)
	}
	return info, nil
}
