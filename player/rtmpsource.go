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
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/urlmask"
	"onair/publish/flv"
	"onair/publish/rtmfp"
	"onair/publish/rtmp"
)

// rtmpSource plays the RTMP family (rtmp, rtmps, rtmpt, rtmpts, rtmpe,
// rtmpte) with OnAir's own RTMP client and hands the messages to
// flvDemuxer. FFmpeg's RTMP client needs 0.3–2 s on loopback before the first picture arrives
// (it negotiates a buffer and probes); ours asks for the stream and passes
// on the first message at once (see `make bench`).
//
// A recorded stream (video on demand: the server's onMetaData gives a
// duration) can seek and pause: the commands go to the server in order
// from one goroutine, and media the server sent before a seek took effect
// is discarded until it confirms (NetStream.Seek.Notify).
type rtmpSource struct {
	c      playConn
	ctx    context.Context
	cancel context.CancelFunc
	stall  time.Duration
	wg     sync.WaitGroup

	// Reader goroutine only.
	vod     bool   // recorded: Play.Stop is its end
	waitFor string // discard media until this status
	// After a seek to seekAt: when seekBack > 0, the first picture is
	// checked; a server that started past the target (nginx-rtmp starts at
	// the next keyframe) is asked again, seekBack earlier.
	seekAt, seekBack time.Duration

	cmds   chan vodCommand // to the server, in order
	paused atomic.Bool     // the viewer paused: silence is no stall

	mu      sync.Mutex
	err     error // why reading ended
	wctx    context.Context
	wcancel context.CancelFunc // interrupt: makes a blocked nextTag return ErrEagain
}

// vodCommand is a seek (pause false, seek true) or a pause/resume at d.
type vodCommand struct {
	seek, pause bool
	d           time.Duration
}

// rtmpTarget splits an RTMP-family URL into what the client needs.
func rtmpTarget(raw string) (rtmp.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return rtmp.Config{}, fmt.Errorf("malformed URL: %w", ErrUnsupportedURL)
	}
	sc, ok := rtmp.LookupScheme(u.Scheme)
	if strings.EqualFold(u.Scheme, "rtmfp") {
		sc, ok = rtmp.Scheme{Name: "rtmfp", Port: "1935"}, true // UDP: dialRTMFP
	}
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

// playConn is what rtmpSource reads from: OnAir's RTMP client, or its
// RTMFP one (rtmfpPlay).
type playConn interface {
	ReadMedia(ctx context.Context) (rtmp.Media, error)
	Seek(d time.Duration) error
	Pause(pause bool, d time.Duration) error
	// Recorded: the server said the stream is a recording.
	Recorded() bool
	Close() error
}

// rtmfpPlay adapts the RTMFP client: live streams only, no seeking.
type rtmfpPlay struct{ *rtmfp.Client }

func (c rtmfpPlay) ReadMedia(ctx context.Context) (rtmp.Media, error) {
	m, err := c.Client.ReadMedia(ctx)
	return rtmp.Media{TypeID: m.TypeID, Timestamp: m.Timestamp, Payload: m.Payload, Status: m.Status}, err
}

func (c rtmfpPlay) Seek(time.Duration) error        { return errNoRTMFPSeek }
func (c rtmfpPlay) Recorded() bool                  { return false }
func (c rtmfpPlay) Pause(bool, time.Duration) error { return errNoRTMFPSeek }

var errNoRTMFPSeek = errors.New("RTMFP streams are live: no seeking or pausing at the server")

// dialRTMFP plays an rtmfp:// URL.
func dialRTMFP(ctx context.Context, s source, o openOptions, log *slog.Logger) (playConn, error) {
	t, err := rtmpTarget(s.url)
	if err != nil {
		return nil, err
	}
	key, fp := rtmfp.SplitFingerprint(t.Key)
	c, err := rtmfp.Dial(ctx, rtmfp.Config{Addr: t.Addr, App: t.App, TCURL: t.TCURL, Key: key,
		Fingerprint: fp, Play: true, Timeout: o.timeout, Logger: log})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, rtmfp.ErrRejected) {
			return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrUnreachable)
	}
	return rtmfpPlay{c}, nil
}

func dialRTMPSource(ctx context.Context, s source, o openOptions, log *slog.Logger) (*rtmpSource, error) {
	if strings.HasPrefix(strings.ToLower(s.url), "rtmfp:") {
		c, err := dialRTMFP(ctx, s, o, log)
		if err != nil {
			return nil, err
		}
		return newRTMPSource(c, o.stall), nil
	}
	cfg, err := rtmpTarget(s.url)
	if err != nil {
		return nil, err
	}
	timeout, stall, insecure := o.timeout, o.stall, o.insecure
	cfg.Play, cfg.Timeout, cfg.Start, cfg.Logger = true, timeout, o.start, log
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
	return newRTMPSource(c, stall), nil
}

func newRTMPSource(c playConn, stall time.Duration) *rtmpSource {
	rs := &rtmpSource{c: c, stall: stall, cmds: make(chan vodCommand, 8)}
	rs.ctx, rs.cancel = context.WithCancel(context.Background())
	rs.wctx, rs.wcancel = context.WithCancel(rs.ctx)
	rs.wg.Add(1)
	go func() { defer rs.wg.Done(); rs.runCommands() }()
	return rs
}

// runCommands sends the viewer's seeks and pauses to the server, in order.
// A seek while the server is paused resumes it, so that the picture at the
// target arrives (the player, paused, shows it and then holds the rest
// back: TCP pushes back on the server).
func (s *rtmpSource) runCommands() {
	serverPaused := false
	for {
		var cmd vodCommand
		select {
		case <-s.ctx.Done():
			return
		case cmd = <-s.cmds:
		}
		var err error
		switch {
		case cmd.seek:
			err = s.c.Seek(cmd.d)
			if err == nil && serverPaused {
				err = s.c.Pause(false, cmd.d)
				serverPaused = false
			}
		case cmd.pause != serverPaused:
			err = s.c.Pause(cmd.pause, cmd.d)
			serverPaused = cmd.pause
		}
		if err != nil {
			return // the connection failed: reading will say so
		}
	}
}

// command queues cmd for the server; never blocks (a full queue means the
// connection is stuck: reading will report it).
func (s *rtmpSource) command(cmd vodCommand) {
	select {
	case s.cmds <- cmd:
	default:
	}
}

// seek moves a recorded stream to d; reader goroutine. Servers start at a
// keyframe: most at the one at or before d, nginx-rtmp at the next one;
// when the first picture after the seek is past d, the source asks again
// back earlier (a keyframe interval: see seekAt), once.
func (s *rtmpSource) seek(d, back time.Duration) {
	s.waitFor = "NetStream.Seek.Notify"
	s.seekAt, s.seekBack = d, back
	s.command(vodCommand{seek: true, d: d})
}

// setPaused pauses or resumes a recorded stream at d; any goroutine.
func (s *rtmpSource) setPaused(on bool, d time.Duration) {
	s.paused.Store(on)
	s.command(vodCommand{pause: on, d: d})
}

// interrupt makes a nextTag blocked on the network return ErrEagain (a
// seek waits to be done); any goroutine.
func (s *rtmpSource) interrupt() {
	s.mu.Lock()
	s.wcancel()
	s.mu.Unlock()
}

// nextTag is the next media message, for flvDemuxer. Its errors are
// FFmpeg's codes, as Read's.
func (s *rtmpSource) nextTag() (flvTag, error) {
	for {
		if s.Err() != nil {
			return flvTag{}, s.errCode()
		}
		s.mu.Lock()
		wctx := s.wctx
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(wctx, s.stall)
		m, err := s.c.ReadMedia(ctx)
		cancel()
		if err != nil {
			switch {
			case wctx.Err() != nil && s.ctx.Err() == nil: // interrupted
				s.mu.Lock()
				s.wctx, s.wcancel = context.WithCancel(s.ctx)
				s.mu.Unlock()
				return flvTag{}, astiav.ErrEagain
			case s.paused.Load() && s.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
				continue // a paused server sends nothing
			case s.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
				err = fmt.Errorf("nothing arrived for %v: %w", s.stall, ErrStalled)
			}
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			return flvTag{}, s.errCode()
		}
		switch m.TypeID {
		case rtmp.TypeStatus:
			switch {
			case s.waitFor != "" && (m.Status == s.waitFor || strings.HasPrefix(m.Status, "NetStream.Seek.")):
				s.waitFor = "" // the seek took effect (or failed: go on as is)
			case s.vod && s.waitFor == "" && (m.Status == "NetStream.Play.Stop" || m.Status == "NetStream.Play.Complete"):
				s.mu.Lock()
				s.err = fmt.Errorf("the recording ended: %w", rtmp.ErrClosed)
				s.mu.Unlock()
				return flvTag{}, astiav.ErrEof
			}
		case 8, 9, 18:
			if s.waitFor != "" {
				continue // sent before the seek
			}
			if s.seekBack > 0 {
				if m.TypeID != 9 {
					continue // until the picture the seek starts at is known good
				}
				if info, err := flv.ParseVideo(m.Payload); err == nil && !info.Header {
					at := time.Duration(m.Timestamp) * time.Millisecond
					if at > s.seekAt+time.Millisecond {
						s.waitFor = "NetStream.Seek.Notify"
						s.command(vodCommand{seek: true, d: max(0, s.seekAt-s.seekBack)})
					}
					s.seekBack = 0
					if s.waitFor != "" {
						continue
					}
				}
			}
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
	case errors.Is(err, rtmp.ErrClosed), errors.Is(err, rtmfp.ErrClosed):
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
	s.wg.Wait()
	s.c.Close()
}
