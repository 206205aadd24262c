package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
	"onair/internal/ratelog"
	"onair/publish/flv"
	"onair/publish/rtmfp"
	"onair/publish/rtmp"
)

// State is where a destination is in its life.
type State int32

const (
	StateConnecting State = iota
	StateLive
	StateReconnecting
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateLive:
		return "live"
	case StateReconnecting:
		return "reconnecting"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// Config configures a Publisher. Zero fields take the defaults.
type Config struct {
	// URL is rtmp[s]://host[:port]/app[/instance]/key[?query]. Required.
	URL string
	// Insecure skips TLS certificate verification (self-signed servers).
	Insecure bool
	// TrustEnhanced publishes Enhanced RTMP codecs (HEVC, Opus) to a
	// server whose connect reply does not announce them; without it that
	// is an error wrapping rtmp.ErrNotEnhanced.
	TrustEnhanced bool
	// Video and Audio describe the tracks; either may be nil.
	Video, Audio *media.CodecConfig
	// QueueSize is how many packets may wait to be sent. Default 512
	// (several seconds at usual rates): past it the oldest are dropped.
	QueueSize int
	// Timeout bounds setting up a connection. Default 8 s.
	Timeout time.Duration
	// WriteTimeout: a write blocked this long counts as a dropped
	// connection. Default 10 s.
	WriteTimeout time.Duration
	// ReconnectMin, ReconnectMax and ReconnectFactor shape the retry
	// delays: 2 s, then ×1.5 up to 30 s by default.
	ReconnectMin, ReconnectMax time.Duration
	ReconnectFactor            float64
	// FlushTimeout bounds how long Close spends sending what is queued.
	// Default 3 s.
	FlushTimeout time.Duration
	// DropAfter, when set, makes a destination that falls this far behind
	// (QueueSpan: the send queue and the kernel's unsent bytes) drop
	// video up to a keyframe that finds it less than half as far behind;
	// audio goes on. A destination slower than the stream then shows
	// keyframes instead of falling ever further behind (OBS drops frames
	// past 700–900 ms). Dropping this way never asks the encoder for a
	// keyframe: it waits for the next regular one. Default 0: off.
	DropAfter time.Duration
	// RequestKeyframe, when set, is called (from the publisher's goroutine)
	// when the stream needs a fresh keyframe: after a reconnect or a drop.
	// It must not block.
	RequestKeyframe func()
	// Logger receives warnings and debug lines; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.QueueSize == 0 {
		c.QueueSize = 512
	}
	if c.Timeout == 0 {
		c.Timeout = 8 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReconnectMin == 0 {
		c.ReconnectMin = 2 * time.Second
	}
	if c.ReconnectMax == 0 {
		c.ReconnectMax = 30 * time.Second
	}
	if c.ReconnectFactor == 0 {
		c.ReconnectFactor = 1.5
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = 3 * time.Second
	}
	c.Logger = logx.OrDiscard(c.Logger)
}

// Stats is a snapshot of a destination's counters (cumulative).
type Stats struct {
	State      State
	URL        string // key masked
	VideoBytes uint64
	AudioBytes uint64
	FramesSent int64
	Dropped    int64 // packets dropped (queue overflow, waiting for a keyframe, stale after reconnect, DropAfter)
	Reconnects int64
	// QueueSpan is how far behind the destination is: the media time
	// waiting in the send queue plus the time the kernel's unsent bytes
	// take at the measured rate (Unsent / SendRate), so that congestion
	// does not hide in a socket buffer of megabytes. Without a rate yet
	// (the first half second of a connection) the kernel's part is left
	// out.
	QueueSpan time.Duration
	// Unsent is how many bytes wait in the kernel's socket buffer, not yet
	// on the wire (rtmp.Link; 0 where the kernel does not say).
	Unsent int
	// SendRate is what the connection carried over the last second, in
	// bytes per second (all of it: media, RTMP framing, TLS), from the
	// bytes the server acknowledged; 0 until measured. While the queue
	// holds media, it is what the link can carry.
	SendRate float64
	// Shedding says the destination is dropping video up to a keyframe
	// (Config.DropAfter): it cannot carry the stream.
	Shedding    bool
	LastError   string
	LastFrameAt time.Duration // DTS of the last video packet sent
	// RTMFP holds the session's figures for an rtmfp:// destination (nil
	// for the TCP schemes, whose kernel keeps its own).
	RTMFP *rtmfp.Stats
}

// Publisher keeps one destination live: it sends pushed packets in order
// through a bounded queue and reconnects when the connection drops.
type Publisher struct {
	cfg    Config
	target *Target
	log    *slog.Logger
	queue  *media.Queue[*media.Packet]

	needKey  atomic.Bool
	state    atomic.Int32
	shedding atomic.Bool // DropAfter: dropping video up to a keyframe

	mu    sync.Mutex
	stats Stats
	// ts makes FLV timestamps per track (video, audio), kept across
	// reconnects so the stream's time goes on.
	ts       [2]flv.Timestamper
	lastIn   time.Duration
	client   conn
	keyAsked bool
	// meter measures client's SendRate (reset with a new client); rate
	// and rateOK are its last figure.
	meter   rateMeter
	meterOf conn
	rate    float64
	rateOK  bool
	shedLog ratelog.Limiter

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// ErrStopped is returned by Wait after Close.
var ErrStopped = errors.New("publisher stopped")

// Start connects to the destination and starts publishing. A first
// connection that fails is an error (nothing is retried); later drops are
// retried until Close.
func Start(ctx context.Context, cfg Config) (*Publisher, error) {
	cfg.setDefaults()
	t, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Video == nil && cfg.Audio == nil {
		return nil, fmt.Errorf("%s: nothing to publish (no video, no audio)", t)
	}
	p := &Publisher{
		cfg:    cfg,
		target: t,
		log:    cfg.Logger.With("dest", t.String()),
		queue:  media.NewQueue[*media.Packet](cfg.QueueSize, nil),
		done:   make(chan struct{}),
		meter:  rateMeter{window: sendRateWindow},
	}
	p.stats.URL = t.String()
	p.queue.SetOnDrop(func(pk *media.Packet) {
		if pk.Codec.IsVideo() {
			p.needKey.Store(true)
		}
	})
	p.needKey.Store(true)
	p.setState(StateConnecting)
	c, err := p.connect(ctx)
	if err != nil {
		p.setState(StateStopped)
		return nil, err
	}
	p.setClient(c)
	p.setState(StateLive)
	p.log.Info("live")
	rctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(rctx)
	return p, nil
}

func (p *Publisher) connect(ctx context.Context) (conn, error) {
	if p.target.RTMFP {
		key, fp := rtmfp.SplitFingerprint(p.target.Key)
		c, err := rtmfp.Dial(ctx, rtmfp.Config{
			Addr: p.target.Addr(), App: p.target.App, TCURL: p.target.TCURL(), Key: key, Fingerprint: fp,
			Timeout: p.cfg.Timeout, Logger: p.log,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.target, err)
		}
		rc := rtmfpConn{c}
		if err := p.sendHeaders(rc); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", p.target, err)
		}
		return rc, nil
	}
	rc := rtmp.Config{
		Addr:          p.target.Addr(),
		App:           p.target.App,
		TCURL:         p.target.TCURL(),
		Key:           p.target.Key,
		Timeout:       p.cfg.Timeout,
		WriteTimeout:  p.cfg.WriteTimeout,
		Tunnel:        p.target.Transport.Tunnel,
		Encrypt:       p.target.Transport.Encrypt,
		Enhanced:      enhancedFourCCs(p.cfg.Video, p.cfg.Audio),
		TrustEnhanced: p.cfg.TrustEnhanced,
		Logger:        p.log,
	}
	if p.target.Transport.TLS {
		rc.TLS = &tls.Config{ServerName: p.target.Host, InsecureSkipVerify: p.cfg.Insecure}
	}
	c, err := rtmp.Dial(ctx, rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.target, err)
	}
	if err := p.sendHeaders(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", p.target, err)
	}
	return c, nil
}

// enhancedFourCCs are the E-RTMP FourCCs of the tracks that need it.
func enhancedFourCCs(tracks ...*media.CodecConfig) []string {
	var list []string
	for _, t := range tracks {
		if t == nil || !t.Codec.Enhanced() {
			continue
		}
		if f, ok := flv.FourCCOf(t.Codec); ok {
			list = append(list, f.String())
		}
	}
	return list
}

// sendHeaders sends metadata and the sequence headers that must precede
// media on every (re)connection.
func (p *Publisher) sendHeaders(c conn) error {
	if err := c.WriteData(flv.SetDataFrame(flv.Metadata(p.cfg.Video, p.cfg.Audio))); err != nil {
		return err
	}
	if p.cfg.Video != nil {
		body, err := flv.VideoSequenceHeader(p.cfg.Video)
		if err != nil {
			return err
		}
		if err := c.WriteVideo(0, body); err != nil {
			return err
		}
	}
	if p.cfg.Audio != nil {
		body, err := flv.AudioSequenceHeader(p.cfg.Audio)
		if err != nil {
			return err
		}
		if err := c.WriteAudio(0, body); err != nil {
			return err
		}
	}
	return nil
}

func (p *Publisher) setState(s State) {
	p.state.Store(int32(s))
}

func (p *Publisher) setClient(c conn) {
	p.mu.Lock()
	p.client = c
	p.mu.Unlock()
}

// Push hands a packet over without waiting. When the queue is full the
// oldest packet is dropped and counted.
func (p *Publisher) Push(pk *media.Packet) {
	p.queue.Push(pk)
	p.mu.Lock()
	if pk.DTS > p.lastIn {
		p.lastIn = pk.DTS
	}
	p.mu.Unlock()
}

// Stats returns the current counters.
func (p *Publisher) Stats() Stats {
	p.mu.Lock()
	s := p.stats
	last := p.lastIn
	s.Unsent, s.SendRate = p.readLinkLocked(time.Now())
	kernel := p.kernelSpanLocked(s.Unsent)
	client := p.client
	p.mu.Unlock()
	s.State = State(p.state.Load())
	s.Shedding = p.shedding.Load()
	if c, ok := client.(rtmfpConn); ok {
		st := c.Stats()
		s.RTMFP = &st
	}
	s.Dropped += p.queue.Dropped()
	if oldest, ok := p.queue.Peek(); ok && last > oldest.DTS {
		s.QueueSpan = last - oldest.DTS
	}
	s.QueueSpan += kernel
	return s
}

// Done is closed when the publisher has stopped.
func (p *Publisher) Done() <-chan struct{} { return p.done }

// Wait blocks until the publisher stopped and says why.
func (p *Publisher) Wait() error {
	<-p.done
	return p.err
}

// Close sends what is queued (up to FlushTimeout), unpublishes, closes the
// connection, and returns after the publisher's goroutine ended.
func (p *Publisher) Close() error {
	p.queue.Close()
	p.cancel()
	<-p.done
	return nil
}

func (p *Publisher) run(ctx context.Context) {
	defer close(p.done)
	defer p.setState(StateStopped)
	delay := p.cfg.ReconnectMin
	for {
		p.mu.Lock()
		c := p.client
		p.mu.Unlock()
		err := p.pump(ctx, c)
		if ctx.Err() != nil {
			p.flush(c)
			c.Close()
			p.err = ErrStopped
			p.log.Info("stopped")
			return
		}
		// The connection dropped: reconnect until it works or we stop.
		c.Close()
		p.setState(StateReconnecting)
		p.mu.Lock()
		p.stats.Reconnects++
		p.stats.LastError = err.Error()
		p.mu.Unlock()
		p.log.Warn("connection lost, reconnecting", "err", err, "in", delay)
		for {
			select {
			case <-ctx.Done():
				p.err = ErrStopped
				return
			case <-time.After(delay):
			}
			nc, err := p.connect(ctx)
			if err == nil {
				p.discardStale()
				p.setClient(nc)
				p.setState(StateLive)
				p.log.Info("live again")
				delay = p.cfg.ReconnectMin
				break
			}
			if ctx.Err() != nil {
				p.err = ErrStopped
				return
			}
			p.mu.Lock()
			p.stats.LastError = err.Error()
			p.mu.Unlock()
			delay = time.Duration(float64(delay) * p.cfg.ReconnectFactor)
			if delay > p.cfg.ReconnectMax {
				delay = p.cfg.ReconnectMax
			}
			p.log.Warn("reconnect failed", "err", err, "retry_in", delay)
		}
	}
}

// discardStale drops what queued up while disconnected: it is old, and the
// stream resumes at a fresh keyframe.
func (p *Publisher) discardStale() {
	n := int64(0)
	for {
		if _, ok := p.queue.TryPop(); !ok {
			break
		}
		n++
	}
	p.mu.Lock()
	p.stats.Dropped += n
	p.mu.Unlock()
	p.needKey.Store(true)
	if p.cfg.RequestKeyframe != nil {
		p.cfg.RequestKeyframe()
	}
}

// pump sends queued packets until ctx ends or the connection fails.
func (p *Publisher) pump(ctx context.Context, c conn) error {
	for {
		for {
			if ctx.Err() != nil {
				// Closing: flush sends the rest, within FlushTimeout.
				return ctx.Err()
			}
			pk, ok := p.queue.TryPop()
			if !ok {
				break
			}
			if err := p.send(c, pk); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.Done():
			return c.Err()
		case <-p.queue.Ready():
		}
	}
}

// flush sends what is still queued, bounded by FlushTimeout.
func (p *Publisher) flush(c conn) {
	deadline := time.Now().Add(p.cfg.FlushTimeout)
	for time.Now().Before(deadline) {
		pk, ok := p.queue.TryPop()
		if !ok {
			return
		}
		if err := p.send(c, pk); err != nil {
			return
		}
	}
}

func (p *Publisher) send(c conn, pk *media.Packet) error {
	track := 0
	if !pk.Codec.IsVideo() {
		track = 1
	}
	if track == 0 {
		if p.cfg.Video == nil {
			return nil
		}
		if p.shed(pk) {
			p.mu.Lock()
			p.stats.Dropped++
			p.mu.Unlock()
			return nil
		}
		if p.needKey.Load() {
			if !pk.Key {
				p.mu.Lock()
				p.stats.Dropped++
				p.mu.Unlock()
				if p.cfg.RequestKeyframe != nil && !p.keyAsked {
					p.keyAsked = true // ask once per gap
					p.cfg.RequestKeyframe()
				}
				return nil
			}
			p.needKey.Store(false)
			p.keyAsked = false
		}
	} else if p.cfg.Audio == nil {
		return nil
	}
	ts := p.ts[track].Timestamp(pk.DTS)
	var body []byte
	var err error
	if track == 0 {
		body, _, err = flv.VideoPacketBody(pk)
	} else {
		body, _, err = flv.AudioPacketBody(pk)
	}
	if err != nil {
		// An encoder bug, not a network problem: skip the packet.
		p.log.Warn("cannot package packet", "codec", pk.Codec, "err", err)
		return nil
	}
	if track == 0 {
		err = c.WriteVideo(ts, body)
	} else {
		err = c.WriteAudio(ts, body)
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	if track == 0 {
		p.stats.VideoBytes += uint64(len(body))
		p.stats.FramesSent++
		p.stats.LastFrameAt = pk.DTS
	} else {
		p.stats.AudioBytes += uint64(len(body))
	}
	p.mu.Unlock()
	return nil
}
