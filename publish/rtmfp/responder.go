package rtmfp

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"time"
)

// cookieLifetime: an IIKeying must echo a cookie younger than this.
const cookieLifetime = 95 * time.Second

// responder answers the handshake (RFC 7016 §3.5.1, RFC 7425 §4) without
// keeping state for a hello: the cookie carries the time and an HMAC of
// the time and the initiator's address, so a flood of IHello allocates
// nothing that outlives the answer.
type responder struct {
	cert        []byte // ours: ephemeral Diffie-Hellman, takes a URI
	fingerprint []byte // SHA-256 of cert
	secret      []byte // the cookies' HMAC key, random per server
	start       time.Time
}

func newResponder() (*responder, error) {
	cert, err := ephemeralCert(true)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	fp := sha256.Sum256(cert)
	return &responder{cert: cert, fingerprint: fp[:], secret: secret, start: time.Now()}, nil
}

func (r *responder) ts() uint16 {
	return uint16(time.Since(r.start) * timestampHz / time.Second)
}

// cookie for addr at age (seconds since the server started).
func (r *responder) cookie(addr netip.AddrPort, age uint64) []byte {
	b := appendVLU(nil, age)
	a, _ := addr.MarshalBinary()
	return append(b, hmacSHA256(r.secret, b, a)...)
}

// checkCookie reports whether c is one of ours, for addr, still fresh.
func (r *responder) checkCookie(c []byte, addr netip.AddrPort) bool {
	age, _, err := readVLU(c)
	if err != nil {
		return false
	}
	now := uint64(time.Since(r.start) / time.Second)
	if age > now || time.Duration(now-age)*time.Second > cookieLifetime {
		return false
	}
	return hmac.Equal(c, r.cookie(addr, age))
}

// selected reports whether an endpoint discriminator names this server:
// its fingerprint, or a URI (any: a server takes ancillary data).
func (r *responder) selected(epd []byte) bool {
	opts, _, err := parseOptions(epd)
	if err != nil {
		return false
	}
	if fp, ok := find(opts, epdFingerprint); ok {
		return bytes.Equal(fp, r.fingerprint)
	}
	_, ok := find(opts, epdAncillary)
	return ok
}

// ihello answers an IHello from addr with an RHello datagram (nil: not
// for us, or malformed).
func (r *responder) ihello(body []byte, addr netip.AddrPort) []byte {
	epd, tag, err := readVLUBytes(body)
	if err != nil || len(tag) == 0 || len(tag) > 64 || !r.selected(epd) {
		return nil
	}
	b := appendVLUBytes(nil, tag)
	b = appendVLUBytes(b, r.cookie(addr, uint64(time.Since(r.start)/time.Second)))
	b = append(b, r.cert...)
	return startupPacket([4]byte{}, chunkRHello, b, r.ts())
}

// keying is an accepted IIKeying: the session's parameters and the
// RIKeying that answers it.
type keying struct {
	isid     [4]byte
	rsid     [4]byte
	crypto   *packetCrypto
	rikeying []byte // the datagram, sent again for a repeated IIKeying
	skic     []byte
}

// iikeying checks an IIKeying from addr and agrees the session keys; rsid
// is the session ID the new session will have. Errors wrap ErrProtocol
// (or report a stale or forged cookie).
func (r *responder) iikeying(body []byte, addr netip.AddrPort, rsid [4]byte) (*keying, error) {
	if len(body) < 4 {
		return nil, fmt.Errorf("%w: IIKeying", ErrShort)
	}
	k := &keying{rsid: rsid}
	copy(k.isid[:], body)
	cookie, b, err := readVLUBytes(body[4:])
	if err != nil {
		return nil, fmt.Errorf("%w: IIKeying cookie: %w", ErrProtocol, err)
	}
	if !r.checkCookie(cookie, addr) {
		return nil, fmt.Errorf("%w: a stale or forged cookie", ErrProtocol)
	}
	certBytes, b, err := readVLUBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: IIKeying certificate: %w", ErrProtocol, err)
	}
	skic, _, err := readVLUBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: IIKeying key component: %w", ErrProtocol, err)
	}
	initCert, err := parseCert(certBytes)
	if err != nil {
		return nil, err
	}
	opts, _, err := parseOptions(skic)
	if err != nil {
		return nil, fmt.Errorf("%w: initiator's key component: %w", ErrProtocol, err)
	}
	var group uint64
	var peerPub []byte
	if v, ok := find(opts, keyDHPublic); ok {
		if group, peerPub, err = readVLU(v); err != nil {
			return nil, fmt.Errorf("%w: initiator's public key: %w", ErrProtocol, err)
		}
	} else if v, ok := find(opts, keyGroupSelect); ok {
		if group, _, err = readVLU(v); err != nil {
			return nil, fmt.Errorf("%w: initiator's group: %w", ErrProtocol, err)
		}
		peerPub = initCert.static[group]
	}
	var dh *dhKey
	for _, g := range dhGroups() {
		if g.id == group {
			if dh, err = newDHKey(g); err != nil {
				return nil, err
			}
		}
	}
	if dh == nil || len(peerPub) == 0 {
		return nil, fmt.Errorf("%w: Diffie-Hellman group %d, or no public key", ErrProtocol, group)
	}
	secret, err := dh.shared(peerPub)
	if err != nil {
		return nil, err
	}
	hf, hlen, sf, err := farNegotiation(opts)
	if err != nil {
		return nil, err
	}
	// A server does what the initiator asks for and no more.
	var hmacSend, hmacRequire, sseqSend, sseqRequire bool
	if err := negotiate(&hmacSend, &hmacRequire, hf); err != nil {
		return nil, err
	}
	if err := negotiate(&sseqSend, &sseqRequire, sf); err != nil {
		return nil, err
	}
	skrc := appendOption(nil, keySSEQ, []byte{negFlags(sseqSend, sseqRequire)})
	skrc = appendOption(skrc, keyHMAC, appendVLU([]byte{negFlags(hmacSend, hmacRequire)}, hmacLen))
	skrc = appendOption(skrc, keyDHPublic, append(appendVLU(nil, group), dh.pub.Bytes()...))
	if k.crypto, err = sessionCrypto(secret, skrc, skic, hmacSend, hmacRequire, int(hlen), sseqSend, sseqRequire); err != nil {
		return nil, err
	}
	b = append([]byte(nil), rsid[:]...)
	b = appendVLUBytes(b, skrc)
	b = append(b, signature...)
	k.rikeying = startupPacket(k.isid, chunkRIKeying, b, r.ts())
	k.skic = append([]byte(nil), skic...)
	return k, nil
}
