package hls

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
	"onair/publish/flv"
)

// Defaults of MuxerConfig.
const (
	DefaultTargetDuration = time.Second
	DefaultWindowSize     = 6
)

// maxSegmentFactor bounds a segment to this many target durations when no
// keyframe comes to cut it: the segment is then cut at any packet, so that
// memory stays bounded even for a stream without keyframes.
const maxSegmentFactor = 10

// aacFrameSamples is the number of samples per channel in an AAC-LC frame.
const aacFrameSamples = 1024

// MuxerConfig describes the stream of a Muxer. Zero fields take the
// defaults.
type MuxerConfig struct {
	// Video is the H.264 track, nil for none. Its Extradata holds the SPS
	// and PPS (Annex-B, or an AVCDecoderConfigurationRecord); they are sent
	// before every IDR picture that does not carry its own. Empty
	// Extradata is allowed when the stream carries them in band.
	Video *media.CodecConfig
	// Audio is the AAC track, nil for none. Its Extradata is the
	// AudioSpecificConfig; without it one for AAC-LC is made from
	// SampleRate and Channels. At least one of Video and Audio is
	// required.
	Audio *media.CodecConfig
	// TargetDuration is the shortest segment: a new one begins at the
	// first video keyframe at least this long after the current one began
	// (with no video, at the first audio packet). Default 1 s.
	TargetDuration time.Duration
	// WindowSize is the number of segments in the playlist. Default 6.
	WindowSize int
	// Logger receives warnings and debug lines; nil discards them.
	Logger *slog.Logger
}

// Muxer is a live HLS presentation held in memory: WritePacket turns
// packets into MPEG-TS segments, ServeHTTP serves the playlist and the
// segments.
//
// WritePacket and Close are meant for the goroutine that receives the
// stream (they are serialized, so Close may come from another); ServeHTTP
// may be called from any number of goroutines at the same time. A Muxer
// starts no goroutine.
type Muxer struct {
	cfg MuxerConfig
	log *slog.Logger

	// Writer state, guarded by wmu.
	wmu       sync.Mutex
	ts        *tsWriter
	params    [][]byte // SPS and PPS
	adts      adtsConfig
	started   bool          // the first packet was written
	base      time.Duration // stream time of the first packet's DTS
	skipped   int           // packets dropped waiting for the first keyframe
	cur       []byte        // the segment being written
	curStart  time.Duration // stream time it began at
	curEnd    time.Duration // estimated end of its last picture (or audio frame)
	curCount  int           // packets in it
	lastVideo time.Duration // DTS of the previous video packet
	videoSeen bool          // lastVideo is set
	frameDur  time.Duration // the last interval between video DTSs
	nextSeq   uint64
	es        []byte // elementary stream scratch, reused
	closed    bool
	keepTime  bool // stream time 0 is the clock's origin (Segment), not the first packet

	// What ServeHTTP reads, guarded by mu.
	mu       sync.Mutex
	window   window
	playlist []byte // nil until the first segment or Close
	ended    bool
	// changed is closed, and replaced, when a segment is published or the
	// muxer is closed.
	changed chan struct{}
}

// NewMuxer checks the configuration and makes a Muxer. Errors:
// ErrNoTracks; ErrUnsupportedCodec (a Video track that is not H.264, an
// Audio track that is not AAC or that ADTS cannot carry); those of
// flv.SplitAnnexB and flv.AVCDecoderConfigurationRecord.Unmarshal (H.264
// extradata), of flv.AudioSpecificConfig.Unmarshal (AAC extradata) and of
// flv.NewAudioSpecificConfig (no AAC extradata).
func NewMuxer(cfg MuxerConfig) (*Muxer, error) {
	if cfg.Video == nil && cfg.Audio == nil {
		return nil, ErrNoTracks
	}
	if cfg.TargetDuration <= 0 {
		cfg.TargetDuration = DefaultTargetDuration
	}
	if cfg.WindowSize <= 0 {
		cfg.WindowSize = DefaultWindowSize
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	m := &Muxer{
		cfg:     cfg,
		log:     cfg.Logger,
		ts:      newTSWriter(cfg.Video != nil, cfg.Audio != nil),
		window:  window{size: cfg.WindowSize},
		changed: make(chan struct{}),
	}
	if v := cfg.Video; v != nil {
		if v.Codec != media.CodecH264 {
			return nil, fmt.Errorf("%w: video track is %v, want %v", ErrUnsupportedCodec, v.Codec, media.CodecH264)
		}
		params, err := parameterSets(v.Extradata)
		if err != nil {
			return nil, err
		}
		m.params = params
		if len(params) == 0 {
			m.log.Warn("hls: H.264 track without SPS and PPS in its extradata: players need them in band")
		}
	}
	if a := cfg.Audio; a != nil {
		if a.Codec != media.CodecAAC {
			return nil, fmt.Errorf("%w: audio track is %v, want %v", ErrUnsupportedCodec, a.Codec, media.CodecAAC)
		}
		asc, err := audioSpecificConfig(a)
		if err != nil {
			return nil, err
		}
		if m.adts, err = newADTSConfig(asc); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// audioSpecificConfig reads the AudioSpecificConfig of an AAC track, or
// makes one for AAC-LC when it has no extradata.
func audioSpecificConfig(cfg *media.CodecConfig) (*flv.AudioSpecificConfig, error) {
	if len(cfg.Extradata) == 0 {
		asc, err := flv.NewAudioSpecificConfig(cfg.SampleRate, cfg.Channels)
		if err != nil {
			return nil, fmt.Errorf("AAC track without extradata: %w", err)
		}
		return asc, nil
	}
	var asc flv.AudioSpecificConfig
	if err := asc.Unmarshal(cfg.Extradata); err != nil {
		return nil, fmt.Errorf("AAC extradata: %w", err)
	}
	return &asc, nil
}

// WritePacket adds a packet to the stream.
//
// With a video track, nothing is written before the first keyframe (a
// packet with Key set or an IDR slice): packets before it are dropped and
// nil is returned, so that the first segment begins with a picture a
// player can decode. A packet whose DTS is at least TargetDuration after
// the start of the current segment ends that segment when it is a video
// keyframe, or with no video track any audio packet; after ten target
// durations without a keyframe any packet does, to bound memory.
//
// Errors: ErrClosed; ErrUnsupportedCodec (a codec without a track);
// ErrTimestamp; ErrFrameTooLarge and flv.ErrEmptyPacket (AAC); those of
// flv.SplitAnnexB (H.264). A packet that fails is not written and the
// stream goes on.
func (m *Muxer) WritePacket(p *media.Packet) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.closed {
		return ErrClosed
	}
	switch {
	case p.Codec == media.CodecH264 && m.ts.video != nil:
		return m.writeVideo(p)
	case p.Codec == media.CodecAAC && m.ts.audio != nil:
		return m.writeAudio(p)
	}
	return fmt.Errorf("%w: %v packet at DTS %v, the muxer has no such track", ErrUnsupportedCodec, p.Codec, p.DTS)
}

func (m *Muxer) writeVideo(p *media.Packet) error {
	es, idr, err := appendAccessUnit(m.es[:0], p.Data, m.params)
	m.es = es[:0]
	if err != nil {
		return err
	}
	key := idr || p.Key
	if !m.started && !key {
		m.skipped++
		return nil
	}
	pts, dts, err := m.place(p, true, key)
	if err != nil {
		return err
	}
	m.cur = m.ts.appendPES(m.cur, m.ts.video, streamIDVideo, pts, dts, key, es)
	if d := p.DTS - m.lastVideo; m.videoSeen && d > 0 {
		m.frameDur = d
	}
	m.lastVideo, m.videoSeen = p.DTS, true
	m.curEnd = max(m.curEnd, p.DTS+m.frameDur)
	return nil
}

func (m *Muxer) writeAudio(p *media.Packet) error {
	if len(p.Data) == 0 {
		return fmt.Errorf("%w: AAC packet at DTS %v", flv.ErrEmptyPacket, p.DTS)
	}
	if m.ts.video != nil && !m.started {
		m.skipped++
		return nil
	}
	es, err := appendADTSHeader(m.es[:0], m.adts, len(p.Data))
	if err != nil {
		return err
	}
	es = append(es, p.Data...)
	m.es = es[:0]
	pts, dts, err := m.place(p, false, true)
	if err != nil {
		return err
	}
	m.cur = m.ts.appendPES(m.cur, m.ts.audio, streamIDAudio, pts, dts, true, es)
	if m.ts.video == nil {
		// With video, segments are timed by the pictures.
		frame := time.Duration(aacFrameSamples) * time.Second / time.Duration(m.adts.sampleRate)
		m.curEnd = max(m.curEnd, p.DTS+frame)
	}
	return nil
}

// place starts the stream at its first packet, and ends the current
// segment before p when it is time to; it returns p's PTS and DTS on the
// 90 kHz clock, not wrapped.
func (m *Muxer) place(p *media.Packet, video, key bool) (pts, dts int64, err error) {
	if !m.started {
		m.started, m.base = true, p.DTS
		if m.keepTime {
			m.base = 0
		}
		if m.skipped > 0 {
			m.log.Debug("hls: stream starts at the first keyframe", "dropped_packets", m.skipped)
		}
		m.startSegment(p.DTS, 0)
	}
	rel := min(p.DTS, p.PTS) - m.base + timestampOffset
	if rel < 0 {
		return 0, 0, fmt.Errorf("%w: %v packet with DTS %v and PTS %v, the stream started at %v and reaches back %v",
			ErrTimestamp, p.Codec, p.DTS, p.PTS, m.base, timestampOffset)
	}
	if elapsed := p.DTS - m.curStart; m.curCount > 0 && elapsed >= m.cfg.TargetDuration {
		switch {
		case m.ts.video == nil || video && key:
			m.cutSegment(p.DTS)
		case elapsed >= maxSegmentFactor*m.cfg.TargetDuration:
			m.log.Warn("hls: no keyframe, segment cut without one",
				"segment", m.nextSeq, "duration", elapsed, "codec", p.Codec)
			m.cutSegment(p.DTS)
		}
	}
	m.curCount++
	return ticks(p.PTS - m.base + timestampOffset), ticks(p.DTS - m.base + timestampOffset), nil
}

// startSegment begins a segment at stream time start with the PAT and the
// PMT; sizeHint is the size of the previous one.
func (m *Muxer) startSegment(start time.Duration, sizeHint int) {
	m.cur = m.ts.appendTables(make([]byte, 0, max(16<<10, sizeHint+sizeHint/4)))
	m.curStart, m.curEnd, m.curCount = start, start, 0
}

// cutSegment publishes the current segment, ending at stream time end,
// and begins the next there.
func (m *Muxer) cutSegment(end time.Duration) {
	size := len(m.cur)
	m.publish(end - m.curStart)
	m.startSegment(end, size)
}

// publish hands the current segment, dur long, to ServeHTTP.
func (m *Muxer) publish(dur time.Duration) {
	s := &segment{seq: m.nextSeq, dur: dur, data: m.cur}
	m.nextSeq++
	m.cur = nil
	m.log.Debug("hls: segment", "segment", s.seq, "duration", dur, "bytes", len(s.data))

	m.mu.Lock()
	defer m.mu.Unlock()
	m.window.push(s)
	m.updateLocked()
}

// updateLocked renders the playlist again and wakes those waiting for it.
func (m *Muxer) updateLocked() {
	m.playlist = renderPlaylist(m.window.playlist(), m.window.longest, m.ended)
	close(m.changed)
	m.changed = make(chan struct{})
}

// Close ends the stream: the segment being written is published, lasting
// until one frame interval after its last picture (with no video, until
// the end of its last audio frame), and the playlist gets #EXT-X-ENDLIST. The segments stay served. WritePacket
// fails with ErrClosed after it; more calls to Close do nothing.
func (m *Muxer) Close() {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	if m.started && m.curCount > 0 {
		m.publish(m.curEnd - m.curStart)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ended = true
	m.updateLocked()
}
