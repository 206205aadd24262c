package loopback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"onair/internal/logx"
)

// ErrNoStream is returned by Hub.Play when nobody publishes that name.
var ErrNoStream = errors.New("no such stream")

// ErrClosed is returned after Hub.Close.
var ErrClosed = errors.New("server closed")

// HubConfig configures a Hub. Zero fields take the defaults.
type HubConfig struct {
	// ReaderQueue is how many units a viewer may fall behind before it
	// drops to the next keyframe. Default 1024 (several seconds).
	ReaderQueue int
	// MaxGOPBytes bounds the cached GOP; a longer GOP is not cached past it
	// (late joiners then wait for the next keyframe). Default 64 MiB.
	MaxGOPBytes int
	// Logger receives warnings and debug lines; nil discards them.
	Logger *slog.Logger
}

// Hub holds the live streams by name.
type Hub struct {
	cfg     HubConfig
	mu      sync.Mutex
	streams map[string]*stream
	closed  bool
}

// NewHub makes an empty hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.ReaderQueue == 0 {
		cfg.ReaderQueue = 1024
	}
	if cfg.MaxGOPBytes == 0 {
		cfg.MaxGOPBytes = 64 << 20
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	return &Hub{cfg: cfg, streams: map[string]*stream{}}
}

type stream struct {
	name string
	hub  *Hub

	mu         sync.Mutex
	pub        *Publication
	meta       *Unit
	vseq, aseq *Unit
	gop        []*Unit
	gopBytes   int
	gopFull    bool
	readers    map[*Reader]string // protocol
	fanout     []*Reader          // the keys of readers, for Write to walk
	batchStart time.Time          // when the crowd's open batch took its first unit (zero: none open)
	flush      *time.Timer        // closes the crowd's batch after crowdWindow (flushHeld)
	flushArmed bool
	stats      streamStats
}

type streamStats struct {
	started    time.Time
	addr       string
	bytesIn    uint64
	videoUnits int64
	firstDTS   time.Duration
	lastDTS    time.Duration
	haveDTS    bool
}

// Publication is one publisher's hold on a stream name.
type Publication struct {
	s          *stream
	onTakeover func()
}

// Publish makes the caller the publisher of name. A publisher already
// there is taken over at once: onTakeover of the old one is called (to
// close its connection) and viewers stay attached and go on with the new
// publisher's media.
func (h *Hub) Publish(name, addr string, onTakeover func()) (*Publication, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	s := h.streams[name]
	if s == nil {
		s = &stream{name: name, hub: h, readers: map[*Reader]string{}}
		h.streams[name] = s
	}
	h.mu.Unlock()

	p := &Publication{s: s, onTakeover: onTakeover}
	s.mu.Lock()
	old := s.pub
	s.pub = p
	s.meta, s.vseq, s.aseq = nil, nil, nil
	s.gop, s.gopBytes, s.gopFull = nil, 0, false
	s.stats = streamStats{started: time.Now(), addr: addr}
	s.mu.Unlock()
	if old != nil {
		h.cfg.Logger.Info("publisher taken over", "stream", name, "by", addr)
		if old.onTakeover != nil {
			old.onTakeover()
		}
	}
	return p, nil
}

// Write hands one unit of the publisher's stream to every viewer. Units
// of a publication that was taken over are ignored.
func (p *Publication) Write(u *Unit) {
	classify(u)
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub != p {
		return
	}
	st := &s.stats
	st.bytesIn += uint64(len(u.Body))
	if u.Kind != KindData {
		if !st.haveDTS {
			st.firstDTS, st.haveDTS = u.DTS, true
		}
		st.lastDTS = u.DTS
	}
	switch {
	case u.Kind == KindData:
		s.meta = u
	case u.Header && u.Kind == KindVideo:
		s.vseq = u
	case u.Header && u.Kind == KindAudio:
		s.aseq = u
	default:
		if u.Kind == KindVideo {
			st.videoUnits++
		}
		s.cache(u)
	}
	// For a crowd, units wait to go to each viewer together: one write
	// per viewer for each crowdWindow of media instead of one per unit,
	// which costs every viewer up to crowdWindow of latency. The few
	// viewers of a preview get each unit at once.
	hold := false
	if len(s.fanout) >= crowdMinViewers && !u.Header && u.Kind != KindData {
		now := time.Now()
		if s.batchStart.IsZero() {
			s.batchStart = now
		}
		hold = now.Sub(s.batchStart) < crowdWindow
	}
	holding := false
	for _, r := range s.fanout {
		if r.pushMayHold(u, hold) {
			holding = true
		}
	}
	switch {
	case holding && !s.flushArmed:
		if s.flush == nil {
			s.flush = time.AfterFunc(crowdWindow, s.flushHeld)
		} else {
			s.flush.Reset(crowdWindow)
		}
		s.flushArmed = true
	case !hold:
		s.batchStart = time.Time{}
		if s.flushArmed {
			s.flush.Stop()
			s.flushArmed = false
		}
	}
}

// crowdMinViewers: from this many viewers on, a stream sends its units in
// batches (see Publication.Write).
const crowdMinViewers = 8

// crowdWindow is how long a crowd's batch stays open: its first unit waits
// at most this long.
const crowdWindow = 40 * time.Millisecond

// flushHeld closes the crowd's batch when no unit came to close it in
// time: the readers send what they hold.
func (s *stream) flushHeld() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchStart, s.flushArmed = time.Time{}, false
	for _, r := range s.fanout {
		r.flushHeld()
	}
}

// cache keeps the units since the last keyframe for late joiners.
func (s *stream) cache(u *Unit) {
	if u.Kind == KindVideo && u.Key {
		for i := range s.gop {
			s.gop[i] = nil
		}
		s.gop, s.gopBytes, s.gopFull = s.gop[:0], 0, false
	}
	if s.gopFull || (len(s.gop) == 0 && !(u.Kind == KindVideo && u.Key) && s.vseq != nil) {
		return // wait for a keyframe to start a GOP (audio-only streams cache from any unit)
	}
	if s.gopBytes+len(u.Body) > s.hub.cfg.MaxGOPBytes {
		s.gopFull = true
		return
	}
	s.gop = append(s.gop, u)
	s.gopBytes += len(u.Body)
}

// Close ends the publication; if it is still the stream's publisher, the
// stream ends and its viewers are let go.
func (p *Publication) Close() {
	s := p.s
	s.mu.Lock()
	if s.pub != p {
		s.mu.Unlock()
		return
	}
	s.pub = nil
	readers := s.readers
	s.readers, s.fanout = map[*Reader]string{}, nil
	s.gop, s.meta, s.vseq, s.aseq = nil, nil, nil, nil
	if s.flush != nil {
		s.flush.Stop()
	}
	s.mu.Unlock()
	for r := range readers {
		r.close()
	}
	h := s.hub
	h.mu.Lock()
	if h.streams[s.name] == s {
		s.mu.Lock()
		if s.pub == nil {
			delete(h.streams, s.name)
		}
		s.mu.Unlock()
	}
	h.mu.Unlock()
}

// Play joins a stream as a viewer over protocol proto ("rtmp", "flv",
// "hls"). The reader starts with metadata, sequence headers and the current
// GOP, so the first frame can be shown at once.
func (h *Hub) Play(name, proto string) (*Reader, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	s := h.streams[name]
	h.mu.Unlock()
	if s == nil {
		return nil, ErrNoStream
	}
	r := newReader(h.cfg.ReaderQueue)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub == nil {
		return nil, ErrNoStream
	}
	for _, u := range []*Unit{s.meta, s.vseq, s.aseq} {
		if u != nil {
			r.push(u)
		}
	}
	for _, u := range s.gop {
		r.push(u)
	}
	s.readers[r] = proto
	s.fanout = append(s.fanout, r)
	return r, nil
}

// Leave removes a viewer.
func (h *Hub) Leave(name string, r *Reader) {
	h.mu.Lock()
	s := h.streams[name]
	h.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		if _, ok := s.readers[r]; ok {
			delete(s.readers, r)
			i := slices.Index(s.fanout, r)
			s.fanout = slices.Delete(s.fanout, i, i+1)
		}
		s.mu.Unlock()
	}
	r.close()
}

// Headers are stream name's video and audio sequence headers (nil when it
// has none, or is not live).
func (h *Hub) Headers(name string) (vseq, aseq *Unit) {
	h.mu.Lock()
	s := h.streams[name]
	h.mu.Unlock()
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub == nil {
		return nil, nil
	}
	return s.vseq, s.aseq
}

// StreamInfo describes a live stream for the status API.
type StreamInfo struct {
	Name      string         `json:"name"`
	Publisher string         `json:"publisher"`
	UptimeSec float64        `json:"uptime_s"`
	Kbps      float64        `json:"kbps"`
	FPS       float64        `json:"fps"`
	Viewers   map[string]int `json:"viewers"`
	Dropped   int64          `json:"viewer_drops"`
	Video     *VideoInfo     `json:"video,omitempty"`
	Audio     *AudioInfo     `json:"audio,omitempty"`
	// Transcode is the stream's ladder (Server.Streams fills it).
	Transcode *TranscodeInfo `json:"transcode,omitempty"`
}

// VideoInfo and AudioInfo are filled from the sequence headers.
type VideoInfo struct {
	Codec  string `json:"codec"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

type AudioInfo struct {
	Codec      string `json:"codec"`
	SampleRate int    `json:"sample_rate,omitempty"`
	Channels   int    `json:"channels,omitempty"`
}

// Streams lists the live streams, sorted by name.
func (h *Hub) Streams() []StreamInfo {
	h.mu.Lock()
	ss := make([]*stream, 0, len(h.streams))
	for _, s := range h.streams {
		ss = append(ss, s)
	}
	h.mu.Unlock()
	out := make([]StreamInfo, 0, len(ss))
	for _, s := range ss {
		s.mu.Lock()
		if s.pub == nil {
			s.mu.Unlock()
			continue
		}
		st := s.stats
		info := StreamInfo{Name: s.name, Publisher: st.addr, UptimeSec: time.Since(st.started).Seconds(),
			Viewers: map[string]int{"rtmp": 0, "flv": 0, "hls": 0}}
		for r, proto := range s.readers {
			if proto == "internal" {
				continue
			}
			info.Viewers[proto]++
			info.Dropped += r.Dropped()
		}
		if span := (st.lastDTS - st.firstDTS).Seconds(); span > 0.5 {
			info.Kbps = float64(st.bytesIn) * 8 / 1000 / span
			info.FPS = float64(st.videoUnits) / span
		}
		info.Video, info.Audio = describe(s.vseq, s.aseq)
		s.mu.Unlock()
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WaitLive waits until stream name is live with video flowing (a video
// sequence header seen and a frame rate measured) and returns its
// description. It polls the hub every 50 ms and returns ctx's error if
// ctx ends first.
func (h *Hub) WaitLive(ctx context.Context, name string) (StreamInfo, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		for _, st := range h.Streams() {
			if st.Name == name && st.Video != nil && st.FPS > 0 {
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return StreamInfo{}, fmt.Errorf("loopback: waiting for the stream to go live: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Close lets every viewer go and refuses new publishers and viewers.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	ss := h.streams
	h.streams = map[string]*stream{}
	h.mu.Unlock()
	for _, s := range ss {
		s.mu.Lock()
		rs := s.readers
		s.readers, s.fanout = map[*Reader]string{}, nil
		s.pub = nil
		if s.flush != nil {
			s.flush.Stop()
		}
		s.mu.Unlock()
		for r := range rs {
			r.close()
		}
	}
}
