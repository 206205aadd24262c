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
	// Type is the handshake a client asks for: 0 or 3 plain, 6 or 8
	// RTMPE (8 signs with XTEA). A server answers in the client's type.
	Type byte
}

func (c Config) rand() io.Reader {
	if c.Rand == nil {
		return rand.Reader
	}
	return c.Rand
}

func (c Config) fill(p []byte) error {
	if _, err := io.ReadFull(c.rand(), p); err != nil {
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
	// Type is the handshake's type, the server's S0: 3 plain, 6 or 8
	// RTMPE. With RTMPE, Wrap gives the connection to go on with.
	Type byte
	// in and out decipher what comes and encipher what goes (RTMPE).
	in, out cipherStream
}

// Encrypted says whether the session is RTMPE: use Wrap.
func (i Info) Encrypted() bool { return i.in != nil }

// serverVersion is S1's version field in the digest form. FFmpeg checks
// S1's digest when its first byte is 3 or more.
var serverVersion = [4]byte{4, 5, 0, 1}

// Server runs the server's side on rw: it reads C0 and C1, answers S0, S1
// and S2 in one write, in the form the client used (the simple form's S2
// is C1 byte for byte), and reads C2. C2 is not checked: clients differ
// in what they put there, and none of it secures anything.
//
// An RTMPE client (C0 6 or 8) gets RTMPE: S1 carries the server's public
// key, and the session goes on through Info.Wrap. The answer's type is 8
// when the client asked for 8 or announced Flash Player 10 (C1's version
// starts with 128), as librtmp's server decides, else 6. A client key
// outside 2..p-2 is ErrBadKey; C0 9 (Blowfish) is ErrEncrypted.
func Server(rw io.ReadWriter, cfg Config) (Info, error) {
	var info Info
	in := make([]byte, 1+Size)
	if err := readFirst(rw, in, "C0", "C1", versionPlain, versionEncrypted, versionXTEA); err != nil {
		return info, err
	}
	c1 := in[1:]
	copy(info.PeerVersion[:], c1[4:8])
	enc := in[0] != versionPlain

	out := make([]byte, 1+2*Size)
	out[0] = versionPlain
	if enc {
		out[0] = versionEncrypted
		if in[0] == versionXTEA || c1[4] == 128 {
			out[0] = versionXTEA
		}
	}
	info.Type = out[0]
	s1, s2 := out[1:1+Size], out[1+Size:]
	binary.BigEndian.PutUint32(s1[0:4], cfg.uptime())
	if err := cfg.fill(s1[8:]); err != nil {
		return info, err
	}
	pos, s, ok := findDigest(c1, playerTextKey())
	switch {
	case ok:
		info.Digest = true
		copy(s1[4:8], serverVersion[:])
		if enc {
			if err := serverKeys(&info, c1, s1, s, cfg); err != nil {
				return info, err
			}
		}
		imprint(s1, s, serverTextKey())
		if err := cfg.fill(s2[:Size-32]); err != nil {
			return info, err
		}
		sign(s2, c1[pos:pos+32], serverKey(), info.Type)
	case enc:
		return info, fmt.Errorf("%w: an RTMPE C1 without a valid digest", ErrDigest)
	default:
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

// serverKeys puts a new public key into s1 where scheme s says and agrees
// the RC4 keys with the client's key in c1.
func serverKeys(info *Info, c1, s1 []byte, s scheme, cfg Config) error {
	key, err := newDHKey(cfg.rand())
	if err != nil {
		return err
	}
	own, peer := dhPos(s1, s), dhPos(c1, s)
	key.putPublic(s1[own:])
	secret, err := key.secret(c1[peer:])
	if err != nil {
		return fmt.Errorf("C1: %w", err)
	}
	info.in, info.out = rc4Pair(secret, s1[own:], c1[peer:])
	return nil
}
