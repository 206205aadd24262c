package rtmfp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
)

// Option types of the Flash profile (RFC 7425 §4.4): in an endpoint
// discriminator, a certificate and a session key component.
const (
	epdHostname    = 0x00 // required hostname
	epdAncillary   = 0x0a // ancillary data: the rtmfp:// URI asked for
	epdFingerprint = 0x0f // SHA-256 of the responder's certificate

	certHostname       = 0x00
	certAncillary      = 0x0a // accepts ancillary data
	certExtraRandom    = 0x0e
	certEphemeralGroup = 0x15 // a Diffie-Hellman group it does ephemerally
	certStaticKey      = 0x1d // VLU(group) and a static public key

	keyDHPublic    = 0x0d // VLU(group) and an ephemeral public key
	keyExtraRandom = 0x0e
	keyHMAC        = 0x1a // flags, VLU(HMAC length)
	keyGroupSelect = 0x1d
	keySSEQ        = 0x1e // flags

	negSend          = 0x04 // will send always
	negSendOnRequest = 0x02 // will send when asked
	negRequest       = 0x01 // asks (and requires) the other side to send
)

// hmacLen is the HMAC length OnAir sends (the reference's default).
const hmacLen = 16

// dhGroup is a MODP Diffie-Hellman group (generator 2).
type dhGroup struct {
	id      uint64
	p       *big.Int
	expBits int // private exponent length, as the reference draws it
}

// dhGroups are the groups OnAir does, preferred first: 2048-bit MODP
// (RFC 3526 §3, group 14) and 1024-bit MODP (RFC 2409 §6.2, group 2).
func dhGroups() []dhGroup {
	p14, _ := new(big.Int).SetString(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
			"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
			"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
			"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"+
			"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)
	p2, _ := new(big.Int).SetString(
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
			"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
			"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
			"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
	return []dhGroup{{id: 14, p: p14, expBits: 320}, {id: 2, p: p2, expBits: 224}}
}

// dhKey is one side's Diffie-Hellman key pair.
type dhKey struct {
	g         dhGroup
	priv, pub *big.Int
}

func newDHKey(g dhGroup) (*dhKey, error) {
	priv, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(g.expBits-1)))
	if err != nil {
		return nil, err
	}
	priv.SetBit(priv, g.expBits-1, 1)
	return &dhKey{g: g, priv: priv, pub: new(big.Int).Exp(big.NewInt(2), priv, g.p)}, nil
}

// shared is the secret agreed with the peer's public key, minimal
// big-endian (as the key derivation takes it). A public key outside
// [2^24, p-2^24] is refused (a small-subgroup or a degenerate key).
func (k *dhKey) shared(peer []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peer)
	lo := big.NewInt(1 << 24)
	hi := new(big.Int).Sub(k.g.p, lo)
	if y.Cmp(lo) < 0 || y.Cmp(hi) > 0 {
		return nil, fmt.Errorf("%w: unusable Diffie-Hellman public key", ErrProtocol)
	}
	return new(big.Int).Exp(y, k.priv, k.g.p).Bytes(), nil
}

// negotiate applies the far side's flags for one feature (HMAC or session
// sequence numbers) to ours: what we send and whether we require it.
func negotiate(send, require *bool, far byte) error {
	if *require && far&(negSend|negSendOnRequest) == 0 {
		return fmt.Errorf("%w: the peer will not send the HMAC or sequence numbers asked for", ErrProtocol)
	}
	if far&negSend != 0 {
		*require = true
	}
	if far&negRequest != 0 {
		*send = true
	}
	return nil
}

// negFlags is what we announce: send always, send on request, require.
func negFlags(send, require bool) byte {
	f := byte(negSendOnRequest)
	if send {
		f |= negSend
	}
	if require {
		f |= negRequest
	}
	return f
}

// farNegotiation reads the far side's HMAC and SSEQ options (absent: 0).
func farNegotiation(opts []option) (hmacFlags byte, hmacLength uint64, sseqFlags byte, err error) {
	if v, ok := find(opts, keyHMAC); ok {
		if len(v) < 1 {
			return 0, 0, 0, fmt.Errorf("%w: empty HMAC option", ErrProtocol)
		}
		hmacFlags = v[0]
		if hmacLength, _, err = readVLU(v[1:]); err != nil {
			return 0, 0, 0, fmt.Errorf("%w: HMAC length: %w", ErrProtocol, err)
		}
	}
	if v, ok := find(opts, keySSEQ); ok && len(v) > 0 {
		sseqFlags = v[0]
	}
	return hmacFlags, hmacLength, sseqFlags, nil
}

func hmacSHA256(key []byte, msg ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, b := range msg {
		m.Write(b)
	}
	return m.Sum(nil)
}

// sessionKeys derives the session's keys (RFC 7425 §4.6) from the shared
// secret s, our own key component near and the far side's far:
// encrypt = HMAC(s, HMAC(far, near)), decrypt = HMAC(s, HMAC(near, far)),
// AES-128 with their first 16 bytes; HMAC keys HMAC(s, encrypt) and
// HMAC(s, decrypt).
func sessionKeys(s, near, far []byte) (enc, dec, txMAC, rxMAC []byte) {
	enc = hmacSHA256(s, hmacSHA256(far, near))
	dec = hmacSHA256(s, hmacSHA256(near, far))
	return enc[:16], dec[:16], hmacSHA256(s, enc), hmacSHA256(s, dec)
}

// cert is a parsed certificate: what it accepts and the groups it does.
type cert struct {
	raw       []byte
	ancillary bool
	ephemeral []uint64          // groups for an ephemeral key
	static    map[uint64][]byte // group → static public key
}

// parseCert reads a certificate: either ephemeral groups or static keys,
// never both, never neither.
func parseCert(b []byte) (cert, error) {
	c := cert{raw: b, static: map[uint64][]byte{}}
	opts, _, err := parseOptions(b)
	if err != nil {
		return c, fmt.Errorf("%w: certificate: %w", ErrProtocol, err)
	}
	for _, o := range opts {
		switch o.typ {
		case certAncillary:
			c.ancillary = true
		case certEphemeralGroup:
			g, _, err := readVLU(o.value)
			if err != nil {
				return c, fmt.Errorf("%w: certificate group: %w", ErrProtocol, err)
			}
			c.ephemeral = append(c.ephemeral, g)
		case certStaticKey:
			g, key, err := readVLU(o.value)
			if err != nil {
				return c, fmt.Errorf("%w: certificate key: %w", ErrProtocol, err)
			}
			c.static[g] = key
		}
	}
	if (len(c.ephemeral) > 0) == (len(c.static) > 0) {
		return c, fmt.Errorf("%w: a certificate must offer either ephemeral groups or static keys", ErrProtocol)
	}
	return c, nil
}

// ephemeralCert is a certificate offering our groups ephemerally, with
// 64 random bytes that make its fingerprint (the peer ID) our own.
func ephemeralCert(server bool) ([]byte, error) {
	var b []byte
	if server {
		b = appendOption(b, certAncillary, nil)
	}
	for _, g := range dhGroups() {
		b = appendOptionVLU(b, certEphemeralGroup, g.id)
	}
	extra := make([]byte, 64)
	if _, err := rand.Read(extra); err != nil {
		return nil, err
	}
	return appendOption(b, certExtraRandom, extra), nil
}
