package hls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"onair/internal/logx"
	"onair/internal/media"
	"onair/publish/flv"
)

// LLConfig configures an LLMuxer. Zero fields take the defaults.
type LLConfig struct {
	// Video is the H.264 track (Extradata: the SPS and PPS in Annex B);
	// required.
	Video *media.CodecConfig
	// Audio is the AAC track (Extradata: the AudioSpecificConfig), or nil.
	Audio *media.CodecConfig
	// PartTarget is the parts' target duration. Default 200 ms.
	PartTarget time.Duration
	// Segments is how many complete segments stay listed. Default 6.
	Segments int
	// Logger; nil discards.
	Logger *slog.Logger
}

// ErrLLNoVideo is returned by NewLLMuxer for a stream without H.264.
var ErrLLNoVideo = errors.New("LL-HLS here needs H.264 video")

// LLMuxer cuts a live stream into Low-Latency HLS: CMAF segments that start
// at keyframes (a GOP each), made of parts of about PartTarget: a part
// ends at the first picture that brings it to the target, a segment at
// the next keyframe. A part is published when the picture after it
// arrives (its last picture's duration is then known). It serves the
// playlist (blocking reloads), the parts, the segments and the
// initialization section (ServeHTTP).
type LLMuxer struct {
	cfg       LLConfig
	init      []byte
	audioRate int
	log       *slog.Logger

	mu      sync.Mutex
	segs    []*llSeg // complete ones, then the one in progress
	changed chan struct{}
	closed  bool
	longest time.Duration

	// The builder's state: samples wait for the next one of their track
	// (their duration), then for their part.
	t0, vLast, aLast time.Duration
	started          bool
	vHeld, aHeld     *media.Packet
	vPend, aPend     []*fmp4.Sample
	vBase, aBase     uint64
	vDur             time.Duration
	aNext            uint64 // where the next audio sample starts, in samples
	seq              uint32
	buf              seekablebuffer.Buffer
}

type llSeg struct {
	msn      uint64
	parts    []llPart
	done     bool
	duration time.Duration
}

type llPart struct {
	data        []byte
	duration    time.Duration
	independent bool
}

// NewLLMuxer makes the muxer and its initialization section.
func NewLLMuxer(cfg LLConfig) (*LLMuxer, error) {
	if cfg.Video == nil || cfg.Video.Codec != media.CodecH264 {
		return nil, ErrLLNoVideo
	}
	if cfg.PartTarget <= 0 {
		cfg.PartTarget = 200 * time.Millisecond
	}
	if cfg.Segments <= 0 {
		cfg.Segments = 6
	}
	var sps, pps []byte
	nalus, err := flv.SplitAnnexB(cfg.Video.Extradata)
	if err != nil {
		return nil, fmt.Errorf("LL-HLS: the H.264 parameter sets: %w", err)
	}
	for _, n := range nalus {
		switch {
		case len(n) > 0 && n[0]&0x1f == 7 && sps == nil:
			sps = n
		case len(n) > 0 && n[0]&0x1f == 8 && pps == nil:
			pps = n
		}
	}
	if sps == nil || pps == nil {
		return nil, fmt.Errorf("LL-HLS: %w: no SPS or PPS", ErrLLNoVideo)
	}
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{ID: 1, TimeScale: 90000, Codec: &codecs.H264{SPS: sps, PPS: pps}}}}
	m := &LLMuxer{cfg: cfg, log: logx.OrDiscard(cfg.Logger), changed: make(chan struct{})}
	if a := cfg.Audio; a != nil && a.Codec == media.CodecAAC {
		var asc mpeg4audio.AudioSpecificConfig
		if err := asc.Unmarshal(a.Extradata); err == nil && asc.SampleRate > 0 {
			init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: 2, TimeScale: uint32(asc.SampleRate), Codec: &codecs.MPEG4Audio{Config: asc}})
			m.audioRate = asc.SampleRate
		}
	}
	var b seekablebuffer.Buffer
	if err := init.Marshal(&b); err != nil {
		return nil, fmt.Errorf("LL-HLS: the initialization section: %w", err)
	}
	m.init = b.Bytes()
	return m, nil
}

// WritePacket adds a packet (H.264 in Annex B, or AAC), in DTS order per
// track. Pictures before the first keyframe, and sound before it, are
// left out: the first segment starts with a keyframe.
func (m *LLMuxer) WritePacket(p *media.Packet) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	switch p.Codec {
	case media.CodecH264:
		return m.writeVideo(p)
	case media.CodecAAC:
		if m.audioRate == 0 || !m.started {
			return nil
		}
		return m.writeAudio(p)
	}
	return nil
}

func (m *LLMuxer) writeVideo(p *media.Packet) error {
	if !m.started {
		if !p.Key {
			return nil
		}
		m.started, m.t0 = true, p.DTS
		m.segs = append(m.segs, &llSeg{msn: 0})
	}
	if h := m.vHeld; h != nil {
		d := p.DTS - h.DTS
		if d <= 0 {
			d = time.Millisecond
		}
		if err := m.addVideo(h, d); err != nil {
			m.vHeld = nil
			return err
		}
		m.vDur += d
	}
	switch {
	case p.Key && len(m.vPend) > 0:
		m.flush(true)
	case m.vDur >= m.cfg.PartTarget-m.cfg.PartTarget/20:
		m.flush(false)
	}
	m.vHeld = p
	return nil
}

// addVideo puts held picture h, of duration d, in the part being built.
func (m *LLMuxer) addVideo(h *media.Packet, d time.Duration) error {
	nalus, err := flv.SplitAnnexB(h.Data)
	if err != nil {
		return fmt.Errorf("LL-HLS: a picture at %v: %w", h.DTS, err)
	}
	var s fmp4.Sample
	if err := s.FillH264(int32(ticks90k(h.PTS-h.DTS)), nalus); err != nil {
		return fmt.Errorf("LL-HLS: a picture at %v: %w", h.DTS, err)
	}
	s.IsNonSyncSample = !h.Key
	s.Duration = uint32(ticks90k(d))
	if len(m.vPend) == 0 {
		m.vBase = uint64(ticks90k(max(h.DTS-m.t0, 0)))
	}
	m.vPend = append(m.vPend, &s)
	return nil
}

func (m *LLMuxer) writeAudio(p *media.Packet) error {
	if p.DTS < m.t0 {
		return nil
	}
	if h := m.aHeld; h != nil {
		n := uint32(1024) // an AAC frame; the next one tells otherwise
		if d := p.DTS - h.DTS; d > 0 && d < time.Second {
			n = uint32((int64(d)*int64(m.audioRate) + int64(time.Second)/2) / int64(time.Second))
		}
		if len(m.aPend) == 0 {
			at := uint64(int64(h.DTS-m.t0) * int64(m.audioRate) / int64(time.Second))
			// Sample-exact from frame to frame; back to the packet's time
			// after a gap.
			if m.aNext == 0 || absDiff(at, m.aNext) > 1024 {
				m.aNext = at
			}
			m.aBase = m.aNext
		}
		m.aPend = append(m.aPend, &fmp4.Sample{Duration: n, Payload: h.Data})
		m.aNext += uint64(n)
	}
	m.aHeld = p
	return nil
}

// flush makes a part of what is pending; with endSegment, the segment
// ends with it and the next one starts.
func (m *LLMuxer) flush(endSegment bool) {
	cur := m.segs[len(m.segs)-1]
	if len(m.vPend) > 0 {
		part := fmp4.Part{SequenceNumber: m.seq, Tracks: []*fmp4.PartTrack{{ID: 1, BaseTime: m.vBase, Samples: m.vPend}}}
		if len(m.aPend) > 0 {
			part.Tracks = append(part.Tracks, &fmp4.PartTrack{ID: 2, BaseTime: m.aBase, Samples: m.aPend})
		}
		m.seq++
		m.buf.Reset()
		if err := part.Marshal(&m.buf); err != nil {
			m.log.Warn("LL-HLS: a part could not be written", "err", err)
		} else {
			cur.parts = append(cur.parts, llPart{data: append([]byte(nil), m.buf.Bytes()...), duration: m.vDur, independent: !m.vPend[0].IsNonSyncSample})
			cur.duration += m.vDur
		}
	}
	m.vPend, m.aPend, m.vDur = nil, nil, 0
	if endSegment {
		cur.done = true
		m.longest = max(m.longest, cur.duration)
		m.segs = append(m.segs, &llSeg{msn: cur.msn + 1})
		if done := len(m.segs) - 1; done > m.cfg.Segments {
			m.segs = append(m.segs[:0:0], m.segs[done-m.cfg.Segments:]...)
		}
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

// Close ends the stream: the part being built is published, the
// playlist ends, and blocked requests return.
func (m *LLMuxer) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	if m.started {
		if h := m.vHeld; h != nil {
			d := m.cfg.PartTarget / 6
			if err := m.addVideo(h, d); err == nil {
				m.vDur += d
			}
			m.vHeld = nil
		}
		m.flush(len(m.vPend) > 0 || len(m.segs[len(m.segs)-1].parts) > 0)
	}
	m.closed = true
	close(m.changed)
	m.changed = make(chan struct{})
}

func ticks90k(d time.Duration) int64 { return int64(d) * 9 / 100000 }

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// playlistLocked is the playlist now.
func (m *LLMuxer) playlistLocked() *LLPlaylist {
	p := &LLPlaylist{PartTarget: m.cfg.PartTarget, Target: max(m.longest, m.cfg.PartTarget), Ended: m.closed}
	for _, s := range m.segs {
		if !s.done && len(s.parts) == 0 {
			continue // the next segment, not begun: the preload hint names its first part
		}
		ls := LLSegment{MSN: s.msn, Duration: s.duration, Complete: s.done}
		for _, pt := range s.parts {
			ls.Parts = append(ls.Parts, LLPart{Duration: pt.duration, Independent: pt.independent})
		}
		p.Segments = append(p.Segments, ls)
	}
	return p
}

// findLocked returns segment msn, or nil.
func (m *LLMuxer) findLocked(msn uint64) *llSeg {
	for _, s := range m.segs {
		if s.msn == msn {
			return s
		}
	}
	return nil
}

// hasLocked says whether part (msn, part) is published (part -1: the
// whole segment). A part past a complete segment's last is the next
// segment's first, as the spec has it.
func (m *LLMuxer) hasLocked(msn uint64, part int) bool {
	s := m.findLocked(msn)
	if s == nil {
		return len(m.segs) > 0 && msn < m.segs[0].msn // gone: an old one counts as there
	}
	if part < 0 {
		return s.done
	}
	if part < len(s.parts) {
		return true
	}
	if s.done {
		return m.hasLocked(msn+1, 0)
	}
	return false
}

// wait blocks until (msn, part) is published, the stream ends, or ctx
// ends; false when it is not there.
func (m *LLMuxer) wait(ctx context.Context, msn uint64, part int) bool {
	for {
		m.mu.Lock()
		if m.hasLocked(msn, part) {
			m.mu.Unlock()
			return true
		}
		ch, closed := m.changed, m.closed
		m.mu.Unlock()
		if closed {
			return false
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// blockLimit is how long a blocking request may wait: three target
// durations, as the spec allows before the server must answer.
func (m *LLMuxer) blockLimit() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	target := max(m.longest, time.Second)
	return 3 * target
}

// ServeHTTP serves /index.m3u8 (with _HLS_msn and _HLS_part), /init.mp4,
// /sN.m4s and /sN.P.m4s (a part not yet made is waited for: the preload
// hint).
func (m *LLMuxer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ReadOnly(w, r) {
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	switch name {
	case "index.m3u8":
		m.servePlaylist(w, r)
		return
	case LLInitName:
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Cache-Control", "max-age=3600")
		_, _ = w.Write(m.init)
		return
	}
	msn, part, ok := ParseLLName(name)
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), m.blockLimit())
	defer cancel()
	if !m.wait(ctx, msn, part) {
		http.Error(w, "no such part or segment (yet)", http.StatusNotFound)
		return
	}
	m.mu.Lock()
	var data []byte
	if s := m.findLocked(msn); s != nil {
		switch {
		case part < 0:
			for _, p := range s.parts {
				data = append(data, p.data...)
			}
		case part < len(s.parts):
			data = s.parts[part].data
		}
	}
	m.mu.Unlock()
	if data == nil {
		http.Error(w, "this part or segment is gone", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "max-age=60")
	_, _ = w.Write(data)
}

func (m *LLMuxer) servePlaylist(w http.ResponseWriter, r *http.Request) {
	req, err := ParseLLRequest(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.Block {
		m.mu.Lock()
		var last uint64
		if n := len(m.segs); n > 0 {
			last = m.segs[n-1].msn
		}
		m.mu.Unlock()
		if req.MSN > last+2 {
			http.Error(w, "_HLS_msn is more than two segments ahead of the playlist", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), m.blockLimit())
		defer cancel()
		if !m.wait(ctx, req.MSN, req.Part) {
			if r.Context().Err() != nil {
				return
			}
			m.mu.Lock()
			closed := m.closed
			m.mu.Unlock()
			if !closed {
				http.Error(w, "the part asked for did not come within three target durations", http.StatusServiceUnavailable)
				return
			}
		}
	}
	m.mu.Lock()
	body := m.playlistLocked().Marshal()
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body)
}
