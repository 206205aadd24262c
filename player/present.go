package player

import (
	"fmt"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/media"
)

// Presentation tuning.
const (
	// lateVideo: a picture this far behind the clock is dropped when a
	// newer one is waiting.
	lateVideo = 40 * time.Millisecond
	// jumpGap: a picture this far ahead of the clock is a discontinuity
	// (a looped file, a publisher that restarted): the clock re-anchors.
	jumpGap = 2 * time.Second
	// Normal mode's start-up buffer, and how long to wait for it at most.
	normalBuffer     = time.Second
	normalBufferWait = 3 * time.Second
	// Low mode's jitter buffer: up to lowBuffer before catch-up starts;
	// joining a stream lands lowJoin behind the newest packet.
	lowBuffer = 100 * time.Millisecond
	lowJoin   = 20 * time.Millisecond
	// maxEdgeGap bounds how far liveEdge runs on past the newest picture
	// read (a frame interval at 10 fps).
	maxEdgeGap = 100 * time.Millisecond
	// lowAudio: when the wall clock leads, audio queued beyond this on
	// the output plays 5% faster until it is back under lowAudio/2.
	lowAudio = 35 * time.Millisecond
	// avLead: when the wall clock leads, pictures are kept this far ahead
	// of the audio that plays (audio a little late, never early), ±10 ms.
	avLead = 15 * time.Millisecond
)

// runPresenter shows each decoded picture at its time on the clock.
func (p *Player) runPresenter() {
	ctx := p.ctx
	conv := &converter{format: p.cfg.SinkFormat}
	defer conv.free()
	var lastCatchUp time.Time
	for {
		var v *vframe
		var ok bool
		select {
		case <-ctx.Done():
			p.drainFrames()
			return
		case v, ok = <-p.frames:
		}
		if !ok {
			p.finishAudio()
			if p.state.Load() != int32(StateError) {
				p.setEnded()
			}
			return
		}
		if p.staleAfterSeek(v) {
			v.free()
			continue
		}
		if !p.clock.Anchored() || p.seekAnchor.Swap(false) {
			if p.cfg.Latency == LatencyNormal && p.src.live() {
				p.bufferUp()
			}
			p.clock.Anchor(v.pts)
		}
		if p.showOne.Swap(false) && p.paused.Load() {
			// A seek while paused shows the picture at the target.
			p.present(v, conv)
			v.free()
			continue
		}
		if !p.waitUntilDue(v) {
			v.free()
			p.drainFrames()
			return
		}
		if p.staleAfterSeek(v) { // a seek came while it waited
			v.free()
			continue
		}
		now, _ := p.clock.Now()
		if late := now-v.pts > lateVideo; late && p.skipped(v.pts) {
			// Behind a jump to the live edge: not shown even when nothing
			// newer is decoded yet (joining a long GOP would otherwise
			// play it fast-forward).
			p.joinSkipped.Add(1)
			v.free()
			continue
		} else if late && len(p.frames) > 0 {
			p.lateDropped.Add(1)
			v.free()
			continue
		}
		p.present(v, conv)
		v.free()
		if p.src.live() && (time.Since(lastCatchUp) > 250*time.Millisecond || p.presented.Load() == 1) {
			lastCatchUp = time.Now()
			p.catchUp()
		}
	}
}

// bufferUp waits in normal mode until about a second of media is queued.
func (p *Player) bufferUp() {
	p.state.Store(int32(StateBuffering))
	deadline := time.Now().Add(normalBufferWait)
	for time.Now().Before(deadline) && p.ctx.Err() == nil {
		if vt, _ := p.tracks(); vt != nil && vt.in.Span() >= normalBuffer-100*time.Millisecond {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitUntilDue sleeps until v's time comes; false when the player closes.
func (p *Player) waitUntilDue(v *vframe) bool {
	for {
		if p.ctx.Err() != nil {
			return false
		}
		if p.paused.Load() {
			if v.gen != p.seekGen.Load() {
				return true // a seek while paused: v is stale
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		now, _ := p.clock.Now()
		d := v.pts - now
		if d <= 0 {
			return true
		}
		if d > jumpGap {
			p.log.Info("timestamp jump: the clock re-anchors", "ahead", d)
			p.clock.Anchor(v.pts)
			if p.audio != nil {
				p.audio.Flush()
			}
			return true
		}
		time.Sleep(min(d, 5*time.Millisecond))
	}
}

// catchUp keeps a live stream's latency from creeping: a little faster
// play when the buffer is above target, a jump when it is far above.
func (p *Player) catchUp() {
	now, ok := p.clock.Now()
	if !ok {
		return
	}
	// HLS arrives a segment at a time: a buffer shorter than a segment
	// would skip at every segment.
	segmented := p.src.kind == kindHLS
	target := catchUpTarget(p.cfg.Latency, segmented)
	newest := p.edges.newest(time.Since(p.opened))
	buf := newest - now
	edge := p.liveEdge()
	speed := 1.0
	joined := time.Since(p.opened) - time.Duration(p.firstFrame.Load())
	jitter := p.cfg.Latency == LatencyLow && !segmented
	step := catchUpFor(jitter, target, buf, joined)
	if p.jumpLive.Swap(false) { // the viewer asked (JumpToLive)
		step = catchUpJump
		if jitter {
			step = catchUpJoin
		}
	}
	switch step {
	case catchUpJoin:
		// A server's GOP cache starts a new viewer at the last keyframe,
		// up to a GOP behind live: show it at once, then skip to the edge.
		p.log.Debug("joining: skipping to the live edge", "buffer", buf)
		p.skipTo(edge - lowJoin)
		if p.audio != nil {
			p.audio.Flush()
		}
	case catchUpJump:
		p.log.Info("far behind live: jumping ahead", "buffer", buf)
		p.skipTo(newest - target)
		if p.audio != nil {
			p.audio.Flush()
		}
	case catchUpFaster:
		speed = 1.05
	case catchUpHold:
		speed = p.speed
	default:
		speed = p.followAudio(now, buf, edge-now)
	}
	if speed != p.speed {
		p.speed = speed
		p.clock.SetSpeed(speed)
		if p.audio != nil && p.audioLeads {
			p.audio.SetSpeed(speed)
		}
	}
	if p.audio != nil && !p.audioLeads {
		// Audio follows the live edge: keep its queue short.
		if as := audioQueueSpeed(p.audio.Buffered(), p.audioSpeed); as != p.audioSpeed {
			p.audioSpeed = as
			p.audio.SetSpeed(as)
		}
	}
}

// catchUpTarget is the buffer a live stream is held at: lowBuffer in low
// latency, normalBuffer in normal latency and for segmented (HLS) sources.
func catchUpTarget(l Latency, segmented bool) time.Duration {
	if l == LatencyNormal || segmented {
		return normalBuffer
	}
	return lowBuffer
}

// catchUpStep is what the catch-up does about the buffer.
type catchUpStep int

const (
	catchUpFollow catchUpStep = iota // within target: follow the audio (followAudio)
	catchUpJoin                      // joining: skip to lowJoin behind the live edge
	catchUpJump                      // far behind: jump to target behind the newest picture
	catchUpFaster                    // above target: play 5% faster
	catchUpHold                      // a little above target: keep the speed
)

// catchUpFor decides the catch-up step for a buffer buf (newest picture −
// clock) against target, joined after the first frame was shown; jitter
// is true for low latency on an unsegmented source (its jitter buffer is
// what a join skips).
func catchUpFor(jitter bool, target, buf, joined time.Duration) catchUpStep {
	switch {
	case jitter && joined < 2*time.Second && buf > lowJoin+30*time.Millisecond:
		return catchUpJoin
	case buf > target+time.Second+target:
		return catchUpJump
	case jitter && buf > target+50*time.Millisecond:
		// A live source's pictures came late (a retransmission, a
		// stall): get back to the target within seconds, not minutes.
		return catchUpFaster
	case buf > target+target/2+50*time.Millisecond:
		return catchUpFaster
	case buf > target:
		return catchUpHold
	}
	return catchUpFollow
}

// audioQueueSpeed is the speed of audio that follows the live edge, with
// queued audio on the output and speed cur now: 5% faster above lowAudio,
// back to 1 under lowAudio/2, else as it is.
func audioQueueSpeed(queued time.Duration, cur float64) float64 {
	switch {
	case queued > lowAudio:
		return 1.05
	case queued < lowAudio/2:
		return 1
	}
	return cur
}

// liveEdge is the stream time at the live edge now: the newest media
// every track has reached, plus the time since it was read (edgeTracker).
func (p *Player) liveEdge() time.Duration {
	return p.edges.edge(time.Since(p.opened))
}

// skipTo moves the clock ahead to d to reach the live edge: what comes
// late from before d was skipped, not lost.
func (p *Player) skipTo(d time.Duration) {
	p.skipBefore.Store(int64(max(d, time.Duration(p.skipBefore.Load()))))
	p.clock.Anchor(d)
}

// skipped reports whether media at pts, come late, was skipped by a move
// to the live edge rather than lost.
func (p *Player) skipped(pts time.Duration) bool {
	return pts < time.Duration(p.skipBefore.Load())
}

// liveEdgeAt is the live edge at time now, the newest picture read having
// PTS newest and been read at readAt (both times since the player
// opened). Measured from the newest PTS alone, the lead jumps by a frame
// interval at each arrival, and the catch-up (which samples it right after
// presenting a picture, so always at the same phase) could settle one
// whole frame later in one run than in another. The extrapolation stops at
// maxEdgeGap, so a stalled source does not look like a clock far behind.
func liveEdgeAt(newest, readAt, now time.Duration) time.Duration {
	return newest + max(0, min(now-readAt, maxEdgeGap))
}

// present hands v to the sink and measures it.
func (p *Player) present(v *vframe, conv *converter) {
	if p.state.Load() != int32(StatePaused) {
		p.state.Store(int32(StatePlaying))
	}
	if p.cfg.Sink != nil {
		if mf, err := conv.frame(v.f); err == nil {
			mf.PTS = v.pts
			mf.Seq = p.presented.Load()
			p.cfg.Sink.Present(&mf)
		} else {
			p.log.Debug("cannot convert picture", "err", err)
		}
	}
	at := time.Now()
	p.shownPTS.Store(int64(v.pts))
	if p.presented.Add(1) == 1 {
		p.firstPTS.Store(int64(v.pts))
		p.firstFrame.Store(int64(at.Sub(p.opened)))
		p.log.Info("first frame", "after", at.Sub(p.opened).Round(time.Millisecond))
	}
	p.meter.frame(at, v.stripeMS, v.stripeOK, v.yuv, v.sync)
}

func (p *Player) drainFrames() {
	for v := range p.frames {
		v.free()
	}
}

// finishAudio lets queued audio play out at the end of a file.
func (p *Player) finishAudio() {
	if p.audio == nil {
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for p.audio.Buffered() > 0 && time.Now().Before(deadline) && p.ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *Player) setEnded() {
	p.mu.Lock()
	failed := p.err != nil
	p.mu.Unlock()
	if failed {
		p.state.Store(int32(StateError))
	} else {
		p.state.Store(int32(StateEnded))
	}
}

// converter gives decoded pictures to the sink in its format: views of
// FFmpeg's planes when the format already matches, else a swscale copy.
type converter struct {
	format media.PixelFormat
	sws    *astiav.SoftwareScaleContext
	dst    *astiav.Frame
	w, h   int
	src    astiav.PixelFormat
}

func (c *converter) frame(f *astiav.Frame) (media.VideoFrame, error) {
	if c.format == media.PixelFormatYUV420P {
		if v, ok := viewYUV420(f); ok {
			return v, nil
		}
	}
	want := astiav.PixelFormatRgba
	if c.format == media.PixelFormatYUV420P {
		want = astiav.PixelFormatYuv420P
	}
	w, h := f.Width(), f.Height()
	if c.sws == nil || w != c.w || h != c.h || f.PixelFormat() != c.src {
		c.free()
		sws, err := astiav.CreateSoftwareScaleContext(w, h, f.PixelFormat(), w, h, want,
			astiav.NewSoftwareScaleContextFlags(astiav.SoftwareScaleContextFlagBilinear))
		if err != nil {
			return media.VideoFrame{}, fmt.Errorf("swscale %dx%d %s: %w", w, h, f.PixelFormat(), err)
		}
		c.sws, c.w, c.h, c.src = sws, w, h, f.PixelFormat()
		c.dst = astiav.AllocFrame()
	}
	if err := c.sws.ScaleFrame(f, c.dst); err != nil {
		return media.VideoFrame{}, err
	}
	if want == astiav.PixelFormatRgba {
		return viewRGBA(c.dst), nil
	}
	v, _ := viewYUV420(c.dst)
	return v, nil
}

func (c *converter) free() {
	if c.sws != nil {
		c.sws.Free()
		c.sws = nil
	}
	if c.dst != nil {
		c.dst.Free()
		c.dst = nil
	}
}

func (p *Player) audioBuffered() time.Duration {
	if p.audio == nil {
		return 0
	}
	return p.audio.Buffered()
}

// staleAfterSeek reports whether v predates a seek in progress: pictures
// decoded before the seek, and those between the keyframe and the target,
// are neither shown nor losses. The first picture at the target ends the
// seek and re-anchors the clock on it.
func (p *Player) staleAfterSeek(v *vframe) bool {
	if v.gen != p.seekGen.Load() {
		return true // decoded before the latest seek
	}
	if !p.seeking.Load() {
		return false
	}
	// The first picture at or after the target (a millisecond's grace for
	// timestamps rounded to FLV's milliseconds).
	if v.pts < time.Duration(p.seekTarget.Load())-time.Millisecond {
		return true
	}
	p.seeking.Store(false)
	p.seekAnchor.Store(true)
	p.clock.Anchor(v.pts)
	return false
}

// followAudio is the clock speed that keeps pictures avLead ahead of the
// audio playing now, when the wall clock leads: a little slower when audio
// falls behind, a little faster (while pictures are waiting) when it runs
// ahead. buf is how far the newest picture is ahead of the clock.
func (p *Player) followAudio(now, buf, lead time.Duration) float64 {
	// How far the clock is behind the live edge, lowest of the last
	// second (network jitter shows as dips).
	p.bufHist[p.bufN%len(p.bufHist)] = lead
	p.bufN++
	low := lead
	for _, b := range p.bufHist[:min(p.bufN, len(p.bufHist))] {
		low = min(low, b)
	}
	if p.audioLeads || p.cfg.Latency != LatencyLow || p.src.kind == kindHLS {
		return 1
	}
	if p.audio == nil || p.cfg.NoAudio {
		return videoAloneSpeed(low, p.speed)
	}
	apts, ok := p.audio.Clock()
	if !ok {
		return 1
	}
	return avLeadSpeed(now-apts, buf, p.speed)
}

// videoAloneSpeed is the clock speed, cur now, that settles a stream
// without audio back to lowJoin behind the live edge, low being how far
// the clock was behind it at least of late.
func videoAloneSpeed(low time.Duration, cur float64) float64 {
	switch {
	case low > lowJoin+20*time.Millisecond:
		return 1.05
	case low < lowJoin+5*time.Millisecond:
		return 1
	}
	return cur
}

// avLeadSpeed is the clock speed, cur now, that keeps pictures avLead
// ahead of the audio playing: diff is the clock − the audio's time (> 0:
// audio late), buf how far the newest picture is ahead of the clock.
func avLeadSpeed(diff, buf time.Duration, cur float64) float64 {
	switch {
	case diff > avLead+10*time.Millisecond:
		return 0.95
	case diff < avLead-10*time.Millisecond && buf > 0:
		return 1.05
	case diff > avLead-5*time.Millisecond && diff < avLead+5*time.Millisecond:
		return 1
	}
	return cur // inside the band's edges: hold
}
