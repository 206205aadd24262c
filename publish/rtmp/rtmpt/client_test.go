package rtmpt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/leaktest"
)

// echoServer is a minimal RTMPT server for the client's tests: one
// session whose bytes come back; fail, when set, answers requests of that
// command with 500; hold is how long an idle poll waits for bytes.
type echoServer struct {
	hold     time.Duration
	fail     atomic.Value // string: a command answered 500
	mu       sync.Mutex
	pipe     *Pipe
	requests []string // commands, in order
	seqs     []string
}

func (e *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.requests = append(e.requests, parts[0])
	if len(parts) == 3 {
		e.seqs = append(e.seqs, parts[2])
	}
	if parts[0] == "open" {
		e.pipe = NewPipe(Addr("s"), Addr("c"), 1<<20)
	}
	p := e.pipe
	e.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/x-fcs" || r.Method != http.MethodPost {
		http.Error(w, "want a POST of application/x-fcs", http.StatusBadRequest)
		return
	}
	if f, _ := e.fail.Load().(string); f == parts[0] {
		http.Error(w, "broken", http.StatusInternalServerError)
		return
	}
	var out []byte
	switch parts[0] {
	case "open":
		_, _ = w.Write([]byte("s1\n"))
		return
	case "send":
		out = body // echo
	case "idle":
		out = p.Take(e.hold)
	case "close":
		_ = p.Close()
	}
	_, _ = w.Write(append([]byte{1}, out...))
}

func (e *echoServer) count(cmd string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.requests {
		if c == cmd {
			n++
		}
	}
	return n
}

// What the client writes comes back in order, sequence numbers rise from
// 1, and Close sends the close request and ends the goroutine.
func TestClientEcho(t *testing.T) {
	before := runtime.NumGoroutine()
	es := &echoServer{hold: 50 * time.Millisecond}
	hs := httptest.NewServer(es)
	c, err := Dial(context.Background(), hs.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 300_000)
	for i := range want {
		want[i] = byte(i * 7)
	}
	go func() {
		for i := 0; i < len(want); i += 10_000 {
			_, _ = c.Write(want[i : i+10_000])
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes came back changed")
	}
	start := time.Now()
	_ = c.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if n := es.count("close"); n != 1 {
		t.Errorf("%d close requests", n)
	}
	es.mu.Lock()
	for i, s := range es.seqs {
		if s != strconv.Itoa(i+1) {
			t.Errorf("sequence numbers %v", es.seqs)
			break
		}
	}
	es.mu.Unlock()
	hs.Close()
	leaktest.Check(t, before, 2*time.Second)
}

// A server that answers empty polls at once is polled less often, up to
// maxPollWait apart; bytes written still go at once.
func TestClientPollBackoff(t *testing.T) {
	es := &echoServer{}
	hs := httptest.NewServer(es)
	defer hs.Close()
	c, err := Dial(context.Background(), hs.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(time.Second)
	if n := es.count("idle"); n > 30 || n < 5 {
		t.Errorf("%d idle polls in 1 s of a server that holds none, want 5..30", n)
	}
	start := time.Now()
	_, _ = c.Write([]byte("x"))
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 1)
	if _, err := c.Read(b); err != nil || b[0] != 'x' {
		t.Fatal(b, err)
	}
	if d := time.Since(start); d > maxPollWait+50*time.Millisecond {
		t.Errorf("a write waited %v for the polls", d)
	}
}

// A failing request breaks the tunnel: reads and writes say so.
func TestClientBroken(t *testing.T) {
	es := &echoServer{hold: 20 * time.Millisecond}
	hs := httptest.NewServer(es)
	defer hs.Close()
	c, err := Dial(context.Background(), hs.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	es.fail.Store("idle")
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if !errors.Is(err, ErrTunnel) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("read: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, ErrTunnel) {
		t.Fatalf("write: %v", err)
	}
}

// A server that ends the session (404 on its id) ends reads with EOF.
func TestClientEndedByServer(t *testing.T) {
	es := &echoServer{hold: 20 * time.Millisecond}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/idle/") {
			http.NotFound(w, r)
			return
		}
		es.ServeHTTP(w, r)
	}))
	defer hs.Close()
	c, err := Dial(context.Background(), hs.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v", err)
	}
}

// Opening: a web server that is not RTMPT, a garbled session id, no
// server at all.
func TestClientDialErrors(t *testing.T) {
	before := runtime.NumGoroutine()
	notRTMPT := httptest.NewServer(http.NotFoundHandler())
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, c := range []struct {
		base, want string
		is         error
	}{
		{notRTMPT.URL, "404 Not Found to the RTMPT opening", ErrNotRTMPT},
		{garbled.URL, "not a session id", ErrNotRTMPT},
		{closedURL, "connection refused", nil},
		{"ftp://x", "want http://host:port", ErrNotRTMPT},
	} {
		_, err := Dial(context.Background(), c.base, nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: %v, want %q", c.base, err, c.want)
		}
	}
	notRTMPT.Close()
	garbled.Close()
	leaktest.Check(t, before, 2*time.Second)
}
