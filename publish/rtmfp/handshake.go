package rtmfp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"time"
)

// signature is what OnAir signs keying with: the Flash profile leaves
// signatures to the application and the reference neither makes nor
// checks real ones.
var signature = []byte{'X'}

// startupPacket is a handshake packet (mode 3, with a timestamp) carrying
// one chunk, sealed with the default key to session ID sid.
func startupPacket(sid [4]byte, typ byte, body []byte, ts uint16) []byte {
	pkt := appendHeader(nil, header{flags: modeStartup | flagTS, ts: ts})
	pkt = appendChunk(pkt, typ, body)
	return newDefaultCrypto().seal(sid, pkt)
}

// initiator is our side of the four-way handshake (RFC 7016 §3.5.1) as
// the initiator, with the Flash profile's keying (RFC 7425 §4.6).
type initiator struct {
	uri    string
	fp     []byte // the server's certificate fingerprint wanted, or nil
	tag    []byte
	isid   [4]byte
	cookie []byte
	cert   []byte // ours
	key    *dhKey
	skic   []byte
	secret []byte // when the responder's certificate carries a static key
	// negotiation: we send HMACs and sequence numbers always and require
	// them, as the reference's tools do.
	hmacSend, hmacRequire, sseqSend, sseqRequire bool
}

// handshakeResult is an open session's parameters.
type handshakeResult struct {
	rsid   [4]byte
	isid   [4]byte
	crypto *packetCrypto
}

// dialHandshake runs the handshake: send writes a datagram to the
// responder, recv yields the datagrams that come back. It returns when
// the session keys are agreed.
// fingerprint, when not nil, names the server by its certificate's SHA-256
// instead of by the URI (RFC 7425 §4.4.2): a certificate that does not
// match is refused.
func dialHandshake(ctx context.Context, uri string, fingerprint []byte, send func([]byte) error, recv <-chan []byte) (handshakeResult, error) {
	in := &initiator{uri: uri, fp: fingerprint, tag: make([]byte, 16),
		hmacSend: true, hmacRequire: true, sseqSend: true, sseqRequire: true}
	if _, err := rand.Read(in.tag); err != nil {
		return handshakeResult{}, err
	}
	for in.isid == [4]byte{} {
		if _, err := rand.Read(in.isid[:]); err != nil {
			return handshakeResult{}, err
		}
	}
	var err error
	if in.cert, err = ephemeralCert(false); err != nil {
		return handshakeResult{}, err
	}
	start := time.Now()
	ts := func() uint16 { return uint16(time.Since(start) * timestampHz / time.Second) }
	epd := appendOption(nil, epdAncillary, []byte(uri))
	if fingerprint != nil {
		epd = appendOption(nil, epdFingerprint, fingerprint)
	}
	next := func() []byte {
		return startupPacket([4]byte{}, chunkIHello, append(appendVLUBytes(nil, epd), in.tag...), ts())
	}
	keying := false
	interval := time.Second
	timer := time.NewTimer(0)
	defer timer.Stop()
	def := newDefaultCrypto()
	for {
		select {
		case <-ctx.Done():
			what := "the server did not answer"
			if keying {
				what = "the server did not finish the handshake"
			}
			return handshakeResult{}, fmt.Errorf("%w: %s: %w", ErrTimeout, what, ctx.Err())
		case <-timer.C:
			if err := send(next()); err != nil {
				return handshakeResult{}, err
			}
			timer.Reset(interval)
			interval += 1500 * time.Millisecond
		case d := <-recv:
			sid, ok := sessionID(d)
			if !ok || (sid != [4]byte{} && sid != in.isid) {
				continue
			}
			p, err := def.open(d)
			if err != nil {
				continue
			}
			h, chunks, _ := parsePacket(p)
			if h.mode() != modeStartup {
				continue
			}
			for _, c := range chunks {
				switch {
				case c.typ == chunkRHello && !keying:
					pkt, err := in.rhello(c.body, ts())
					if err != nil {
						return handshakeResult{}, err
					}
					if pkt == nil {
						continue // another initiator's
					}
					keying = true
					next = func() []byte { return in.iikeying(ts()) }
					interval = time.Second
					if err := send(next()); err != nil {
						return handshakeResult{}, err
					}
					timer.Reset(interval)
				case c.typ == chunkCookieChange && keying:
					old, rest, err := readVLUBytes(c.body)
					if err == nil && bytes.Equal(old, in.cookie) {
						in.cookie = append([]byte(nil), rest...)
						if err := send(next()); err != nil {
							return handshakeResult{}, err
						}
					}
				case c.typ == chunkRIKeying && keying && sid == in.isid:
					return in.rikeying(c.body)
				}
			}
		}
	}
}

// rhello takes the responder's hello: it checks the tag, picks a group
// from the certificate and returns the IIKeying packet (nil when the tag
// is not ours).
func (in *initiator) rhello(b []byte, ts uint16) ([]byte, error) {
	tag, b, err := readVLUBytes(b)
	if err != nil || !bytes.Equal(tag, in.tag) {
		return nil, nil
	}
	cookie, b, err := readVLUBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: RHello cookie: %w", ErrProtocol, err)
	}
	c, err := parseCert(b)
	if err != nil {
		return nil, err
	}
	if in.fp != nil {
		if sum := sha256.Sum256(c.raw); !bytes.Equal(sum[:], in.fp) {
			return nil, nil // another server's answer
		}
	} else if !c.ancillary {
		return nil, fmt.Errorf("%w: the server's certificate does not take a URI", ErrProtocol)
	}
	in.cookie = append([]byte(nil), cookie...)
	for _, g := range dhGroups() {
		static, isStatic := c.static[g.id]
		offered := isStatic
		for _, e := range c.ephemeral {
			offered = offered || e == g.id
		}
		if !offered {
			continue
		}
		if in.key, err = newDHKey(g); err != nil {
			return nil, err
		}
		if isStatic {
			if in.secret, err = in.key.shared(static); err != nil {
				return nil, err
			}
		}
		break
	}
	if in.key == nil {
		return nil, fmt.Errorf("%w: the server offers no Diffie-Hellman group OnAir does (14 or 2)", ErrProtocol)
	}
	skic := appendOption(nil, keyDHPublic, append(appendVLU(nil, in.key.g.id), in.key.pub.Bytes()...))
	skic = appendOption(skic, keyHMAC, appendVLU([]byte{negFlags(in.hmacSend, in.hmacRequire)}, hmacLen))
	skic = appendOption(skic, keySSEQ, []byte{negFlags(in.sseqSend, in.sseqRequire)})
	in.skic = skic
	return in.iikeying(ts), nil
}

func (in *initiator) iikeying(ts uint16) []byte {
	b := append([]byte(nil), in.isid[:]...)
	b = appendVLUBytes(b, in.cookie)
	b = appendVLUBytes(b, in.cert)
	b = appendVLUBytes(b, in.skic)
	b = append(b, signature...)
	return startupPacket([4]byte{}, chunkIIKeying, b, ts)
}

// rikeying takes the responder's keying and derives the session's keys.
func (in *initiator) rikeying(b []byte) (handshakeResult, error) {
	var r handshakeResult
	if len(b) < 4 {
		return r, fmt.Errorf("%w: RIKeying", ErrShort)
	}
	copy(r.rsid[:], b)
	skrc, _, err := readVLUBytes(b[4:])
	if err != nil {
		return r, fmt.Errorf("%w: RIKeying: %w", ErrProtocol, err)
	}
	opts, _, err := parseOptions(skrc)
	if err != nil {
		return r, fmt.Errorf("%w: responder's key component: %w", ErrProtocol, err)
	}
	secret := in.secret
	if v, ok := find(opts, keyDHPublic); ok {
		g, pub, err := readVLU(v)
		if err != nil || g != in.key.g.id {
			return r, fmt.Errorf("%w: the server answered with another Diffie-Hellman group", ErrProtocol)
		}
		if secret, err = in.key.shared(pub); err != nil {
			return r, err
		}
	}
	if secret == nil {
		return r, fmt.Errorf("%w: no Diffie-Hellman public key from the server", ErrProtocol)
	}
	hf, hlen, sf, err := farNegotiation(opts)
	if err != nil {
		return r, err
	}
	if err := negotiate(&in.hmacSend, &in.hmacRequire, hf); err != nil {
		return r, err
	}
	if err := negotiate(&in.sseqSend, &in.sseqRequire, sf); err != nil {
		return r, err
	}
	r.isid = in.isid
	r.crypto, err = sessionCrypto(secret, in.skic, skrc, in.hmacSend, in.hmacRequire, int(hlen), in.sseqSend, in.sseqRequire)
	return r, err
}

// sessionCrypto builds a session's protection from the agreed secret, our
// key component near, the far one and the negotiation's outcome.
func sessionCrypto(secret, near, far []byte, hmacSend, hmacRequire bool, farHMACLen int, sseqSend, sseqRequire bool) (*packetCrypto, error) {
	enc, dec, txMAC, rxMAC := sessionKeys(secret, near, far)
	c := &packetCrypto{sseqSend: sseqSend, sseqRecv: sseqRequire}
	var err error
	if c.enc, err = aesBlock(enc); err != nil {
		return nil, err
	}
	if c.dec, err = aesBlock(dec); err != nil {
		return nil, err
	}
	if hmacSend {
		c.txHMAC, c.txHMACLen = txMAC, hmacLen
	}
	if hmacRequire {
		if farHMACLen < 4 || farHMACLen > 32 {
			return nil, fmt.Errorf("%w: HMAC length %d", ErrProtocol, farHMACLen)
		}
		c.rxHMAC, c.rxHMACLen = rxMAC, farHMACLen
	}
	return c, nil
}

// HelloPacket is the datagram an initiator sends first to reach uri: an
// IHello with a random tag. Tools and tests use it to probe a server.
func HelloPacket(uri string) []byte {
	tag := make([]byte, 16)
	_, _ = rand.Read(tag)
	epd := appendOption(nil, epdAncillary, []byte(uri))
	return startupPacket([4]byte{}, chunkIHello, append(appendVLUBytes(nil, epd), tag...), 0)
}
