package player

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/testsignal"
)

// State is where a Player is.
type State int

const (
	StateOpening State = iota
	StateBuffering
	StatePlaying
	StatePaused
	StateEnded
	StateError
)

func (s State) String() string {
	return [...]string{"opening", "buffering", "playing", "paused", "ended", "error"}[s]
}

// Player plays one source. Make it with Open; end it with Close.
type Player struct {
	cfg    Config
	log    *slog.Logger
	src    source
	opened time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	done   chan struct{}
	err    error // why it ended; read after done

	in    *input
	fc    *astiav.FormatContext // in.fc
	audio *AudioOutput
	clock *playClock
	meter signalMeter
	rec   *recorder

	// vt and at are the played tracks: written by the reader goroutine
	// (under mu), read by it freely and by others under mu.
	vt, at  *track
	videoOn atomic.Bool
	frames  chan *vframe
	seekReq chan time.Duration
	// seekAnchor: the presenter re-anchors the clock at the next picture.
	seekAnchor atomic.Bool
	// seeking: pictures before seekTarget (ns) are stale, skipped uncounted.
	seeking    atomic.Bool
	seekTarget atomic.Int64
	// seekGen counts seeks: what was decoded in an earlier one is stale.
	seekGen atomic.Int64
	// showOne: a seek while paused shows the picture at its target.
	showOne atomic.Bool
	// jumpLive: the viewer asked to go to the live edge (JumpToLive).
	jumpLive atomic.Bool
	keys     keyGaps // reader goroutine only
	// A live stream's queue drops while paused (skipped, not dropped).
	pauseMu    sync.Mutex
	pausedLive bool
	pauseBase  int64 // the queues' drops when it paused
	pauseDrops int64 // drops during earlier pauses
	// The reader's waits for room in a queue end with pushCtx, which a
	// seek cancels (the reader then does it).
	pushMu     sync.Mutex
	pushCtx    context.Context
	pushCancel context.CancelFunc
	paused     atomic.Bool
	closeOnce  sync.Once
	speed      float64          // catch-up speed; presenter goroutine only
	audioSpeed float64          // audio catch-up speed when the wall clock leads; presenter only
	audioLeads bool             // the audio output's clock is the play clock
	bufHist    [4]time.Duration // recent newest-picture leads; presenter only
	bufN       int

	state        atomic.Int32
	presented    atomic.Int64
	lateDropped  atomic.Int64
	concealed    atomic.Int64
	audioDropped atomic.Int64
	audioStarted atomic.Bool  // audio played: later drops count
	joinSkipped  atomic.Int64 // pictures skipped to reach the live edge (joining, after a stall)
	audioSkipped atomic.Int64 // audio blocks skipped likewise
	// skipBefore (ns): the clock jumped here to reach the live edge; media
	// before it that comes late was skipped, not lost.
	skipBefore  atomic.Int64
	bytes       atomic.Int64
	firstFrame  atomic.Int64 // ns from open to the first presented frame; 0 until then
	edges       edgeTracker  // newest media read, for the live edge
	shownPTS    atomic.Int64 // the last presented picture's PTS (ns)
	firstPTS    atomic.Int64 // the first presented picture's PTS (ns)
	decodeTimes durRing

	mu        sync.Mutex // guards the descriptions
	videoDesc string
	audioDesc string
	width     int
	height    int
	fps       float64
	duration  time.Duration
	start     time.Duration // a file's first timestamp: positions count from it
	seekable  bool
}

// Open opens cfg.URL, probes it and starts playing. It returns once the
// source is open (within cfg.OpenTimeout) or with the reason it cannot be.
func Open(ctx context.Context, cfg Config) (*Player, error) {
	cfg.setDefaults()
	src, err := parseSource(cfg.URL)
	if err != nil {
		return nil, err
	}
	p := &Player{cfg: cfg, log: cfg.Logger, src: src, opened: time.Now(), done: make(chan struct{}),
		frames: make(chan *vframe, 3), seekReq: make(chan time.Duration, 1), speed: 1, audioSpeed: 1}
	if cfg.Record != "" {
		if _, err := recordFormat(cfg.Record); err != nil {
			return nil, err // before waiting on the network
		}
	}
	p.log.Info("opening", "url", src.shown, "latency", cfg.Latency.String())
	p.in, err = openInput(ctx, src, openOptions{latency: cfg.Latency, timeout: cfg.OpenTimeout, start: cfg.Start,
		stall: cfg.StallTimeout, insecure: cfg.Insecure, ffmpegRTMP: cfg.FFmpegRTMP, log: cfg.Logger})
	if err != nil {
		return nil, err
	}
	p.fc = p.in.fc
	p.src.vod = p.in.vod() != nil
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.pushCtx, p.pushCancel = context.WithCancel(p.ctx)
	if err := p.setupTracks(); err != nil {
		p.in.close()
		p.cancel()
		return nil, err
	}
	if p.at != nil || (src.live() && !cfg.NoAudio) {
		p.audio, err = OpenAudioOutput(AudioOutputConfig{SampleRate: outRate, Channels: outChannels, Null: cfg.NullAudio, Logger: cfg.Logger})
		if err != nil {
			p.log.Warn("no audio output; playing without sound", "err", err)
			p.audio = nil
			p.mu.Lock()
			p.at = nil // nobody would take its packets
			p.mu.Unlock()
			p.cfg.NoAudio = true
		} else {
			p.audio.SetVolume(cfg.Volume)
			p.audio.SetTap(p.tapAudio())
		}
	}
	// The audio clock leads, as in ffplay — except for a live source at
	// low latency: there the live edge leads (the wall clock, anchored a
	// little behind the newest picture) and audio follows it, kept within
	// a few tens of ms by catchUp. Encoders deliver audio some 40 ms after
	// video (an AAC frame plus the encoder's delay); holding pictures back
	// for it would add that much to every frame's latency.
	p.audioLeads = p.audio != nil && !(cfg.Latency == LatencyLow && src.live() && src.kind != kindHLS)
	if p.audioLeads {
		p.clock = newPlayClock(p.audio)
	} else {
		p.clock = newPlayClock(nil)
	}
	if cfg.Record != "" {
		p.rec, err = newRecorder(cfg.Record, p.fc, p.log)
		if err != nil {
			p.freeAll()
			return nil, err
		}
	}
	if cfg.Latency == LatencyNormal {
		p.state.Store(int32(StateBuffering))
	}
	if cfg.Start > 0 && !p.src.live() {
		if p.src.vod {
			// The server starts there, at the keyframe before: show from
			// the picture at the start on.
			p.seekTarget.Store(int64(cfg.Start))
			p.seeking.Store(p.vt != nil)
		} else if err := p.Seek(cfg.Start); err != nil {
			p.freeAll()
			return nil, err
		}
	}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.runReader() }()
	go func() { defer p.wg.Done(); p.runPresenter() }()
	go func() {
		p.wg.Wait()
		close(p.done)
	}()
	return p, nil
}

// setupTracks picks the best video and audio stream and opens their
// decoders. A live FLV stream may announce a track only with its first
// packet: the reader sets those up when they appear.
func (p *Player) setupTracks() error {
	var vErr, aErr error
	for _, st := range p.fc.Streams() {
		if err := p.addTrack(st); err != nil {
			switch st.CodecParameters().MediaType() {
			case astiav.MediaTypeVideo:
				vErr = err
			case astiav.MediaTypeAudio:
				aErr = err
			}
		}
	}
	if p.vt == nil && p.at == nil {
		if vErr != nil {
			return fmt.Errorf("%s: %w", p.src.shown, vErr)
		}
		if aErr != nil {
			return fmt.Errorf("%s: %w", p.src.shown, aErr)
		}
		if !p.src.live() {
			return fmt.Errorf("%s: no audio or video track: %w", p.src.shown, ErrUnsupportedCodec)
		}
	}
	p.mu.Lock()
	if d := p.fc.Duration(); d > 0 && !p.src.live() && p.in.demux == nil {
		p.duration = time.Duration(d) * time.Microsecond
		p.seekable = true
	}
	if p.src.vod {
		p.duration, p.seekable = p.in.demux.duration, true
	}
	if st := p.fc.StartTime(); st != noPTS && !p.src.live() && p.in.demux == nil {
		p.start = time.Duration(st) * time.Microsecond
	}
	p.mu.Unlock()
	return nil
}

// addTrack opens a decoder for st when it is the first of its kind.
func (p *Player) addTrack(st *astiav.Stream) error {
	cp := st.CodecParameters()
	mt := cp.MediaType()
	if (mt == astiav.MediaTypeVideo && p.vt != nil) || (mt == astiav.MediaTypeAudio && (p.at != nil || p.cfg.NoAudio)) {
		return nil
	}
	if mt != astiav.MediaTypeVideo && mt != astiav.MediaTypeAudio {
		return nil
	}
	if cp.CodecID() == astiav.CodecIDNone {
		return nil // parameters not known yet
	}
	// Files and recordings decode with frame threads (throughput: a seek
	// decodes up to a GOP from the keyframe), live streams with slice
	// threads (no frame of delay per thread).
	lat := p.cfg.Latency
	if !p.src.live() {
		lat = LatencyNormal
	}
	cc, decName, err := openDecoder(st, lat)
	if err != nil {
		return err
	}
	name := cp.CodecID().Name() // the codec ("mp3"), not the decoder ("mp3float")
	t := &track{index: st.Index(), tb: st.TimeBase(), st: st, cc: cc, name: name, lat: lat}
	if mt == astiav.MediaTypeVideo {
		// Live: a few seconds of packets at most; a file: a short read-ahead.
		t.in = newPktQueue(p.queueLen(240, 60), p.src.live(), true)
		fps := st.AvgFrameRate().Float64()
		if fps == 0 {
			fps = st.RFrameRate().Float64()
		}
		p.mu.Lock()
		p.vt = t
		p.videoOn.Store(true)
		p.fps = fps
		p.width, p.height = cp.Width(), cp.Height()
		p.videoDesc = describeVideo(name, cp.Width(), cp.Height(), fps)
		p.mu.Unlock()
	} else {
		t.in = newPktQueue(p.queueLen(400, 100), p.src.live(), false)
		p.mu.Lock()
		p.at = t
		p.audioDesc = fmt.Sprintf("%s %dHz %dch", name, cp.SampleRate(), cp.ChannelLayout().NbChannels())
		p.mu.Unlock()
	}
	p.log.Info("track", "kind", mt.String(), "codec", name, "decoder", decName)
	return nil
}

func (p *Player) queueLen(live, file int) int {
	if p.src.live() {
		return live
	}
	return file
}

func describeVideo(name string, w, h int, fps float64) string {
	s := fmt.Sprintf("%s %dx%d", name, w, h)
	if fps > 0 {
		s += fmt.Sprintf(" %.4gfps", fps)
	}
	return s
}

func (p *Player) hasVideo() bool { return p.videoOn.Load() }

func (p *Player) noteVideoSize(w, h int) {
	p.mu.Lock()
	if w != p.width || h != p.height {
		p.width, p.height = w, h
		if p.vt != nil {
			p.videoDesc = describeVideo(p.vt.name, w, h, p.fps)
		}
	}
	p.mu.Unlock()
}

func (p *Player) noteAudioFormat(rate, ch int) {
	p.mu.Lock()
	if p.at != nil {
		p.audioDesc = fmt.Sprintf("%s %dHz %dch", p.at.name, rate, ch)
	}
	p.mu.Unlock()
}

// runReader demuxes until the source ends, fails or the player closes, and
// starts the decoders.
func (p *Player) runReader() {
	ctx := p.ctx
	var dwg sync.WaitGroup
	started := map[*track]bool{}
	startDecoders := func() {
		if p.vt != nil && !started[p.vt] {
			started[p.vt] = true
			dwg.Add(1)
			go func(t *track) { defer dwg.Done(); p.runVideoDecoder(ctx, t, p.frames) }(p.vt)
		}
		if p.at != nil && !started[p.at] && p.audio != nil {
			started[p.at] = true
			dwg.Add(1)
			go func(t *track) { defer dwg.Done(); p.runAudioDecoder(ctx, t) }(p.at)
		}
	}
	startDecoders()
	defer func() {
		for _, t := range []*track{p.vt, p.at} {
			if t != nil {
				t.in.Close()
			}
		}
		if p.vt == nil || !started[p.vt] {
			// No video decoder closes the frames: close them once the
			// audio decoder has queued its last samples, so the
			// presenter lets them play out.
			dwg.Wait()
			close(p.frames)
		}
		dwg.Wait()
		for _, t := range []*track{p.vt, p.at} {
			if t != nil {
				t.in.Discard()
			}
		}
	}()

	pkt := astiav.AllocPacket()
	defer pkt.Free()
	firstKey := false
	for {
		select {
		case d := <-p.seekReq:
			if !p.doSeek(d) {
				return
			}
		default:
		}
		err := p.in.readFrame(pkt)
		if err != nil {
			if errors.Is(err, astiav.ErrEagain) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, astiav.ErrEof) {
				p.log.Info("end of stream")
				return
			}
			p.fail(p.readError(err))
			return
		}
		idx := pkt.StreamIndex()
		var t *track
		switch {
		case p.vt != nil && idx == p.vt.index:
			t = p.vt
		case p.at != nil && idx == p.at.index:
			t = p.at
		default:
			// A track announced late, or one we do not play.
			if streams := p.fc.Streams(); idx < len(streams) {
				if err := p.addTrack(streams[idx]); err != nil {
					p.log.Warn("cannot decode a track", "err", err)
				}
				startDecoders()
			}
			if p.rec != nil {
				p.rec.write(pkt)
			}
			pkt.Unref()
			continue
		}
		if p.rec != nil {
			p.rec.write(pkt)
		}
		p.bytes.Add(int64(pkt.Size()))
		k := packet{size: pkt.Size(), key: pkt.Flags().Has(astiav.PacketFlagKey)}
		ts, dts := pkt.Pts(), pkt.Dts()
		if ts == noPTS {
			ts = dts
		}
		if dts == noPTS {
			dts = ts
		}
		k.pts, k.dts = fromTB(ts, t.tb), fromTB(dts, t.tb)
		if t == p.vt {
			p.edges.noteVideo(k.dts, time.Since(p.opened))
		} else if p.audio != nil {
			p.edges.noteAudio(k.pts+fromTB(pkt.Duration(), t.tb), time.Since(p.opened))
		}
		k.p = pkt.Clone()
		pkt.Unref()
		if t == p.vt && k.key {
			p.keys.note(k.pts)
		}
		if t == p.vt && k.key && !firstKey {
			firstKey = true
			p.log.Debug("first keyframe read", "after", time.Since(p.opened))
		}
		p.pushMu.Lock()
		pctx := p.pushCtx
		p.pushMu.Unlock()
		if !t.in.Push(pctx, k) {
			if ctx.Err() != nil {
				return
			}
			if pctx.Err() != nil { // a seek came: the loop's top does it
				p.pushMu.Lock()
				p.pushCtx, p.pushCancel = context.WithCancel(ctx)
				p.pushMu.Unlock()
			}
		}
	}
}

// readError explains why a running stream could not be read further.
func (p *Player) readError(err error) error {
	switch {
	case errors.Is(err, astiav.ErrEtimedout), errors.Is(err, astiav.ErrExit):
		return fmt.Errorf("%s: nothing arrived for %v: %w", p.src.shown, p.cfg.StallTimeout, ErrStalled)
	case errors.Is(err, astiav.ErrEio), errors.Is(err, astiav.ErrEpipe):
		if p.src.live() {
			return fmt.Errorf("%s: the server closed the connection: %w", p.src.shown, ErrStalled)
		}
	case errors.Is(err, astiav.ErrInvaliddata):
		return fmt.Errorf("%s: the stream is corrupt beyond repair: %w", p.src.shown, ErrCorrupt)
	}
	return fmt.Errorf("%s: reading: %v: %w", p.src.shown, err, ErrCorrupt)
}

func (p *Player) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.log.Warn("playback stopped", "err", err)
}

// doSeek moves a file or a recording to d from its start (reader
// goroutine). It reports false when d is at or past the end: playback ends
// there, as at the end of the file.
func (p *Player) doSeek(d time.Duration) bool {
	p.mu.Lock()
	start, dur := p.start, p.duration
	p.mu.Unlock()
	if dur > 0 && d >= dur {
		p.log.Info("seek past the end: playback ends", "to", d, "duration", dur)
		return false
	}
	at := d + start // timestamps count from the file's first
	if rs := p.in.vod(); rs != nil {
		// The server starts at a keyframe (see rtmpSource.seek); the
		// pictures before the target are skipped here.
		rs.seek(d, p.keys.interval)
		p.keys.last = -1
		p.in.demux.flush()
	} else if err := p.fc.SeekFrame(-1, at.Microseconds(), astiav.NewSeekFlags(astiav.SeekFlagBackward)); err != nil {
		p.log.Warn("seek failed", "to", d, "err", err)
		return true
	}
	gen := p.seekGen.Add(1) // what the decoders hold now is stale
	p.seekTarget.Store(int64(at))
	p.seeking.Store(p.vt != nil)
	for _, t := range []*track{p.vt, p.at} {
		if t != nil {
			t.in.Flush()
			t.in.Push(p.ctx, packet{key: true, gen: gen}) // reopen the decoder
		}
	}
	// Drop decoded pictures that wait for the presenter.
	for {
		select {
		case v, ok := <-p.frames:
			if ok {
				v.free()
				continue
			}
		default:
		}
		break
	}
	if p.audio != nil {
		p.audio.Flush()
	}
	p.audioStarted.Store(false) // what the decoders still hold is stale, not lost
	p.clock.Anchor(at)
	p.seekAnchor.Store(true)
	p.showOne.Store(p.paused.Load())
	return true
}

// tapAudio finds beeps in the samples as the device takes them.
func (p *Player) tapAudio() func(at time.Time, pts time.Duration, samples []float32) {
	det, _ := testsignal.NewBeepDetector(outRate, outChannels)
	var fed int64 // sample instants fed
	return func(at time.Time, _ time.Duration, samples []float32) {
		for _, i := range det.Feed(samples) {
			off := time.Duration(i-fed) * time.Second / outRate
			p.meter.beep(at.Add(off))
		}
		fed += int64(len(samples) / outChannels)
	}
}

// Wait blocks until playback ends (end of file, a failure, or Close) and
// says why: nil at the end of a file or after Close.
func (p *Player) Wait() error {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Done is closed when playback has ended.
func (p *Player) Done() <-chan struct{} { return p.done }

// Close stops playback and releases everything; it returns when every
// goroutine of the player has ended. Safe to call more than once.
func (p *Player) Close() {
	p.closeOnce.Do(func() {
		p.cancel()
		p.in.abort()
		<-p.done
		if st := State(p.state.Load()); st != StateError && st != StateEnded {
			p.setEnded()
		}
		p.freeAll()
	})
}

func (p *Player) freeAll() {
	if p.rec != nil {
		p.rec.close()
		p.rec = nil
	}
	for _, t := range []*track{p.vt, p.at} {
		if t != nil && t.cc != nil {
			t.cc.Free()
			t.cc = nil
		}
	}
	if p.audio != nil {
		p.audio.Close()
	}
	p.in.close()
	p.fc = nil
	if p.cancel != nil {
		p.cancel()
	}
}

// SetPaused pauses or resumes. A recording over RTMP is paused on the
// server too; a live stream resumes at the live edge (what came while
// paused was not kept).
func (p *Player) SetPaused(paused bool) {
	if p.paused.Swap(paused) == paused {
		return
	}
	p.clock.SetPaused(paused)
	if p.audio != nil {
		p.audio.SetPaused(paused)
	}
	if rs := p.in.vod(); rs != nil {
		rs.setPaused(paused, p.Stats().Position)
	}
	if p.src.live() {
		p.pauseMu.Lock()
		if paused {
			p.pauseBase, p.pausedLive = p.queueDrops(), true
		} else {
			p.pauseDrops += p.queueDrops() - p.pauseBase
			p.pausedLive = false
		}
		p.pauseMu.Unlock()
		if !paused {
			p.jumpLive.Store(true)
		}
	}
}

// JumpToLive moves a live stream to its live edge (after a pause, or when
// it fell behind); ErrNotLive for a file or a recording.
func (p *Player) JumpToLive() error {
	if !p.src.live() {
		return ErrNotLive
	}
	p.jumpLive.Store(true)
	return nil
}

// Live reports whether the source is a live stream (no seeking; Jump to
// live instead).
func (p *Player) Live() bool { return p.src.live() }

// Paused reports whether playback is paused.
func (p *Player) Paused() bool { return p.paused.Load() }

// SetVolume sets the volume, 0 to 2 (1: as decoded).
func (p *Player) SetVolume(v float64) {
	if p.audio != nil {
		p.audio.SetVolume(v)
	}
}

// SetMuted mutes or unmutes.
func (p *Player) SetMuted(m bool) {
	if p.audio != nil {
		p.audio.SetMuted(m)
	}
}

// Seekable reports whether Seek works (files and recordings with a known
// duration).
func (p *Player) Seekable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seekable
}

// Seek moves playback to d from the start of a file or recording (the
// first picture shown is the one at or after d); at or past the end,
// playback ends. A live stream cannot seek: ErrNotSeekable.
func (p *Player) Seek(d time.Duration) error {
	if !p.Seekable() {
		if p.src.live() {
			return fmt.Errorf("%s is live: %w", p.src.shown, ErrNotSeekable)
		}
		return fmt.Errorf("%s has no known duration: %w", p.src.shown, ErrNotSeekable)
	}
	d = max(d, 0)
	select {
	case <-p.seekReq:
	default:
	}
	p.seekReq <- d
	// Wake the reader should it wait for room in a queue or for the network.
	p.pushMu.Lock()
	if p.pushCancel != nil {
		p.pushCancel()
	}
	p.pushMu.Unlock()
	p.in.interrupt()
	return nil
}

// tracks returns the played tracks (any goroutine).
func (p *Player) tracks() (vt, at *track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.vt, p.at
}

// Opened is when Open was called: time to first frame counts from it.
func (p *Player) Opened() time.Time { return p.opened }

// keyGaps follows the distance between a stream's keyframes.
type keyGaps struct {
	last     time.Duration // the latest keyframe's PTS; < 0 after a seek
	interval time.Duration // the longest distance seen, up to maxKeyGap
}

// maxKeyGap bounds keyGaps.interval: a longer one is a discontinuity.
const maxKeyGap = 10 * time.Second

func (g *keyGaps) note(pts time.Duration) {
	if d := pts - g.last; g.last >= 0 && d > 0 && d <= maxKeyGap {
		g.interval = max(g.interval, d)
	}
	g.last = pts
}
