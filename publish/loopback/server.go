package loopback

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"onair/publish/rtmfp"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/ratelog"
)

// ErrNeedPublishKey is returned by Start when asked to listen beyond this
// machine without a publish key: anyone on the network could publish.
var ErrNeedPublishKey = errors.New("listening on a non-loopback address needs a publish key")

// Config configures a Server. Zero fields take the defaults.
type Config struct {
	// RTMPAddr is where RTMP listens. Default 127.0.0.1:1935.
	RTMPAddr string
	// HTTPAddr is where HLS, HTTP-FLV and the status API listen.
	// Default 127.0.0.1:8080.
	HTTPAddr string
	// RTMPSAddr, when set, is where RTMP over TLS listens, with Cert
	// (LoadCert, or SelfSignedCert's; required with RTMPSAddr).
	RTMPSAddr string
	Cert      tls.Certificate
	// RTMFPAddr, when set, is where RTMFP listens (UDP; package rtmfp):
	// publish and play the same streams as over RTMP.
	RTMFPAddr string
	// PublishKey, when set, makes publishing need "?key=K" on the stream
	// name. It never appears in logs.
	PublishKey string
	// WriteTimeout: a viewer that takes longer than this to accept data is
	// disconnected. Default 10 s.
	WriteTimeout time.Duration
	// ReaderQueue: see HubConfig. Default 1024 units.
	ReaderQueue int
	// RecordDir, when set, records every publish into
	// RecordDir/NAME/NAME-YYYY-MM-DD_HH-MM-SS.EXT (see dvr.go), listed
	// by /api/recordings.
	RecordDir string
	// RecordFormat is RecordMP4 (fragmented MP4, the default) or
	// RecordFLV (the tags as sent, every codec the server relays).
	RecordFormat string
	// RecordSegment starts a new file at the first keyframe after this
	// much media. Default 1 h.
	RecordSegment time.Duration
	// RecordKeep, when set, deletes a stream's recordings older than
	// this when it starts a new one. Default: kept.
	RecordKeep time.Duration
	// RecordOff starts with recording off (SetRecording turns it on).
	RecordOff bool
	// SnapshotEvery, with RecordDir, writes each live stream's latest
	// keyframe as JPEG into RecordDir/NAME/ this often. Default off.
	SnapshotEvery time.Duration
	// VODDir, when set, is the folder whose recordings (FLV, MP4) are
	// played on demand: rtmp://RTMP/vod/FILE (seek, pause, paced in real
	// time), http://HTTP/vod/FILE (byte ranges) and
	// http://HTTP/vod/FILE/index.m3u8 (HLS, H.264 and AAC). FILE is a
	// path below it; nothing outside it is served. See vod*.go.
	VODDir string
	// OnPublish, OnPlay and OnUnpublish are hook URLs (see hooks.go):
	// a JSON POST before a publish or a play, which a 2xx reply allows
	// and anything else refuses; after an unpublish, a notice.
	OnPublish, OnPlay, OnUnpublish string
	// HookTimeout is how long a hook may take to answer; no answer
	// refuses. Default 3 s.
	HookTimeout time.Duration
	// APIToken, when set, is what /api/… wants (see clients.go); required
	// when listening beyond this machine.
	APIToken string
	// Transcode, when set, is the ladder every live stream is transcoded
	// to (ParseLadder; transcode.go): NAME_480p … over RTMP, HTTP-FLV and
	// HLS, and /live/NAME/master.m3u8 listing the source and them.
	Transcode []Rendition
	// Logger receives warnings and debug lines; nil discards them.
	Logger *slog.Logger

	// transcodeDelay, in tests, makes each rendition's encoding of a
	// picture take this much longer (a machine too slow for the ladder).
	transcodeDelay time.Duration
}

// Server is the loopback server: the hub plus its RTMP and HTTP faces.
type Server struct {
	cfg   Config
	log   *slog.Logger
	hub   *Hub
	rtmp  net.Listener
	rtmps net.Listener  // nil when off
	rtmfp *rtmfp.Server // nil when off
	http  *http.Server
	hl    net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	tunnels map[string]*rtmptSession // RTMPT sessions by id
	hls     map[string]*hlsOut
	writing map[string]bool // recordings being written, by path
	dvr     map[string]*dvrOut
	ladders map[string]*transcoder
	ladder  []Rendition
	// durations caches recordings' durations by path, size and time.
	durations  map[string]float64
	vodPlans   map[string]*vodPlan // HLS cuts of recordings, by path
	recordOn   atomic.Bool
	snaps      snapshots
	snapLog    ratelog.Limiter
	hooks      *http.Client
	clients    map[uint64]*client
	bans       map[string]time.Time // banned stream names, until
	nextClient atomic.Uint64
	whep       map[string]*whepSession // WebRTC viewers, by session id
	opus       map[string]*opusSource  // streams' sound for them, by name
	pages      pages
	err        error
}

// newServer makes a server of cfg (its defaults already set) that does not
// listen yet; cancel its context and close its hub to let it go.
func newServer(cfg Config) *Server {
	s := &Server{
		cfg:   cfg,
		log:   cfg.Logger,
		hub:   NewHub(HubConfig{ReaderQueue: cfg.ReaderQueue, Logger: cfg.Logger}),
		conns: map[net.Conn]struct{}{}, tunnels: map[string]*rtmptSession{},
		hls: map[string]*hlsOut{}, writing: map[string]bool{}, dvr: map[string]*dvrOut{}, durations: map[string]float64{}, vodPlans: map[string]*vodPlan{},
		hooks: &http.Client{}, clients: map[uint64]*client{}, bans: map[string]time.Time{},
		ladders: map[string]*transcoder{}, ladder: cfg.Transcode,
		pages: newPages(), whep: map[string]*whepSession{}, opus: map[string]*opusSource{},
	}
	s.recordOn.Store(!cfg.RecordOff)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Start validates the configuration, listens, and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.RTMPAddr == "" {
		cfg.RTMPAddr = "127.0.0.1:1935"
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:8080"
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.HookTimeout <= 0 {
		cfg.HookTimeout = defaultHookTimeout
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	if cfg.RecordDir != "" {
		switch cfg.RecordFormat {
		case "":
			cfg.RecordFormat = RecordMP4
		case RecordMP4, RecordFLV:
		default:
			return nil, fmt.Errorf("recording format %q: want %s or %s", cfg.RecordFormat, RecordMP4, RecordFLV)
		}
		if cfg.RecordSegment <= 0 {
			cfg.RecordSegment = time.Hour
		}
		if !cfg.RecordOff {
			if err := os.MkdirAll(cfg.RecordDir, 0o755); err != nil {
				return nil, fmt.Errorf("recording folder: %w", err)
			}
		}
	}
	addrs := []string{cfg.RTMPAddr, cfg.HTTPAddr}
	if cfg.RTMPSAddr != "" {
		if len(cfg.Cert.Certificate) == 0 {
			return nil, fmt.Errorf("RTMPS on %s: %w: none given", cfg.RTMPSAddr, ErrCert)
		}
		addrs = append(addrs, cfg.RTMPSAddr)
	}
	for _, a := range addrs {
		if cfg.PublishKey == "" && !isLoopback(a) {
			return nil, fmt.Errorf("%s: %w (give --publish-key, or listen on 127.0.0.1)", a, ErrNeedPublishKey)
		}
		if cfg.APIToken == "" && !isLoopback(a) {
			return nil, fmt.Errorf("%s: %w (give --api-token, or listen on 127.0.0.1)", a, ErrNeedAPIToken)
		}
	}
	s := newServer(cfg)
	var err error
	if s.rtmp, err = net.Listen("tcp", cfg.RTMPAddr); err != nil {
		return nil, fmt.Errorf("RTMP: %w", err)
	}
	if s.hl, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		s.rtmp.Close()
		return nil, fmt.Errorf("HTTP: %w", err)
	}
	if cfg.RTMPSAddr != "" {
		ln, err := net.Listen("tcp", cfg.RTMPSAddr)
		if err != nil {
			s.rtmp.Close()
			s.hl.Close()
			return nil, fmt.Errorf("RTMPS: %w", err)
		}
		s.rtmps = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cfg.Cert}, MinVersion: tls.VersionTLS12})
	}
	if cfg.RTMFPAddr != "" {
		face := &rtmfpFace{s: s, conns: map[*rtmfp.ServerConn]*rtmfpStream{}}
		if s.rtmfp, err = rtmfp.Listen(cfg.RTMFPAddr, rtmfp.ServerConfig{Handler: face, Logger: s.log}); err != nil {
			s.rtmp.Close()
			s.hl.Close()
			if s.rtmps != nil {
				s.rtmps.Close()
			}
			return nil, fmt.Errorf("RTMFP: %w", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.serveIndex)
	mux.HandleFunc("/web/", s.serveWebFile)
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/live/", s.serveLive)
	mux.HandleFunc("/vod/", s.serveVOD)
	for _, p := range []string{"/open/", "/send/", "/idle/", "/close/", "/fcs/"} {
		mux.HandleFunc(p, s.serveRTMPT)
	}
	s.http = &http.Server{Handler: withCORS(mux), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.reapRTMPT()
	}()
	if cfg.SnapshotEvery > 0 && cfg.RecordDir != "" {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.writeSnapshots()
		}()
	}
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.hl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.fail(fmt.Errorf("HTTP: %w", err))
		}
	}()
	go func() {
		defer s.wg.Done()
		s.acceptRTMP(s.rtmp, "RTMP")
	}()
	if s.rtmps != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.acceptRTMP(s.rtmps, "RTMPS")
		}()
	}
	attrs := []any{"rtmp", s.RTMPAddr(), "http", s.HTTPAddr(), "rtmpt", s.HTTPAddr()}
	if s.rtmps != nil {
		attrs = append(attrs, "rtmps", s.RTMPSAddr(), "cert_sha256", Fingerprint(cfg.Cert))
	}
	if s.rtmfp != nil {
		attrs = append(attrs, "rtmfp", s.RTMFPAddr())
	}
	s.log.Info("loopback server listening", attrs...)
	return s, nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RTMPAddr and HTTPAddr are the addresses actually listened on (useful
// with port 0).
func (s *Server) RTMPAddr() string { return s.rtmp.Addr().String() }
func (s *Server) HTTPAddr() string { return s.hl.Addr().String() }

// RTMPSAddr is the RTMPS address listened on; empty when RTMPS is off.
func (s *Server) RTMPSAddr() string {
	if s.rtmps == nil {
		return ""
	}
	return s.rtmps.Addr().String()
}

// RTMFPAddr is the RTMFP (UDP) address listened on; empty when off.
func (s *Server) RTMFPAddr() string {
	if s.rtmfp == nil {
		return ""
	}
	return s.rtmfp.Addr().String()
}

// RTMFPFingerprint is the SHA-256 of the RTMFP certificate in hex (a
// client may name the server by it); empty when RTMFP is off.
func (s *Server) RTMFPFingerprint() string {
	if s.rtmfp == nil {
		return ""
	}
	return s.rtmfp.Fingerprint()
}

// CertFingerprint is the SHA-256 fingerprint of the RTMPS certificate;
// empty when RTMPS is off.
func (s *Server) CertFingerprint() string {
	if s.rtmps == nil {
		return ""
	}
	return Fingerprint(s.cfg.Cert)
}

// Hub is the server's hub (for in-process publishers and tests).
func (s *Server) Hub() *Hub { return s.hub }

func (s *Server) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// Close stops listening, disconnects everyone and returns when every
// goroutine of the server has ended.
func (s *Server) Close() error {
	s.cancel()
	s.rtmp.Close()
	if s.rtmps != nil {
		s.rtmps.Close()
	}
	if s.rtmfp != nil {
		_ = s.rtmfp.Close()
	}
	s.hub.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.http.Shutdown(sctx)
	_ = s.http.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed when the server stops (Close, or a listener failed).
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// serveLive routes /live/NAME.flv and /live/NAME/… (HLS).
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/live/")
	if name, ok := strings.CutSuffix(rest, ".flv"); ok && name != "" && !strings.Contains(name, "/") {
		s.serveFLV(w, r, name)
		return
	}
	if name, ok := strings.CutSuffix(rest, ".jpg"); ok && name != "" && !strings.Contains(name, "/") {
		s.serveSnapshot(w, r, name)
		return
	}
	if name, file, ok := strings.Cut(rest, "/"); ok && name != "" {
		if id, ok := strings.CutPrefix(file, "whep"); ok && (id == "" || id[0] == '/') {
			s.serveWHEP(w, r, name, strings.TrimPrefix(id, "/"))
			return
		}
		s.serveHLS(w, r, name, file)
		return
	}
	if rest != "" {
		s.serveWatch(w, r, rest)
		return
	}
	http.NotFound(w, r)
}

// Streams lists the live streams as /api/streams does: the hub's view
// with HLS viewers (clients that fetched a playlist in the last 10 s) and
// each stream's transcoded ladder.
func (s *Server) Streams() []StreamInfo {
	streams := s.hub.Streams()
	s.mu.Lock()
	for i := range streams {
		if o := s.hls[streams[i].Name]; o != nil {
			streams[i].Viewers["hls"] = o.activeViewers(10 * time.Second)
		}
	}
	s.mu.Unlock()
	for i := range streams {
		if info, ok := s.Transcode(streams[i].Name); ok {
			streams[i].Transcode = &info
		}
	}
	return streams
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	streams := s.Streams()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"streams": streams})
}
