package rtmp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

// testKey looks like a real stream key; it must never show in errors.
const testKey = "sk_live_4f7c2a9e"

// script is what the fake server at addr expects.
func script(addr string) publishScript {
	return publishScript{app: "live", tcURL: "rtmp://" + addr + "/live", key: testKey, streamID: 7}
}

func dialConfig(srv *fakeServer) Config {
	s := script(srv.addr())
	return Config{Addr: srv.addr(), App: s.app, TCURL: s.tcURL, Key: s.key, Timeout: 2 * time.Second}
}

// dialTest dials and closes the client when the test ends.
func dialTest(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientPublish(t *testing.T) {
	checkLeaks(t)
	got := make(chan []*chunk.Message, 1)
	srv := newFakeServer(t, func(c *serverConn) error {
		if err := c.acceptPublish(script(c.addr())); err != nil {
			return err
		}
		msgs, err := c.readUntilEOF()
		got <- msgs
		return err
	})
	c := dialTest(t, dialConfig(srv))

	big := make([]byte, 10000) // more than two 4096-byte chunks
	for i := range big {
		big[i] = byte(i * 7)
	}
	metadata, err := flv.MarshalAMF0("@setDataFrame", "onMetaData", flv.AMF0ECMAArray{{Key: "width", Value: 1280.0}})
	if err != nil {
		t.Fatal(err)
	}
	type write struct {
		typeID  uint8
		ts      uint32
		payload []byte
	}
	writes := []write{
		{chunk.TypeDataAMF0, 0, metadata},
		{chunk.TypeVideo, 0, []byte{0x17, 0, 0, 0, 0, 1, 2, 3}},
		{chunk.TypeAudio, 0, []byte{0xaf, 0, 0x11, 0x90}},
		{chunk.TypeVideo, 33, big},
		{chunk.TypeAudio, 21, []byte{0xaf, 1, 0xde, 0xad}},
		{chunk.TypeVideo, 67, []byte{0x27, 1, 0, 0, 0, 9}},
		{chunk.TypeAudio, 43, []byte{0xaf, 1, 0xbe, 0xef}},
		{chunk.TypeVideo, 0x1000005, big[:5000]}, // extended timestamp
		{chunk.TypeAudio, 0x1000000, []byte{0xaf, 1, 0x01}},
	}
	var sent uint64
	for i, w := range writes {
		var err error
		switch w.typeID {
		case chunk.TypeDataAMF0:
			err = c.WriteData(w.payload)
		case chunk.TypeVideo:
			err = c.WriteVideo(w.ts, w.payload)
		case chunk.TypeAudio:
			err = c.WriteAudio(w.ts, w.payload)
		}
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		sent += uint64(len(w.payload))
	}
	if c.BytesSent() != sent {
		t.Errorf("BytesSent() = %d, want %d", c.BytesSent(), sent)
	}
	closeStart := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The server closes once it reads the end of what was sent: Close
	// need not wait for its 2 s limit.
	if d := time.Since(closeStart); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done() not closed after Close")
	}
	if err := c.WriteVideo(100, []byte{0x27, 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteVideo after Close: %v, want ErrClosed", err)
	}

	if err := srv.result(t); err != nil {
		t.Fatalf("fake server: %v", err)
	}
	msgs := <-got
	if len(msgs) != len(writes)+2 {
		t.Fatalf("server got %d messages, want %d writes, FCUnpublish and deleteStream", len(msgs), len(writes))
	}
	for i, w := range writes {
		m := msgs[i]
		if m.TypeID != w.typeID || m.StreamID != 7 || m.Timestamp != w.ts || !bytes.Equal(m.Payload, w.payload) {
			t.Errorf("message %d: type %d stream %d ts %d, %d bytes; want type %d stream 7 ts %d, %d bytes (equal: %v)",
				i, m.TypeID, m.StreamID, m.Timestamp, len(m.Payload), w.typeID, w.ts, len(w.payload), bytes.Equal(m.Payload, w.payload))
		}
	}
	for i, want := range []struct {
		name string
		txID float64
		arg  interface{}
	}{{"FCUnpublish", 6, testKey}, {"deleteStream", 7, 7.0}} {
		m := msgs[len(writes)+i]
		vals, err := flv.UnmarshalAMF0(m.Payload)
		if m.TypeID != chunk.TypeCommandAMF0 || err != nil || len(vals) != 4 ||
			vals[0] != want.name || vals[1] != want.txID || vals[2] != nil || vals[3] != want.arg {
			t.Errorf("after the media: type %d %v (%v), want command %s %v null %v", m.TypeID, vals, err, want.name, want.txID, want.arg)
		}
	}
}

// TestClientRejected: refusals become ErrRejected with the server's code,
// and the stream key the server may echo is masked.
func TestClientRejected(t *testing.T) {
	cases := []struct {
		name string
		// serve refuses the client; then the server waits for the client
		// to close, or with hangUp closes at once.
		serve  func(c *serverConn, s publishScript) error
		hangUp bool
		want   []string // in the error text
	}{
		{
			name: "publish BadName",
			serve: func(c *serverConn, s publishScript) error {
				if err := c.acceptUntilPublish(s); err != nil {
					return err
				}
				return c.sendStatus(s, "error", "NetStream.Publish.BadName", "Stream "+s.key+" is already publishing.")
			},
			want: []string{"NetStream.Publish.BadName", "Stream **** is already publishing"},
		},
		{
			name: "publish _error",
			serve: func(c *serverConn, s publishScript) error {
				if err := c.acceptUntilPublish(s); err != nil {
					return err
				}
				return c.sendCommand(s.streamID, "_error", 5.0, nil,
					flv.AMF0Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetStream.Publish.Denied"}, {Key: "description", Value: "denied: " + s.key}})
			},
			want: []string{"NetStream.Publish.Denied"},
		},
		{
			name: "connect _error",
			serve: func(c *serverConn, s publishScript) error {
				if err := c.handshake(); err != nil {
					return err
				}
				if _, err := c.read(); err != nil { // Set Chunk Size
					return err
				}
				if _, _, err := c.expectCommand("connect", 1); err != nil {
					return err
				}
				return c.sendCommand(0, "_error", 1.0, nil,
					flv.AMF0Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetConnection.Connect.Rejected"}, {Key: "description", Value: "no app here"}})
			},
			want: []string{"NetConnection.Connect.Rejected", `"live"`},
		},
		{
			name: "createStream _error",
			serve: func(c *serverConn, s publishScript) error {
				if err := c.acceptConnect(s); err != nil {
					return err
				}
				for _, cmd := range []struct {
					name string
					txID float64
				}{{"releaseStream", 2}, {"FCPublish", 3}, {"createStream", 4}} {
					if _, _, err := c.expectCommand(cmd.name, cmd.txID); err != nil {
						return err
					}
				}
				return c.sendCommand(0, "_error", 4.0, nil, flv.AMF0Object{{Key: "level", Value: "error"}, {Key: "code", Value: "NetConnection.Call.Failed"}})
			},
			want: []string{"createStream"},
		},
		{
			name: "Publish.Start then close",
			serve: func(c *serverConn, s publishScript) error {
				// acceptPublish confirms the publish; the server then
				// closes at once, as nginx-rtmp does when a rule denies it.
				return c.acceptPublish(s)
			},
			hangUp: true,
			want:   []string{"closed"},
		},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newFakeServer(t, func(c *serverConn) error {
				if err := tc.serve(c, script(c.addr())); err != nil {
					return err
				}
				if tc.hangUp {
					return nil
				}
				// Wait for the client to give up: it must close.
				_, err := c.readUntilEOF()
				return err
			})
			start := time.Now()
			c, err := Dial(context.Background(), dialConfig(srv))
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, ErrRejected) {
				t.Errorf("Dial: %v, want ErrRejected", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Dial: %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("Dial: %q shows the stream key", err)
			}
			// Default Timeout is 2 s; a rejection must not wait for it.
			if d := time.Since(start); d > time.Second {
				t.Errorf("Dial took %v to report a rejection", d)
			}
			if err := srv.result(t); err != nil {
				t.Errorf("fake server: %v", err)
			}
		})
	}
}

// TestClientKeyWithQueryMasked: a key with a query is masked whole and by
// its name alone.
func TestClientKeyWithQueryMasked(t *testing.T) {
	checkLeaks(t)
	const key = testKey + "?token=s3cr3tt0ken"
	srv := newFakeServer(t, func(c *serverConn) error {
		s := script(c.addr())
		s.key = key
		if err := c.acceptUntilPublish(s); err != nil {
			return err
		}
		if err := c.sendStatus(s, "error", "NetStream.Publish.Unauthorized", "bad "+key+" for "+testKey); err != nil {
			return err
		}
		_, err := c.readUntilEOF()
		return err
	})
	cfg := dialConfig(srv)
	cfg.Key = key
	_, err := Dial(context.Background(), cfg)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Dial: %v, want ErrRejected", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Dial: %q shows the stream key", err)
	}
	if !strings.Contains(err.Error(), "NetStream.Publish.Unauthorized") {
		t.Errorf("Dial: %q lacks the status code", err)
	}
	if err := srv.result(t); err != nil {
		t.Errorf("fake server: %v", err)
	}
}

func TestClientTimeout(t *testing.T) {
	cases := []struct {
		name  string
		serve func(c *serverConn, s publishScript) error
	}{
		{"no reply to connect", func(c *serverConn, s publishScript) error {
			if err := c.handshake(); err != nil {
				return err
			}
			_, err := c.readUntilEOF()
			return err
		}},
		{"no handshake", func(c *serverConn, s publishScript) error {
			// C0 and C1 arrive and are never answered; read until the
			// client gives up.
			_, _ = io.Copy(io.Discard, c.nc)
			return nil
		}},
		{"no reply to publish", func(c *serverConn, s publishScript) error {
			if err := c.acceptUntilPublish(s); err != nil {
				return err
			}
			_, err := c.readUntilEOF()
			return err
		}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			srv := newFakeServer(t, func(c *serverConn) error { return tc.serve(c, script(c.addr())) })
			cfg := dialConfig(srv)
			cfg.Timeout = 500 * time.Millisecond
			start := time.Now()
			c, err := Dial(context.Background(), cfg)
			d := time.Since(start)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("Dial: %v, want ErrTimeout", err)
			}
			if d < 450*time.Millisecond || d > time.Second {
				t.Errorf("Dial gave up after %v, want about the 500ms Timeout", d)
			}
			if err := srv.result(t); err != nil {
				t.Errorf("fake server: %v", err)
			}
		})
	}
}

// TestClientDialCancel: cancelling the context ends the set-up at once,
// with the context's error.
func TestClientDialCancel(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, func(c *serverConn) error {
		if err := c.handshake(); err != nil {
			return err
		}
		_, err := c.readUntilEOF()
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, dialConfig(srv))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Dial returned %v after the context ended", d)
	}
	if err := srv.result(t); err != nil {
		t.Errorf("fake server: %v", err)
	}
}

func TestClientRefused(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, func(c *serverConn) error { return nil })
	addr := srv.addr()
	srv.close()
	_, err := Dial(context.Background(), Config{Addr: addr, App: "live", TCURL: "rtmp://" + addr + "/live", Key: testKey, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Dial to a closed port: %v, want an error naming %s", err, addr)
	}
}

// TestClientWriteStall: a server that stops reading makes a media write
// fail with ErrTimeout after WriteTimeout, and ends the session.
func TestClientWriteStall(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	srv := newFakeServer(t, func(c *serverConn) error {
		if err := c.acceptPublish(script(c.addr())); err != nil {
			return err
		}
		<-release // read nothing more
		return nil
	})
	t.Cleanup(unblock) // runs before the server's cleanup
	cfg := dialConfig(srv)
	cfg.WriteTimeout = 300 * time.Millisecond
	c := dialTest(t, cfg)

	payload := make([]byte, 1<<20)
	var err error
	start := time.Now()
	n := 0
	for ; n < 200 && err == nil; n++ {
		start = time.Now()
		err = c.WriteVideo(uint32(n*33), payload)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("after writing %d MB into a stalled connection: %v, want ErrTimeout", n, err)
	}
	t.Logf("stalled after %d MB", n)
	// The deadline moves only when less than half of the allowance is
	// left (refreshDeadline), so the write that stalls fails between half
	// of WriteTimeout and a little more than all of it.
	if d := time.Since(start); d < cfg.WriteTimeout/2 || d > 2*time.Second {
		t.Errorf("the stalled write failed after %v, want between %v and about %v", d, cfg.WriteTimeout/2, cfg.WriteTimeout)
	}
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatal("Done() not closed after the stalled write")
	}
	if !errors.Is(c.Err(), ErrTimeout) {
		t.Errorf("Err() = %v, want ErrTimeout", c.Err())
	}
	if err := c.WriteAudio(0, []byte{0xaf, 1}); err == nil {
		t.Error("WriteAudio after the stall succeeded")
	}
	c.Close()
	unblock()
	if err := srv.result(t); err != nil {
		t.Errorf("fake server: %v", err)
	}
}

// TestClientPingAndAck: the client answers pings and acknowledges what it
// received once the server's window is reached.
func TestClientPingAndAck(t *testing.T) {
	checkLeaks(t)
	const pingTS, window = 0xcafe0001, 2500
	checked := make(chan uint32, 1)
	srv := newFakeServer(t, func(c *serverConn) error {
		s := script(c.addr())
		if err := c.acceptPublish(s); err != nil {
			return err
		}
		if err := c.sendControl(chunk.NewUserControl(chunk.EventPingRequest, pingTS)); err != nil {
			return err
		}
		m, err := c.read()
		if err != nil {
			return fmt.Errorf("waiting for the ping response: %w", err)
		}
		var uc chunk.UserControl
		if m.TypeID != chunk.TypeUserControl || uc.Unmarshal(m.Payload) != nil || uc.Event != chunk.EventPingResponse {
			return fmt.Errorf("after a ping request: type %d payload % x, want a ping response", m.TypeID, m.Payload)
		}
		if ts, _ := uc.Field(0); ts != pingTS {
			return fmt.Errorf("ping response for %#x, want %#x", ts, pingTS)
		}

		if err := c.sendControl(chunk.WindowAckSize{Size: window}); err != nil {
			return err
		}
		if err := c.send(&chunk.Message{ChunkStreamID: 5, TypeID: chunk.TypeDataAMF0, StreamID: s.streamID, Payload: make([]byte, window+500)}); err != nil {
			return err
		}
		m, err = c.read()
		if err != nil {
			return fmt.Errorf("waiting for an Ack: %w", err)
		}
		var ack chunk.Ack
		if m.TypeID != chunk.TypeAck || ack.Unmarshal(m.Payload) != nil {
			return fmt.Errorf("after %d bytes with a window of %d: type %d payload % x, want an Ack", window+500, window, m.TypeID, m.Payload)
		}
		if ack.SequenceNumber < window || uint64(ack.SequenceNumber) > c.written {
			return fmt.Errorf("Ack of %d bytes; %d were sent, window %d", ack.SequenceNumber, c.written, window)
		}
		checked <- ack.SequenceNumber
		msgs, err := c.readUntilEOF()
		if err == nil && len(msgs) != 2 {
			err = fmt.Errorf("after the Ack: %d messages, want FCUnpublish and deleteStream", len(msgs))
		}
		return err
	})
	c := dialTest(t, dialConfig(srv))
	select {
	case seq := <-checked:
		t.Logf("Ack %d", seq)
	case err := <-srv.results:
		t.Fatalf("fake server: %v", err)
	case <-time.After(3 * time.Second):
		t.Fatal("no Ack")
	}
	c.Close()
	if err := srv.result(t); err != nil {
		t.Errorf("fake server: %v", err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fake RTMPS server"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestClientRTMPS: the session over TLS, and its clean end (close_notify
// instead of a TCP half-close).
func TestClientRTMPS(t *testing.T) {
	checkLeaks(t)
	cert, pool := selfSigned(t)
	ln := tls.NewListener(listen(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	got := make(chan []*chunk.Message, 1)
	srv := newFakeServerOn(t, ln, func(c *serverConn) error {
		if err := c.acceptPublish(script(c.addr())); err != nil {
			return err
		}
		msgs, err := c.readUntilEOF()
		got <- msgs
		return err
	})

	t.Run("untrusted", func(t *testing.T) {
		cfg := dialConfig(srv)
		cfg.TLS = &tls.Config{ServerName: "127.0.0.1"}
		_, err := Dial(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
			t.Errorf("Dial with an untrusted certificate: %v, want a TLS handshake error", err)
		}
		if err := srv.result(t); err == nil {
			t.Error("fake server: the TLS handshake succeeded")
		}
	})

	cfg := dialConfig(srv)
	cfg.TLS = &tls.Config{ServerName: "127.0.0.1", RootCAs: pool}
	c := dialTest(t, cfg)
	payload := bytes.Repeat([]byte{0x27, 1, 0, 0, 0}, 2000)
	if err := c.WriteVideo(40, payload); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := srv.result(t); err != nil {
		t.Fatalf("fake server: %v", err)
	}
	msgs := <-got
	if len(msgs) != 3 || msgs[0].TypeID != chunk.TypeVideo || msgs[0].Timestamp != 40 || !bytes.Equal(msgs[0].Payload, payload) {
		t.Fatalf("server got %d messages, want the video, FCUnpublish and deleteStream", len(msgs))
	}
}
