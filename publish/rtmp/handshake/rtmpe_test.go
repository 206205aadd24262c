package handshake

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestDHGroup: the prime is RFC 2409's group 2, a safe prime of 1024 bits.
func TestDHGroup(t *testing.T) {
	p := dhPrime()
	q := new(big.Int).Rsh(p, 1)
	if p.BitLen() != 1024 || !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
		t.Fatal("the DH prime is not a 1024-bit safe prime")
	}
	a, _ := newDHKey(rand.Reader)
	b, _ := newDHKey(rand.Reader)
	pa, pb := make([]byte, dhKeySize), make([]byte, dhKeySize)
	a.putPublic(pa)
	b.putPublic(pb)
	sa, err1 := a.secret(pb)
	sb, err2 := b.secret(pa)
	if err1 != nil || err2 != nil || !bytes.Equal(sa, sb) {
		t.Fatalf("the two sides' secrets differ (%v, %v)", err1, err2)
	}
}

// TestXTEA checks the cipher against the published XTEA test vector
// (key 000102…0f, plaintext 4142434445464748, ciphertext
// 497df3d072612cb5, in big-endian words), and xteaSign's use of it:
// little-endian words, the key picked per block.
func TestXTEA(t *testing.T) {
	v0, v1 := xtea(0x41424344, 0x45464748, [4]uint32{0x00010203, 0x04050607, 0x08090a0b, 0x0c0d0e0f})
	if v0 != 0x497df3d0 || v1 != 0x72612cb5 {
		t.Fatalf("XTEA of the test vector: %08x%08x, want 497df3d072612cb5", v0, v1)
	}
	sig := make([]byte, 32)
	sig[0] = 1
	key := make([]byte, 32)
	key[8] = 3 // block 1 under key 3, the others under key 0
	xteaSign(sig, key)
	for i, k := range []byte{0, 3, 0, 0} {
		var in [8]byte
		if i == 0 {
			in[0] = 1
		}
		w0, w1 := xtea(binary.LittleEndian.Uint32(in[:]), binary.LittleEndian.Uint32(in[4:]), xteaKey(k))
		var want [8]byte
		binary.LittleEndian.PutUint32(want[:], w0)
		binary.LittleEndian.PutUint32(want[4:], w1)
		if !bytes.Equal(sig[8*i:8*i+8], want[:]) {
			t.Errorf("block %d: %x, want %x", i, sig[8*i:8*i+8], want)
		}
	}
}

// tcpPair is a connected loopback TCP pair, closed at the end.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	_ = server.SetDeadline(time.Now().Add(5 * time.Second))
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	return server, client
}

// TestRTMPEBothEnds: OnAir's client and server agree an RTMPE session of
// type 6 and 8, and what goes through Wrap arrives as sent, enciphered on
// the wire.
func TestRTMPEBothEnds(t *testing.T) {
	for _, typ := range []byte{6, 8} {
		t.Run(string('0'+typ), func(t *testing.T) {
			snc, cnc := tcpPair(t)
			type res struct {
				info Info
				err  error
			}
			done := make(chan res, 1)
			go func() { i, err := Server(snc, Config{}); done <- res{i, err} }()
			ci, err := Client(cnc, Config{Type: typ})
			sr := <-done
			if err != nil || sr.err != nil {
				t.Fatalf("client %v, server %v", err, sr.err)
			}
			if ci.Type != typ || sr.info.Type != typ || !ci.Encrypted() || !sr.info.Encrypted() {
				t.Fatalf("client %+v, server %+v: want type %d, encrypted", ci, sr.info, typ)
			}
			// A tap between the client's Wrap and the socket sees the
			// ciphertext.
			var wire bytes.Buffer
			sc, cc := sr.info.Wrap(snc), ci.Wrap(&tapConn{cnc, &wire})
			msg := bytes.Repeat([]byte("onair "), 2000)
			for _, w := range []struct {
				from, to net.Conn
			}{{cc, sc}, {sc, cc}, {cc, sc}} {
				// One write at a time on a Conn (its rule): this one ends
				// before the next round writes.
				wrote := make(chan error, 1)
				go func() { _, err := w.from.Write(msg); wrote <- err }()
				got := make([]byte, len(msg))
				_, err := io.ReadFull(w.to, got)
				if werr := <-wrote; err != nil || werr != nil || !bytes.Equal(got, msg) {
					t.Fatalf("through RTMPE: read %v, write %v, equal %v", err, werr, bytes.Equal(got, msg))
				}
			}
			if wire.Len() != 2*len(msg) || bytes.Contains(wire.Bytes(), []byte("onair onair")) {
				t.Fatalf("on the wire: %d bytes, plaintext visible", wire.Len())
			}
		})
	}
}

// tapConn copies what is written to w.
type tapConn struct {
	net.Conn
	w *bytes.Buffer
}

func (c *tapConn) Write(p []byte) (int, error) { c.w.Write(p); return c.Conn.Write(p) }

// rtmpeC1 is C0 and a valid RTMPE C1 of type typ (scheme 1), its public
// key replaced by key when key is not nil.
func rtmpeC1(tb testing.TB, typ byte, key *big.Int) []byte {
	out := make([]byte, 1+Size)
	out[0] = typ
	c1 := out[1:]
	copy(c1[4:8], clientVersion[:])
	if _, err := rand.Read(c1[8:]); err != nil {
		tb.Fatal(err)
	}
	pos := dhPos(c1, scheme1)
	if key == nil {
		k, err := newDHKey(rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		k.putPublic(c1[pos:])
	} else {
		key.FillBytes(c1[pos : pos+dhKeySize])
	}
	imprint(c1, scheme1, playerTextKey())
	return out
}

// TestRTMPEBadKeys: a client key of 0, 1, p-1, p or beyond is ErrBadKey
// at the server, and a server key as bad is ErrBadKey at the client.
func TestRTMPEBadKeys(t *testing.T) {
	p := dhPrime()
	bad := []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(p, big.NewInt(1)), p,
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 1024), big.NewInt(1))}
	for _, k := range bad {
		in := append(rtmpeC1(t, 6, k), make([]byte, Size)...)
		_, err := Server(&fakeRW{in: bytes.NewReader(in)}, Config{})
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("client key %x…: server %v, want ErrBadKey", k.Bytes()[:min(4, len(k.Bytes()))], err)
		}
	}
	// The server side: a fake server answers with a bad key.
	for _, k := range bad[:3] {
		snc, cnc := tcpPair(t)
		go func() {
			in := make([]byte, 1+Size)
			if _, err := io.ReadFull(snc, in); err != nil {
				return
			}
			c1 := in[1:]
			pos, _, _ := findDigest(c1, playerTextKey())
			out := make([]byte, 1+2*Size)
			out[0] = 6
			s1, s2 := out[1:1+Size], out[1+Size:]
			copy(s1[4:8], serverVersion[:])
			k.FillBytes(s1[dhPos(s1, scheme1) : dhPos(s1, scheme1)+dhKeySize])
			imprint(s1, scheme1, serverTextKey())
			sign(s2, c1[pos:pos+32], serverKey(), 6)
			_, _ = snc.Write(out)
		}()
		_, err := Client(cnc, Config{Type: 6})
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("server key %v: client %v, want ErrBadKey", k, err)
		}
	}
	t.Logf("e.g. %v", ErrBadKey)
}

// TestRTMPEToPlainServer: an RTMPE client whose server answers plainly
// says the server does not speak RTMPE.
func TestRTMPEToPlainServer(t *testing.T) {
	snc, cnc := tcpPair(t)
	go func() {
		in := make([]byte, 1+Size)
		if _, err := io.ReadFull(snc, in); err != nil {
			return
		}
		out := make([]byte, 1+2*Size)
		out[0] = 3
		_, _ = snc.Write(out)
	}()
	_, err := Client(cnc, Config{Type: 6})
	if !errors.Is(err, ErrNotEncrypted) {
		t.Fatalf("client: %v, want ErrNotEncrypted", err)
	}
}
