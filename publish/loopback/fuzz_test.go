package loopback

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/yutopp/go-rtmp/handshake"

	"onair/publish/rtmp"
	"onair/publish/rtmp/chunk"
)

// FuzzUnit feeds arbitrary FLV tag bodies to what the server parses of
// them: classification, the HLS conversion and the codec descriptions.
func FuzzUnit(f *testing.F) {
	f.Add(uint8(9), []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88})
	f.Add(uint8(9), []byte{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xeb})
	f.Add(uint8(8), []byte{0xaf, 0, 0x11, 0x90})
	f.Add(uint8(8), []byte{0xaf, 1, 0x21, 0x10})
	f.Add(uint8(18), []byte("\x02\x00\x0d@setDataFrame\x02\x00\x0aonMetaData"))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		u := &Unit{Kind: []Kind{KindAudio, KindVideo, KindData}[kind%3], Body: body}
		classify(u)
		for _, lengthSize := range []int{1, 2, 4} {
			if p, err := toPacket(u, lengthSize); err == nil && p != nil && len(p.Data) == 0 {
				t.Fatalf("toPacket(%d): an empty packet and no error", lengthSize)
			}
		}
		videoConfig(u, 4)
		audioConfig(u)
		describe(u, u)
		rtmp.StripSetDataFrame(body)
		streamName(string(body))
		queryOf(string(body))
		// The recorder's conversions (dvr.go).
		for _, lengthSize := range []int{1, 2, 4} {
			if p := unitPacket(u, lengthSize); p != nil && len(p.Data) == 0 {
				t.Fatalf("unitPacket(%d): an empty packet", lengthSize)
			}
		}
		videoCodecConfig(u)
		audioCodecConfig(u)
	})
}

// FuzzAPI sends arbitrary methods, paths and queries to the HTTP API
// (status, recordings, clients, kick, ban) of a server with a token: it
// answers each with a status, never a panic, and nothing passes without
// the token.
func FuzzAPI(f *testing.F) {
	f.Add("POST", "streams/x/ban", "for=10m", true)
	f.Add("POST", "clients/1/kick", "", true)
	f.Add("GET", "clients", "token=t", false)
	f.Add("POST", "streams//kick", "for=-1s", true)
	f.Add("GET", "recordings", "", true)
	s, err := Start(Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", APIToken: "t", RecordDir: f.TempDir(), RecordOff: true})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	f.Fuzz(func(t *testing.T, method, path, query string, auth bool) {
		u := &url.URL{Path: "/api/" + path, RawQuery: query}
		req, err := http.NewRequest(method, u.String(), nil)
		if err != nil {
			return // not a request a client could send
		}
		if auth {
			req.Header.Set("Authorization", "Bearer t")
		}
		w := httptest.NewRecorder()
		s.serveAPI(w, req)
		if w.Code == 0 {
			t.Fatal("no status")
		}
		if !auth && req.URL.Query().Get("token") != "t" && w.Code != http.StatusUnauthorized {
			t.Fatalf("%s %s?%s without the token: %d", method, path, query, w.Code)
		}
	})
}

// FuzzServerSession sends arbitrary chunk streams to a server session after
// a valid handshake: it must end with an error or normally, never panic or
// hang.
func FuzzServerSession(f *testing.F) {
	var seed bytes.Buffer
	w := chunk.NewWriter(&seed)
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 3, TypeID: 20, Payload: []byte("\x02\x00\x07connect\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x03\x00\x03app\x02\x00\x04live\x00\x00\x09")})
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 3, TypeID: 20, Payload: []byte("\x02\x00\x0ccreateStream\x00\x40\x00\x00\x00\x00\x00\x00\x00\x05")})
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 8, TypeID: 20, StreamID: 1, Payload: []byte("\x02\x00\x07publish\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x02\x00\x01s\x02\x00\x04live")})
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 6, TypeID: 9, StreamID: 1, Payload: []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65}})
	f.Add(seed.Bytes())
	f.Add([]byte{2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		srv := newServer(Config{ReaderQueue: 8, WriteTimeout: time.Second, Logger: discardLogger()})
		defer srv.hub.Close()
		defer srv.cancel()
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c := &rtmpConn{srv: srv}
			c.sess = rtmp.NewServerSession(a, rtmp.ServerConfig{HandshakeTimeout: time.Second, WriteTimeout: time.Second, Logger: discardLogger()})
			_ = c.sess.Serve(c)
			c.sess.Close()
			c.wg.Wait()
		}()
		_ = b.SetDeadline(time.Now().Add(2 * time.Second))
		drained := make(chan struct{})
		if err := handshakeClient(b); err == nil {
			go func() {
				// Read everything the server says so that it never blocks.
				defer close(drained)
				_, _ = io.Copy(io.Discard, b)
			}()
			_, _ = b.Write(in)
		} else {
			close(drained)
		}
		b.Close()
		<-done
		<-drained
		srv.wg.Wait()
	})
}

func handshakeClient(c net.Conn) error {
	return handshake.HandshakeWithServer(c, c, &handshake.Config{SkipHandshakeVerification: true})
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
