package loopback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestRTMPTWithFFmpeg: the ffmpeg CLI publishes over rtmpt:// (RTMP in
// HTTP POSTs, on the HTTP port) and ffprobe plays it back over rtmpt://
// and rtmp://.
func TestRTMPTWithFFmpeg(t *testing.T) {
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmpt://"+s.HTTPAddr()+"/live/tunnel", 12*time.Second)
	waitStream(t, s, "tunnel")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	for _, url := range []string{"rtmpt://" + s.HTTPAddr() + "/live/tunnel", "rtmp://" + s.RTMPAddr() + "/live/tunnel"} {
		p, err := peer.FFprobe(ctx, url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		v, okv := p.Stream("video")
		a, oka := p.Stream("audio")
		if !okv || v.CodecName != "h264" || !oka || a.CodecName != "aac" {
			t.Fatalf("%s: %+v, want h264 and aac", url, p.Streams)
		}
	}
}

// post sends one RTMPT request.
func post(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-fcs")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestRTMPTBadRequests: an unknown session, a sequence number out of
// order, a GET, a bad path: each refused with its status and reason, the
// session itself undisturbed; the handshake goes through the tunnel.
func TestRTMPTBadRequests(t *testing.T) {
	s := startServer(t, Config{})
	base := "http://" + s.HTTPAddr()
	code, b := post(t, http.MethodPost, base+"/open/1", []byte{0})
	id := strings.TrimSpace(string(b))
	if code != 200 || id == "" {
		t.Fatalf("open: %d %q", code, b)
	}
	for _, c := range []struct {
		name, method, path string
		code               int
		says               string
	}{
		{"unknown session", http.MethodPost, "/idle/123/1", 404, "unknown session"},
		{"GET", http.MethodGet, "/idle/" + id + "/1", 405, "POST"},
		{"bad sequence number", http.MethodPost, "/idle/" + id + "/x", 400, "sequence number"},
		{"bad path", http.MethodPost, "/send/" + id, 400, "path"},
		{"Flash's probe", http.MethodPost, "/fcs/ident2", 404, ""},
	} {
		code, b := post(t, c.method, base+c.path, []byte{0})
		if code != c.code || !strings.Contains(string(b), c.says) {
			t.Errorf("%s: %d %q, want %d saying %q", c.name, code, b, c.code, c.says)
		}
	}
	// The handshake through the tunnel: C0 C1 in a send, S0 S1 S2 back.
	c0c1 := append([]byte{3}, make([]byte, 1536)...)
	code, b = post(t, http.MethodPost, fmt.Sprintf("%s/send/%s/1", base, id), c0c1)
	got := b[1:]
	for seq := 2; len(got) < 1+2*1536 && seq < 20; seq++ {
		_, more := post(t, http.MethodPost, fmt.Sprintf("%s/idle/%s/%d", base, id, seq), []byte{0})
		got = append(got, more[1:]...)
	}
	if code != 200 || len(got) != 1+2*1536 || got[0] != 3 || !bytes.Equal(got[1+1536:], c0c1[1:]) {
		t.Fatalf("handshake through the tunnel: %d, %d bytes", code, len(got))
	}
	// A sequence number that goes back is refused; the next one works.
	if code, b := post(t, http.MethodPost, fmt.Sprintf("%s/idle/%s/1", base, id), []byte{0}); code != 400 || !strings.Contains(string(b), "sequence number 1 after") {
		t.Errorf("out of order: %d %q", code, b)
	}
	if code, b := post(t, http.MethodPost, fmt.Sprintf("%s/close/%s/100", base, id), []byte{0}); code != 200 || len(b) != 1 {
		t.Errorf("close: %d %q", code, b)
	}
}

// FuzzRTMPTPath: any path parses or is refused; what parses names a
// command, and a session and a sequence number unless it opens.
func FuzzRTMPTPath(f *testing.F) {
	for _, p := range []string{"/open/1", "/send/123/4", "/idle/9/0", "/close/1/2", "/send//1", "/idle/1/-1", "/x"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r, err := parseRTMPTPath(p)
		if err != nil {
			if !errors.Is(err, ErrRTMPTRequest) {
				t.Fatalf("%q: %v", p, err)
			}
			return
		}
		switch r.cmd {
		case "open":
		case "send", "idle", "close":
			if r.id == "" || r.seq < 0 || strings.Contains(r.id, "/") {
				t.Fatalf("%q: %+v", p, r)
			}
		default:
			t.Fatalf("%q: command %q", p, r.cmd)
		}
	})
}
