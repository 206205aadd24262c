package rtmfp

import (
	"bytes"
	"errors"
	"testing"
)

func TestVLU(t *testing.T) {
	for _, tc := range []struct {
		v    uint64
		wire []byte
	}{
		{0, []byte{0x00}},
		{127, []byte{0x7f}},
		{128, []byte{0x81, 0x00}},
		{514, []byte{0x84, 0x02}},
		{16383, []byte{0xff, 0x7f}},
		{1<<64 - 1, []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
	} {
		if got := appendVLU(nil, tc.v); !bytes.Equal(got, tc.wire) || vluLen(tc.v) != len(tc.wire) {
			t.Errorf("appendVLU(%d) = %x, want %x", tc.v, got, tc.wire)
		}
		v, rest, err := readVLU(append(tc.wire, 0xaa))
		if err != nil || v != tc.v || !bytes.Equal(rest, []byte{0xaa}) {
			t.Errorf("readVLU(%x) = %d, %x, %v", tc.wire, v, rest, err)
		}
	}
	if _, _, err := readVLU([]byte{0x81}); !errors.Is(err, ErrShort) {
		t.Errorf("a VLU cut short: %v", err)
	}
	if _, _, err := readVLU([]byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}); !errors.Is(err, ErrVLU) {
		t.Errorf("a VLU over 64 bits: %v", err)
	}
}

func TestChecksum(t *testing.T) {
	// RFC 1071's example words 0001 f203 f4f5 f6f7: sum ddf2, checksum 220d.
	if got := checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != 0x220d {
		t.Errorf("checksum = %04x, want 220d", got)
	}
	// An odd last byte is the low byte of its word (as rtmfp-cpp adds it).
	if got := checksum([]byte{0x12, 0x34, 0x56}); got != ^uint16(0x1234+0x56) {
		t.Errorf("odd checksum = %04x", got)
	}
}

func TestOptions(t *testing.T) {
	b := appendOption(nil, certAncillary, nil)
	b = appendOptionVLU(b, certEphemeralGroup, 14)
	b = appendOption(b, 0x1234, []byte("value"))
	if want := []byte{0x01, 0x0a, 0x02, 0x15, 0x0e, 0x07, 0xa4, 0x34, 'v', 'a', 'l', 'u', 'e'}; !bytes.Equal(b, want) {
		t.Fatalf("options %x, want %x", b, want)
	}
	opts, rest, err := parseOptions(append(append(b, 0x00), 0xee))
	if err != nil || len(opts) != 3 || !bytes.Equal(rest, []byte{0xee}) {
		t.Fatalf("parseOptions: %v %x %v", opts, rest, err)
	}
	if v, ok := find(opts, 0x1234); !ok || string(v) != "value" {
		t.Errorf("find: %q %v", v, ok)
	}
}

// packetCases are packets for the parse/append round trip and the fuzz
// corpus.
var packetCases = []struct {
	name   string
	h      header
	chunks []chunk
}{
	{"startup hello", header{flags: modeStartup | flagTS, ts: 0x1234}, []chunk{{chunkIHello, []byte{0x02, 0x01, 0x0a, 1, 2, 3}}}},
	{"session data", header{flags: modeInitiator | flagTS | flagTSE | flagTC, ts: 7, tsEcho: 65535},
		[]chunk{{chunkUserData, []byte{0x80, 1, 1, 1, 0x05, 0x00, 'T', 'C', 0x04, 0x00, 0x00, 0x14}}, {chunkAckRanges, []byte{2, 0x7f, 5, 0, 0}}}},
	{"close", header{flags: modeResponder}, []chunk{{chunkSessionClose, []byte{}}}},
	{"ping", header{flags: modeResponder | flagTS}, []chunk{{chunkPing, []byte("hello")}, {chunkPingReply, nil}}},
}

func TestPacketRoundTrip(t *testing.T) {
	for _, tc := range packetCases {
		p := appendHeader(nil, tc.h)
		for _, c := range tc.chunks {
			p = appendChunk(p, c.typ, c.body)
		}
		p = append(p, 0xff, 0xff, 0xff) // padding
		h, chunks, err := parsePacket(p)
		if err != nil || h != tc.h || len(chunks) != len(tc.chunks) {
			t.Fatalf("%s: %+v %v %v", tc.name, h, chunks, err)
		}
		for i, c := range chunks {
			if c.typ != tc.chunks[i].typ || !bytes.Equal(c.body, tc.chunks[i].body) {
				t.Errorf("%s: chunk %d %x %x", tc.name, i, c.typ, c.body)
			}
		}
	}
	if _, _, err := parsePacket([]byte{modeStartup, chunkPing, 0, 9, 1}); !errors.Is(err, ErrShort) {
		t.Errorf("a chunk longer than the packet: %v", err)
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	secret := []byte("a shared secret from Diffie-Hellman")
	near, far := []byte("initiator component"), []byte("responder component")
	a, err := sessionCrypto(secret, near, far, true, true, hmacLen, true, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sessionCrypto(secret, far, near, true, true, hmacLen, true, true)
	if err != nil {
		t.Fatal(err)
	}
	sid := [4]byte{2, 0, 0, 0}
	for name, pair := range map[string][2]*packetCrypto{
		"default key":                          {newDefaultCrypto(), newDefaultCrypto()},
		"session keys, HMAC, sequence numbers": {a, b},
	} {
		for i, pkt := range [][]byte{{modeInitiator}, bytes.Repeat([]byte{modeInitiator, 0x10}, 700)} {
			d := pair[0].seal(sid, pkt)
			got, ok := sessionID(d)
			if !ok || got != sid {
				t.Fatalf("%s: session ID %x", name, got)
			}
			replay := append([]byte(nil), d...)
			p, err := pair[1].open(d)
			if err != nil || !bytes.HasPrefix(p, pkt) || len(bytes.TrimRight(p[len(pkt):], "\xff")) != 0 {
				t.Fatalf("%s, packet %d: %x, %v", name, i, p, err)
			}
			if pair[1].sseqRecv {
				if _, err := pair[1].open(replay); !errors.Is(err, ErrCrypto) {
					t.Errorf("%s: a replayed packet: %v", name, err)
				}
			}
			bad := pair[0].seal(sid, pkt)
			bad[len(bad)/2] ^= 1
			if _, err := pair[1].open(bad); !errors.Is(err, ErrCrypto) {
				t.Errorf("%s: a damaged packet: %v", name, err)
			}
		}
	}
	// The keys agree both ways: what one side encrypts the other decrypts.
	e1, d1, t1, r1 := sessionKeys(secret, near, far)
	e2, d2, t2, r2 := sessionKeys(secret, far, near)
	if !bytes.Equal(e1, d2) || !bytes.Equal(d1, e2) || !bytes.Equal(t1, r2) || !bytes.Equal(r1, t2) || bytes.Equal(e1, d1) {
		t.Error("session keys do not pair up")
	}
}

func TestSSEQWindow(t *testing.T) {
	var c packetCrypto
	for _, n := range []uint64{0, 2, 1, 40, 9} {
		if !c.sseqFresh(n) {
			t.Errorf("%d not fresh", n)
		}
		c.sseqMark(n)
	}
	for _, n := range []uint64{0, 1, 2, 9, 40, 8} { // 8: more than 32 behind 40
		if c.sseqFresh(n) {
			t.Errorf("%d taken twice", n)
		}
	}
	if !c.sseqFresh(39) || !c.sseqFresh(41) {
		t.Error("39 and 41 are new")
	}
}

func TestAckRoundTrip(t *testing.T) {
	f := newRecvFlow(3, tcMetadata(0))
	for _, s := range []uint64{1, 2, 3, 5, 6, 9, 12, 13, 14} {
		f.receive(s, 0, udBegin, []byte{1})
	}
	flow, window, cum, ranges, err := parseAck(f.appendAck(nil))
	if err != nil || flow != 3 || cum != 3 || window != recvBuffer || len(ranges) != 3 ||
		ranges[0] != [2]uint64{5, 6} || ranges[1] != [2]uint64{9, 9} || ranges[2] != [2]uint64{12, 14} {
		t.Errorf("ack: flow %d window %d cum %d ranges %v, %v", flow, window, cum, ranges, err)
	}
}

func TestReassembly(t *testing.T) {
	var got []string
	f := newRecvFlow(1, tcMetadata(1))
	f.onMessage = func(m []byte) { got = append(got, string(m)) }
	// Out of order: "ab" in two fragments, "c" whole, "de" whose first half
	// the sender abandons (fsn passes it), "f" whole.
	f.receive(2, 0, udEnd, []byte("b"))
	f.receive(3, 0, udWhole, []byte("c"))
	f.receive(1, 0, udBegin, []byte("a"))
	f.receive(5, 4, udEnd, []byte("e"))
	f.receive(6, 4, udWhole, []byte("f"))
	if want := []string{"ab", "c", "f"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("messages %q, want %q", got, want)
	}
	if f.broken != 1 || f.cum != 6 {
		t.Errorf("broken %d, cum %d", f.broken, f.cum)
	}
	if fresh := f.receive(3, 0, udWhole, []byte("c")); fresh {
		t.Error("a duplicate counted as new")
	}
}

func TestSplitFingerprint(t *testing.T) {
	for _, tc := range []struct{ in, rest, fp string }{
		{"cam", "cam", ""},
		{"cam?fingerprint=ab", "cam", "ab"},
		{"cam?key=1&fingerprint=ab&x=2", "cam?key=1&x=2", "ab"},
		{"cam?key=1", "cam?key=1", ""},
	} {
		if rest, fp := SplitFingerprint(tc.in); rest != tc.rest || fp != tc.fp {
			t.Errorf("SplitFingerprint(%q) = %q, %q", tc.in, rest, fp)
		}
	}
}
