package rtmfp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// defaultKey encrypts the handshake's packets (RFC 7425 §4.3.1).
var defaultKey = [16]byte{'A', 'd', 'o', 'b', 'e', ' ', 'S', 'y', 's', 't', 'e', 'm', 's', ' ', '0', '2'}

// maxSSEQGap: session sequence numbers this far below the newest are
// taken as seen (a replay window, as rtmfp-cpp keeps it).
const maxSSEQGap = 32

// packetCrypto protects the packets one way or both of one session: the
// default key and a checksum during the handshake, then the session keys
// with, when negotiated, session sequence numbers and an HMAC (RFC 7425
// §4.3 and §4.6).
type packetCrypto struct {
	enc, dec cipher.Block
	// HMAC keys and lengths; nil key: no HMAC that way.
	txHMAC, rxHMAC       []byte
	txHMACLen, rxHMACLen int
	sseqSend, sseqRecv   bool
	txSeq                uint64
	rxSeqHigh            uint64 // newest session sequence number received + 1 (0: none yet)
	rxSeqSeen            uint64 // bit i: rxSeqHigh-1-i was received
}

// newDefaultCrypto is the handshake's protection: the default key both
// ways, a checksum, nothing else.
func newDefaultCrypto() *packetCrypto {
	b, _ := aes.NewCipher(defaultKey[:]) // a 16-byte key never fails
	return &packetCrypto{enc: b, dec: b}
}

// seal returns the datagram carrying pkt (flags onward) to the session
// with ID sid: the scrambled session ID, the ciphertext and any HMAC.
func (c *packetCrypto) seal(sid [4]byte, pkt []byte) []byte {
	var front []byte
	if c.sseqSend {
		front = appendVLU(front, c.txSeq)
		c.txSeq++
	}
	ck := len(front)
	if c.txHMAC == nil {
		front = append(front, 0, 0)
	}
	plain := make([]byte, 4, 4+len(front)+len(pkt)+16+c.txHMACLen)
	plain = append(append(plain, front...), pkt...)
	for (len(plain)-4)%aes.BlockSize != 0 {
		plain = append(plain, 0xff)
	}
	if c.txHMAC == nil {
		binary.BigEndian.PutUint16(plain[4+ck:], checksum(plain[4+ck+2:]))
	}
	body := plain[4:]
	var iv [aes.BlockSize]byte
	cipher.NewCBCEncrypter(c.enc, iv[:]).CryptBlocks(body, body)
	for i := 0; i < 4; i++ {
		plain[i] = sid[i] ^ body[i] ^ body[4+i]
	}
	if c.txHMAC != nil {
		m := hmac.New(sha256.New, c.txHMAC)
		m.Write(body)
		plain = append(plain, m.Sum(nil)[:c.txHMACLen]...)
	}
	return plain
}

// sessionID unscrambles the session ID of datagram d (at least 12 bytes).
func sessionID(d []byte) (sid [4]byte, ok bool) {
	if len(d) < 12 {
		return sid, false
	}
	for i := 0; i < 4; i++ {
		sid[i] = d[i] ^ d[4+i] ^ d[8+i]
	}
	return sid, true
}

// open checks and decrypts datagram d (scrambled session ID included) in
// place and returns its packet, flags onward. Errors wrap ErrCrypto or
// ErrShort.
func (c *packetCrypto) open(d []byte) ([]byte, error) {
	if len(d) < 4 {
		return nil, ErrShort
	}
	body := d[4:]
	if c.rxHMAC != nil {
		if len(body) < c.rxHMACLen {
			return nil, ErrShort
		}
		mac := body[len(body)-c.rxHMACLen:]
		body = body[:len(body)-c.rxHMACLen]
		m := hmac.New(sha256.New, c.rxHMAC)
		m.Write(body)
		if !hmac.Equal(m.Sum(nil)[:c.rxHMACLen], mac) {
			return nil, fmt.Errorf("%w: HMAC", ErrCrypto)
		}
	}
	if len(body) == 0 || len(body)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is no whole number of blocks", ErrCrypto, len(body))
	}
	var iv [aes.BlockSize]byte
	cipher.NewCBCDecrypter(c.dec, iv[:]).CryptBlocks(body, body)
	p := body
	var seq uint64
	if c.sseqRecv {
		var err error
		if seq, p, err = readVLU(p); err != nil {
			return nil, fmt.Errorf("%w: session sequence number: %w", ErrCrypto, err)
		}
		if !c.sseqFresh(seq) {
			return nil, fmt.Errorf("%w: session sequence number %d seen before", ErrCrypto, seq)
		}
	}
	if c.rxHMAC == nil {
		if len(p) < 2 {
			return nil, ErrShort
		}
		if binary.BigEndian.Uint16(p) != checksum(p[2:]) {
			return nil, fmt.Errorf("%w: checksum", ErrCrypto)
		}
		p = p[2:]
	}
	if len(p) < 1 {
		return nil, ErrShort
	}
	if c.sseqRecv {
		c.sseqMark(seq)
	}
	return p, nil
}

// sseqFresh reports whether session sequence number n was not received
// yet and is not too old.
func (c *packetCrypto) sseqFresh(n uint64) bool {
	if n >= c.rxSeqHigh {
		return true
	}
	back := c.rxSeqHigh - 1 - n
	return back < maxSSEQGap && c.rxSeqSeen&(1<<back) == 0
}

func (c *packetCrypto) sseqMark(n uint64) {
	if n >= c.rxSeqHigh {
		shift := n + 1 - c.rxSeqHigh
		if shift >= 64 {
			c.rxSeqSeen = 0
		} else {
			c.rxSeqSeen <<= shift
		}
		c.rxSeqHigh = n + 1
		c.rxSeqSeen |= 1
		return
	}
	c.rxSeqSeen |= 1 << (c.rxSeqHigh - 1 - n)
}

func aesBlock(key []byte) (cipher.Block, error) { return aes.NewCipher(key) }
