package player

import "time"

// Stats is a snapshot of a Player's figures.
type Stats struct {
	State State
	// FirstFrame is the time from Open to the first presented picture;
	// zero until then.
	FirstFrame time.Duration
	// Frames presented, and dropped: late pictures and audio plus
	// packets a live source lost in the player's queues — what a viewer
	// saw go missing in steady play.
	Frames  int64
	Dropped int64
	// Skipped counts the pictures decoded but not shown to reach the live
	// edge (on joining, after a stall), SkippedAudio the audio blocks
	// likewise; neither is in Dropped.
	Skipped      int64
	SkippedAudio int64
	// Concealed counts decode errors that were concealed (playback went
	// on).
	Concealed int64
	// DecodeP50 is the median time to decode a picture, in ms.
	DecodeP50 float64
	// Buffer is how far the newest received media is ahead of what plays.
	Buffer time.Duration
	// Bytes received (media payload).
	Bytes int64
	// Video and Audio describe the tracks, like "h264 1280x720 30fps" and
	// "aac 48000Hz 2ch"; empty when absent.
	Video, Audio string
	Width        int
	Height       int
	// Duration of a file (zero for live).
	Duration time.Duration
	// Position is the media time of the last presented picture (of the
	// audio playing, without video), from the start of a file, or for a
	// live stream from the first picture.
	Position time.Duration
	// AudioBackend names the output ("null", "pulseaudio", …).
	AudioBackend string
	// Signal: the test signal's figures (see signalFigures), over the
	// last second and the run.
	Signal signalFigures
	// Err is why playback ended, when it failed.
	Err error
}

// Stats reports the current figures; the signal window is the last second.
func (p *Player) Stats() Stats {
	s := Stats{
		State:     State(p.state.Load()),
		Frames:    p.presented.Load(),
		Concealed: p.concealed.Load(),
		DecodeP50: p.decodeTimes.p50(),
		Bytes:     p.bytes.Load(),
		Signal:    p.meter.figures(time.Now().Add(-time.Second)),
	}
	if p.paused.Load() && s.State == StatePlaying {
		s.State = StatePaused
	}
	s.FirstFrame = time.Duration(p.firstFrame.Load())
	s.Dropped = p.lateDropped.Load() + p.audioDropped.Load()
	s.Skipped, s.SkippedAudio = p.joinSkipped.Load(), p.audioSkipped.Load()
	// What a live stream's queues let go while paused was not lost: the
	// viewer resumes at the live edge.
	queued, paused := p.queueDrops(), p.pausedDrops()
	s.Dropped += queued - paused
	s.Skipped += paused
	if now, ok := p.clock.Now(); ok {
		if b := p.edges.edge(time.Since(p.opened)) - now; b > 0 {
			s.Buffer = b
		}
	}
	if p.audio != nil {
		s.AudioBackend = p.audio.Backend()
	}
	p.mu.Lock()
	s.Video, s.Audio, s.Width, s.Height, s.Duration, s.Err = p.videoDesc, p.audioDesc, p.width, p.height, p.duration, p.err
	start := p.start
	p.mu.Unlock()
	s.Position = p.position(start)
	if s.Err != nil && (s.State == StateEnded || s.State == StateError) {
		s.State = StateError
	}
	return s
}

// position is the media time shown, from start for a file, from the first
// picture live.
func (p *Player) position(start time.Duration) time.Duration {
	var at time.Duration
	switch now, ok := p.clock.Now(); {
	case p.presented.Load() > 0:
		at = time.Duration(p.shownPTS.Load())
		if p.src.live() {
			start = time.Duration(p.firstPTS.Load())
		}
	case ok && !p.src.live():
		at = now
	default:
		return 0
	}
	return max(0, at-start)
}

// queueDrops is what the packet queues dropped, both tracks.
func (p *Player) queueDrops() int64 {
	var n int64
	vt, at := p.tracks()
	for _, t := range []*track{vt, at} {
		if t != nil {
			n += t.in.Dropped()
		}
	}
	return n
}

// pausedDrops is what the queues dropped while a live stream was paused.
func (p *Player) pausedDrops() int64 {
	p.pauseMu.Lock()
	defer p.pauseMu.Unlock()
	n := p.pauseDrops
	if p.pausedLive {
		n += p.queueDrops() - p.pauseBase
	}
	return n
}
