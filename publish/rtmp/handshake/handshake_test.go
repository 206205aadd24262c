package handshake

import (
	"bytes"
	"errors"
	"io"
	"math/big"
	"net"
	"runtime"
	"testing"
	"time"

	gorhs "github.com/yutopp/go-rtmp/handshake"

	"onair/internal/leaktest"
)

// pipe runs the server and the client side by side over a loopback TCP
// connection (buffered, as the peers expect: some write before reading).
func pipe(t *testing.T, server func(io.ReadWriter) error, client func(io.ReadWriter) error) (serr, cerr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	_ = a.SetDeadline(time.Now().Add(5 * time.Second))
	_ = b.SetDeadline(time.Now().Add(5 * time.Second))
	done := make(chan error, 1)
	go func() { done <- server(a) }()
	cerr = client(b)
	return <-done, cerr
}

// TestDigestBothEnds: OnAir's client and server agree on the digest form.
func TestDigestBothEnds(t *testing.T) {
	n := runtime.NumGoroutine()
	var si, ci Info
	serr, cerr := pipe(t,
		func(rw io.ReadWriter) (err error) { si, err = Server(rw, Config{Epoch: time.Now()}); return err },
		func(rw io.ReadWriter) (err error) { ci, err = Client(rw, Config{}); return err })
	if serr != nil || cerr != nil {
		t.Fatalf("server %v, client %v", serr, cerr)
	}
	if !si.Digest || !ci.Digest || si.PeerVersion != clientVersion || ci.PeerVersion != serverVersion {
		t.Fatalf("server %+v, client %+v: want the digest form both ways", si, ci)
	}
	leaktest.Check(t, n, time.Second)
}

// TestServerEchoesSimpleC1: a client in the simple form (zero version, as
// librtmp and OBS send without SWF verification) gets its C1 back byte for
// byte as S2.
func TestServerEchoesSimpleC1(t *testing.T) {
	c1 := make([]byte, Size)
	for i := range c1 {
		c1[i] = byte(i * 7)
	}
	c1[4], c1[5], c1[6], c1[7] = 0, 0, 0, 0
	var s2 []byte
	var info Info
	serr, cerr := pipe(t,
		func(rw io.ReadWriter) (err error) { info, err = Server(rw, Config{}); return err },
		simpleClient(c1, &s2))
	if serr != nil || cerr != nil {
		t.Fatalf("server %v, client %v", serr, cerr)
	}
	if info.Digest {
		t.Error("a zero-version C1 taken for the digest form")
	}
	if !bytes.Equal(s2, c1) {
		t.Fatal("S2 is not C1 byte for byte")
	}
	// A non-zero version without a valid digest is the simple form too.
	c1[4] = 9
	serr, cerr = pipe(t,
		func(rw io.ReadWriter) (err error) { info, err = Server(rw, Config{}); return err },
		simpleClient(c1, &s2))
	if serr != nil || cerr != nil || info.Digest || !bytes.Equal(s2, c1) {
		t.Fatalf("version without digest: server %v, client %v, digest %v, echoed %v", serr, cerr, info.Digest, bytes.Equal(s2, c1))
	}
}

// simpleClient is a client in the simple form sending c1: it keeps S2 in
// *s2 and echoes S1 as C2.
func simpleClient(c1 []byte, s2 *[]byte) func(io.ReadWriter) error {
	return func(rw io.ReadWriter) error {
		if _, err := rw.Write(append([]byte{3}, c1...)); err != nil {
			return err
		}
		in := make([]byte, 1+2*Size)
		if _, err := io.ReadFull(rw, in); err != nil {
			return err
		}
		*s2 = in[1+Size:]
		_, err := rw.Write(in[1 : 1+Size])
		return err
	}
}

// TestAgainstGoRTMP: go-rtmp's simple handshake (a third-party
// implementation) against both of OnAir's ends.
func TestAgainstGoRTMP(t *testing.T) {
	serr, cerr := pipe(t,
		func(rw io.ReadWriter) error { _, err := Server(rw, Config{}); return err },
		func(rw io.ReadWriter) error { return gorhs.HandshakeWithServer(rw, rw, &gorhs.Config{}) })
	if serr != nil || cerr != nil {
		t.Fatalf("OnAir server, go-rtmp client (which checks S2 echoes C1): server %v, client %v", serr, cerr)
	}
	var info Info
	serr, cerr = pipe(t,
		func(rw io.ReadWriter) error { return gorhs.HandshakeWithClient(rw, rw, &gorhs.Config{}) },
		func(rw io.ReadWriter) (err error) { info, err = Client(rw, Config{}); return err })
	if serr != nil || cerr != nil {
		t.Fatalf("go-rtmp server (which checks C2 echoes S1), OnAir client: server %v, client %v", serr, cerr)
	}
	if info.Digest {
		t.Error("go-rtmp's simple S1 taken for the digest form")
	}
}

// TestBadHandshakes: each a clear error, none a hang.
func TestBadHandshakes(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"RTMPE C1 without a digest", append([]byte{6}, make([]byte, 2*Size)...), ErrDigest},
		{"truncated RTMPE C1", append([]byte{8}, make([]byte, 700)...), io.ErrUnexpectedEOF},
		{"Blowfish C0", []byte{9}, ErrEncrypted},
		{"HTTP instead of RTMP", []byte("GET / HTTP/1.1\r\n\r\n"), ErrVersion},
		{"truncated C1", append([]byte{3}, make([]byte, 100)...), io.ErrUnexpectedEOF},
		{"nothing", nil, io.EOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			rw := &fakeRW{in: bytes.NewReader(c.in)}
			_, err := Server(rw, Config{})
			if !errors.Is(err, c.want) {
				t.Fatalf("Server: %v, want %v", err, c.want)
			}
			t.Logf("Server: %v", err)
		})
	}
	// A server whose S1 has a digest but whose S2 is signed for nothing.
	t.Run("forged S2", func(t *testing.T) {
		serr, cerr := pipe(t,
			func(rw io.ReadWriter) error {
				in := make([]byte, 1+Size)
				if _, err := io.ReadFull(rw, in); err != nil {
					return err
				}
				out := make([]byte, 1+2*Size)
				out[0] = 3
				s1 := out[1 : 1+Size]
				copy(s1[4:8], serverVersion[:])
				imprint(s1, scheme0, serverTextKey())
				_, err := rw.Write(out) // S2 all zeros
				return err
			},
			func(rw io.ReadWriter) error { _, err := Client(rw, Config{}); return err })
		if serr != nil || !errors.Is(cerr, ErrDigest) {
			t.Fatalf("server %v, client %v, want ErrDigest", serr, cerr)
		}
		t.Logf("Client: %v", cerr)
	})
}

// fakeRW reads from in and discards writes.
type fakeRW struct{ in io.Reader }

func (f *fakeRW) Read(p []byte) (int, error)  { return f.in.Read(p) }
func (f *fakeRW) Write(p []byte) (int, error) { return len(p), nil }

// FuzzServer: any bytes from a client end in an answer or an error, never
// a panic; a well-formed C0 C1 C2 always succeeds.
func FuzzServer(f *testing.F) {
	simple := append([]byte{3}, make([]byte, 2*Size)...)
	f.Add(simple)
	digest := make([]byte, 1+2*Size)
	digest[0] = 3
	copy(digest[5:9], clientVersion[:])
	imprint(digest[1:1+Size], scheme0, playerTextKey())
	f.Add(digest)
	f.Add([]byte{6})
	f.Add(rtmpeC1(f, 6, nil))
	f.Add(rtmpeC1(f, 8, big.NewInt(1)))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, err := Server(&fakeRW{in: bytes.NewReader(in)}, Config{})
		if len(in) >= 1+2*Size && in[0] == 3 && err != nil {
			t.Fatalf("well-formed handshake refused: %v", err)
		}
	})
}

// FuzzClient: any bytes from a server end in C2 or an error, never a
// panic.
func FuzzClient(f *testing.F) {
	f.Add(append([]byte{3}, make([]byte, 2*Size)...))
	f.Add([]byte{3, 0, 0, 0, 0, 4, 5, 0, 1})
	f.Add(append(rtmpeC1(f, 6, nil), make([]byte, Size)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = Client(&fakeRW{in: bytes.NewReader(in)}, Config{})
		_, _ = Client(&fakeRW{in: bytes.NewReader(in)}, Config{Type: 8})
	})
}
