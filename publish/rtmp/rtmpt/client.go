// Package rtmpt carries an RTMP session in HTTP POSTs (RTMPT; RTMPTS over
// HTTPS), for networks that let only HTTP out. A client opens a session
// (POST /open/1, the reply is its id), then sends bytes (POST
// /send/ID/SEQ) and polls (POST /idle/ID/SEQ); the first byte of each
// reply is the server's polling interval, the rest what the server had
// queued; POST /close/ID/SEQ ends it. Each end sees the session as a
// net.Conn (Pipe), so the RTMP code above runs unchanged.
package rtmpt

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/logx"
)

// ErrNotRTMPT is returned by Dial when the server answers the opening
// request with something other than a session (an HTTP server that does
// not tunnel RTMP).
var ErrNotRTMPT = errors.New("not an RTMPT server")

// ErrTunnel is what reads and writes return once a request of the
// tunnel failed (the HTTP connection broke, or the server refused it).
var ErrTunnel = errors.New("RTMPT tunnel broken")

// Client timing. The server answers an idle poll when it has something,
// or after its own hold; a server that answers empty polls at once is
// polled less often, up to maxPollWait apart.
const (
	// sendLinger: after a send, how long to wait for the next write before
	// polling (a publisher writes every few tens of milliseconds; a poll
	// in flight would hold its next write back).
	sendLinger = 50 * time.Millisecond
	// minPollWait and maxPollWait bound the wait between empty polls of a
	// server that does not hold them.
	minPollWait = 10 * time.Millisecond
	maxPollWait = 100 * time.Millisecond
	// quickReply: an empty poll answered within this did not wait.
	quickReply = 20 * time.Millisecond
	// requestTimeout bounds one request.
	requestTimeout = 15 * time.Second
	// closeGrace bounds what Close waits for queued bytes and the close
	// request.
	closeGrace = 2 * time.Second
	// clientMaxOut: queued bytes past which the RTMP client's writes wait
	// (and time out like a socket's).
	clientMaxOut = 1 << 20
	// maxReply: the largest reply read.
	maxReply = 64 << 20
)

// Addr is an RTMPT end's address.
type Addr string

// Network is "rtmpt".
func (a Addr) Network() string { return "rtmpt" }

// String is the address.
func (a Addr) String() string { return string(a) }

// Conn is the client end of an RTMPT session: a net.Conn over HTTP
// requests, one at a time, made by its own goroutine. Close returns once
// that goroutine has ended.
type Conn struct {
	*Pipe
	hc     *http.Client
	tr     *http.Transport
	base   string // scheme://host:port
	id     string
	seq    int64
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Dial opens an RTMPT session with the server at base, "http://host:port"
// (RTMPT) or "https://host:port" (RTMPTS, with tlsConf; nil verifies the
// server as usual). ctx bounds the opening only. Errors wrap the HTTP
// client's (net errors, *tls.CertificateVerificationError) or ErrNotRTMPT.
func Dial(ctx context.Context, base string, tlsConf *tls.Config, log *slog.Logger) (*Conn, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("RTMPT base %q: want http://host:port or https://host:port: %w", base, ErrNotRTMPT)
	}
	var d net.Dialer
	tr := &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: requestTimeout,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		Proxy:               http.ProxyFromEnvironment,
	}
	c := &Conn{
		Pipe: NewPipe(Addr("rtmpt-client"), Addr(u.Host), clientMaxOut),
		hc:   &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		tr:   tr,
		base: strings.TrimRight(base, "/"),
		log:  logx.OrDiscard(log),
		done: make(chan struct{}),
	}
	reply, err := c.post(ctx, "/open/1")
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	c.id = strings.TrimSpace(string(reply))
	if c.id == "" || strings.ContainsAny(c.id, "/ ") || len(c.id) > 64 {
		tr.CloseIdleConnections()
		return nil, fmt.Errorf("%s answered the RTMPT opening with %q, not a session id: %w", u.Host, clip(reply), ErrNotRTMPT)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.log.Debug("rtmpt session open", "server", u.Host, "id", c.id)
	go c.run()
	return c, nil
}

// run moves bytes both ways until the pipe closes or a request fails.
func (c *Conn) run() {
	defer close(c.done)
	defer c.tr.CloseIdleConnections()
	wait := time.Duration(0) // how long to wait for bytes to send before polling
	for {
		out := c.Take(wait)
		closing := c.Done()
		if closing && len(out) == 0 {
			if _, err := c.exchange("close", []byte{0}); err != nil {
				c.log.Debug("rtmpt close", "err", err)
			}
			return
		}
		cmd, body := "send", out
		if len(out) == 0 {
			cmd, body = "idle", []byte{0}
		}
		start := time.Now()
		in, err := c.exchange(cmd, body)
		if err != nil {
			if errors.Is(err, errEnded) {
				c.log.Debug("rtmpt session ended by the server")
				_ = c.Pipe.Close()
			} else {
				_ = c.CloseWithError(err)
			}
			c.Feed(in)
			return
		}
		c.Feed(in)
		switch {
		case cmd == "send":
			wait = sendLinger
		case len(in) > 0 || time.Since(start) >= quickReply:
			wait = 0 // the server had something, or held the poll itself
		default:
			wait = min(max(2*wait, minPollWait), maxPollWait)
		}
	}
}

// errEnded: the server no longer knows the session (it ended it).
var errEnded = errors.New("RTMPT session ended by the server")

// exchange makes request cmd with body and returns the reply's bytes
// after its polling-interval byte.
func (c *Conn) exchange(cmd string, body []byte) ([]byte, error) {
	c.seq++
	ctx, cancel := context.WithTimeout(c.ctx, requestTimeout)
	defer cancel()
	reply, err := c.postBody(ctx, "/"+cmd+"/"+c.id+"/"+strconv.FormatInt(c.seq, 10), body)
	if err != nil {
		return nil, err
	}
	if len(reply) == 0 {
		return nil, fmt.Errorf("%w: an empty reply to %s", ErrTunnel, cmd)
	}
	return reply[1:], nil
}

func (c *Conn) post(ctx context.Context, path string) ([]byte, error) {
	return c.postBody(ctx, path, []byte{0})
}

// postBody POSTs body to path and returns the reply's body.
func (c *Conn) postBody(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTunnel, err)
	}
	req.Header.Set("Content-Type", "application/x-fcs")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("User-Agent", "OnAir (compatible; Shockwave Flash)")
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is known to the caller
		}
		if path == "/open/1" {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrTunnel, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, fmt.Errorf("%w: reading a reply: %w", ErrTunnel, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return reply, nil
	case path == "/open/1":
		return nil, fmt.Errorf("%s answered %s to the RTMPT opening: %w", req.URL.Host, resp.Status, ErrNotRTMPT)
	case resp.StatusCode == http.StatusNotFound:
		return nil, errEnded
	}
	return nil, fmt.Errorf("%w: the server answered %s (%s)", ErrTunnel, resp.Status, clip(reply))
}

// Close ends the session: bytes already written are sent, then the close
// request, within closeGrace. It returns once the tunnel's goroutine has
// ended.
func (c *Conn) Close() error {
	c.once.Do(func() {
		_ = c.Pipe.Close()
		t := time.AfterFunc(closeGrace, c.cancel)
		<-c.done
		t.Stop()
		c.cancel()
	})
	return nil
}

// clip is a reply shortened for an error message.
func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
