package player

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/urlmask"
	"onair/publish/rtmp"
)

// rtmpSource plays the RTMP family (rtmp, rtmps, rtmpt, rtmpts, rtmpe,
// rtmpte) with OnAir's own RTMP client and hands the messages to
// flvDemuxer. FFmpeg's RTMP client needs 0.3–2 s on loopback before the first picture arrives
// (it negotiates a buffer and probes); ours asks for the stream and passes
// on the first message at once (see `make bench`).
type rtmpSource struct {
	c      *rtmp.Client
	ctx    context.Context
	cancel context.CancelFunc
	stall  time.Duration

	mu  sync.Mutex
	err error // why reading ended
}

// rtmpTarget splits an RTMP-family URL into what the client needs.
func rtmpTarget(raw string) (rtmp.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return rtmp.Config{}, fmt.Errorf("malformed URL: %w", ErrUnsupportedURL)
	}
	sc, ok := rtmp.LookupScheme(u.Scheme)
	if !ok {
		return rtmp.Config{}, fmt.Errorf("%s: scheme %q, want %s: %w", urlmask.Mask(raw), u.Scheme, rtmp.SchemeNames(), ErrUnsupportedURL)
	}
	port := u.Port()
	if port == "" {
		port = sc.Port
	}
	host := u.Hostname()
	path := strings.Trim(u.Path, "/")
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return rtmp.Config{}, fmt.Errorf("%s: want %s://host/app/stream: %w", urlmask.Mask(raw), sc.Name, ErrUnsupportedURL)
	}
	app, key := path[:i], path[i+1:]
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	addr := net.JoinHostPort(host, port)
	cfg := rtmp.Config{Addr: addr, App: app, TCURL: sc.Name + "://" + addr + "/" + app, Key: key, Tunnel: sc.Tunnel, Encrypt: sc.Encrypt}
	if sc.TLS {
		cfg.TLS = &tls.Config{ServerName: host}
	}
	return cfg, nil
}

func dialRTMPSource(ctx context.Context, s source, timeout, stall time.Duration, insecure bool, log *slog.Logger) (*rtmpSource, error) {
	cfg, err := rtmpTarget(s.url)
	if err != nil {
		return nil, err
	}
	cfg.Play, cfg.Timeout, cfg.Logger = true, timeout, log
	// What flvDemuxer decodes: servers may send E-RTMP only to players
	// that say they read it.
	cfg.Enhanced = []string{"avc1", "hvc1", "av01", "mp4a", "Opus"}
	if cfg.TLS != nil {
		cfg.TLS.InsecureSkipVerify = insecure //nolint:gosec // the user asked for it
	}
	c, err := rtmp.Dial(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var certErr *tls.CertificateVerificationError
		switch {
		case errors.Is(err, rtmp.ErrRejected):
			return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrNotFound)
		case errors.As(err, &certErr):
			return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrUnreachable)
		}
		return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrUnreachable)
	}
	rs := &rtmpSource{c: c, stall: stall}
	rs.ctx, rs.cancel = context.WithCancel(context.Background())
	return rs, nil
}

// nextTag is the next media message, for flvDemuxer. Its errors are
// FFmpeg's codes, as Read's.
func (s *rtmpSource) nextTag() (flvTag, error) {
	for {
		if s.Err() != nil {
			return flvTag{}, s.errCode()
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.stall)
		m, err := s.c.ReadMedia(ctx)
		cancel()
		if err != nil {
			if s.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("nothing arrived for %v: %w", s.stall, ErrStalled)
			}
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return flvTag{}, s.errCode()
		}
		switch m.TypeID {
		case 8, 9, 18:
			return flvTag{kind: m.TypeID, ts: m.Timestamp, body: m.Payload}, nil
		}
	}
}

// errCode is how FFmpeg sees the end: EOF when the server closed the
// stream, exit when we stopped, a timeout when it stalled.
func (s *rtmpSource) errCode() error {
	err := s.Err()
	switch {
	case s.ctx.Err() != nil:
		return astiav.ErrExit
	case errors.Is(err, ErrStalled):
		return astiav.ErrEtimedout
	case errors.Is(err, rtmp.ErrClosed):
		return astiav.ErrEof
	}
	return astiav.ErrEio
}

// Err is why reading ended (nil while it goes on).
func (s *rtmpSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Abort makes a blocked Read return; Close then ends the session.
func (s *rtmpSource) Abort() { s.cancel() }

func (s *rtmpSource) Close() {
	s.cancel()
	s.c.Close()
}
