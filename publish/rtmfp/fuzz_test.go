package rtmfp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzSessionPacket feeds decrypted packets to an open session: every
// chunk handler (user data with its options and reassembly, acks, pings,
// exceptions, close) takes any bytes without panicking, and a flow keeps
// a bounded number of fragments.
func FuzzSessionPacket(f *testing.F) {
	for _, tc := range packetCases {
		p := appendHeader(nil, header{flags: modeResponder | tc.h.flags&^modeMask, ts: tc.h.ts, tsEcho: tc.h.tsEcho})
		for _, c := range tc.chunks {
			p = appendChunk(p, c.typ, c.body)
		}
		f.Add(p)
	}
	data := appendChunk(nil, chunkUserData, append([]byte{udOptions | udBegin, 5, 1, 1}, append(appendOption(nil, optMetadata, tcMetadata(0)), 0, 9, 9)...))
	data = appendChunk(data, chunkNextUserData, []byte{udEnd, 1, 2, 3})
	f.Add(append([]byte{modeResponder}, data...))
	f.Add(append([]byte{modeResponder}, appendChunk(nil, chunkAckRanges, []byte{1, 0x10, 3, 0, 0, 5, 2})...))
	f.Fuzz(func(t *testing.T, p []byte) {
		s := newSessionState(sessionConfig{send: func([]byte) error { return nil }, mode: modeInitiator,
			crypto: newDefaultCrypto(), onFlow: func(fl *recvFlow) bool { fl.onMessage = func([]byte) {}; return true }})
		fl := s.openFlow(priImmediate, tcMetadata(0), 0, false)
		_ = s.write(fl, make([]byte, 3000), &message{deadline: time.Now()})
		s.receive(p)
		s.receive(p)
		s.mu.Lock()
		s.tick(time.Now().Add(time.Second))
		for _, r := range s.recvFlows {
			if len(r.pending) > maxRecvGap+1 {
				t.Fatalf("a flow holds %d fragments", len(r.pending))
			}
		}
		s.mu.Unlock()
	})
}

// FuzzHandshake: the initiator's parsers of RHello and RIKeying, and the
// certificate and option parsers under them, take any bytes.
func FuzzHandshake(f *testing.F) {
	cert, _ := ephemeralCert(true)
	tag := make([]byte, 16)
	f.Add(append(appendVLUBytes(appendVLUBytes(nil, tag), []byte("cookie")), cert...), []byte{0, 0, 0, 2, 3, 0x02, 0x1e, 0x07})
	f.Add([]byte{16}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, rhello, rikeying []byte) {
		in := &initiator{tag: tag, hmacSend: true, hmacRequire: true, sseqSend: true, sseqRequire: true}
		if pkt, err := in.rhello(rhello, 0); err != nil || pkt == nil {
			return
		}
		_, _ = in.rikeying(rikeying)
		_, _ = parseCert(rikeying)
	})
}

// FuzzOpen: a datagram of any bytes is checked and dropped or opened,
// under the default key and under session keys with HMAC and sequence
// numbers.
func FuzzOpen(f *testing.F) {
	f.Add(newDefaultCrypto().seal([4]byte{}, []byte{modeStartup, chunkPing, 0, 0}))
	f.Add([]byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, d []byte) {
		_, _ = newDefaultCrypto().open(append([]byte(nil), d...))
		c, _ := sessionCrypto([]byte("s"), []byte("a"), []byte("b"), true, true, hmacLen, true, true)
		_, _ = c.open(d)
		_, _ = sessionID(d)
	})
}

// FuzzResponder: the server's handshake parsers (IHello, IIKeying with
// its certificate and key component) take any bytes: no panic, and no
// session without a cookie of ours.
func FuzzResponder(f *testing.F) {
	r, err := newResponder()
	if err != nil {
		f.Fatal(err)
	}
	addr := netip.MustParseAddrPort("127.0.0.1:5000")
	cert, _ := ephemeralCert(false)
	cookie := r.cookie(addr, 0)
	in := &initiator{hmacSend: true, hmacRequire: true, sseqSend: true, sseqRequire: true}
	in.key, _ = newDHKey(dhGroups()[1])
	skic := appendOption(nil, keyDHPublic, append(appendVLU(nil, 2), in.key.pub.Bytes()...))
	skic = appendOption(skic, keyHMAC, []byte{7, 16})
	iik := append([]byte{1, 2, 3, 4}, appendVLUBytes(appendVLUBytes(appendVLUBytes(nil, cookie), cert), skic)...)
	f.Add(append(appendVLUBytes(nil, appendOption(nil, epdAncillary, []byte("rtmfp://h/live"))), 1, 2, 3), iik)
	f.Add([]byte{0}, []byte{0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, hello, keying []byte) {
		_ = r.ihello(hello, addr)
		k, err := r.iikeying(keying, addr, [4]byte{9, 9, 9, 9})
		if err == nil && (k == nil || len(k.rikeying) == 0) {
			t.Fatal("keying accepted without an answer")
		}
		if err == nil {
			c, _, _ := readVLUBytes(keying[4:])
			if !r.checkCookie(c, addr) {
				t.Fatal("keying accepted with a cookie not ours")
			}
		}
	})
}
