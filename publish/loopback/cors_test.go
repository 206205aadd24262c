package loopback

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCORS: every answer of the HTTP port, found or not, carries
// Access-Control-Allow-Origin; OPTIONS is a preflight everywhere, answered
// at once without reaching the handler: on a live .flv address it starts
// no stream.
func TestCORS(t *testing.T) {
	s := startServer(t, Config{VODDir: t.TempDir()})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub, err := dialPublish(ctx, s.RTMPAddr(), "c")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.WriteVideo(0, []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65}); err != nil {
		t.Fatal(err)
	}
	for len(s.Streams()) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the stream did not come up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := "http://" + s.HTTPAddr()
	for _, path := range []string{"/", "/api/streams", "/api/recordings", "/live/none/index.m3u8", "/live/c/master.m3u8",
		"/live/none/seg0.ts", "/live/c.jpg", "/live/none.flv", "/vod/none.mp4", "/nothing"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("GET %s (%d): Access-Control-Allow-Origin %q", path, resp.StatusCode, got)
		}
	}

	for _, path := range []string{"/live/c.flv", "/api/streams", "/live/c/whep", "/"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, base+path, nil)
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 || time.Since(start) > 5*time.Second {
			t.Errorf("OPTIONS %s: %d, %d bytes after %v", path, resp.StatusCode, len(body), time.Since(start))
		}
		h := resp.Header
		if h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			h.Get("Access-Control-Allow-Headers") != "content-type, authorization" || h.Get("Access-Control-Max-Age") == "" {
			t.Errorf("OPTIONS %s: headers %v", path, h)
		}
	}
	if cs := s.Clients(); len(cs) != 1 { // the publisher only
		t.Errorf("clients after the preflights: %+v", cs)
	}
}

// FuzzCORS: whatever a preflight asks, it is answered by withCORS alone,
// and what it echoes is a list of header names, nothing else.
func FuzzCORS(f *testing.F) {
	f.Add("OPTIONS", "content-type, authorization")
	f.Add("OPTIONS", "x\r\nSet-Cookie: a=b")
	f.Add("GET", "")
	f.Add("OPTIONS", ",,")
	f.Fuzz(func(t *testing.T, method, want string) {
		reached := false
		h := withCORS(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
		req := httptest.NewRequest(http.MethodGet, "/live/x.flv", nil)
		req.Method = method
		req.Header["Access-Control-Request-Headers"] = []string{want}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if reached == (method == http.MethodOptions) {
			t.Fatalf("%q reached the handler: %v", method, reached)
		}
		if w.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Fatal("no Access-Control-Allow-Origin")
		}
		if got := w.Header().Get("Access-Control-Allow-Headers"); method == http.MethodOptions && got != corsHeaders {
			if list, ok := headerList(got); !ok || list != got {
				t.Fatalf("echoed %q", got)
			}
		}
		if got := w.Header().Get("Access-Control-Allow-Headers"); strings.ContainsAny(got, "\r\n:;") {
			t.Fatalf("echoed %q", got)
		}
	})
}
