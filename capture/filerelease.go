package capture

import (
	"time"

	"onair/internal/media"
)

// A File's release schedule: the frames decoded ahead wait in timeline
// order until their time comes on the stream clock, once the timeline is
// anchored when both views have started (or fileStartWait has passed).

// fileStartWait is how long the first frames wait for the second view to
// be started, so that both begin together.
const fileStartWait = 250 * time.Millisecond

type fileVFrame struct {
	f  *media.VideoFrame
	at time.Duration
}

type fileAFrame struct {
	f  *media.AudioFrame
	at time.Duration
}

// firstFramesReady reports whether each delivered stream has a frame
// ready (or has ended).
func (f *File) firstFramesReady() bool {
	p := &f.play
	if f.vtrack != nil && len(p.vready) == 0 && !f.vtrack.drained {
		return false
	}
	if f.atrack != nil && len(p.aready) == 0 && !f.atrack.drained {
		return false
	}
	return true
}

// viewsReady reports whether the timeline may be anchored: every
// delivered stream's view has been started, or fileStartWait has passed
// since the first one was.
func (f *File) viewsReady() bool {
	f.mu.Lock()
	since := time.Since(f.firstUp)
	f.mu.Unlock()
	if since >= fileStartWait {
		return true
	}
	started := func(v *viewState) bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.started
	}
	return (f.vtrack == nil || started(&f.video.viewState)) && (f.atrack == nil || started(&f.audio.viewState))
}

// earliestReady is the timeline time of the first frame ready.
func (f *File) earliestReady() (time.Duration, bool) {
	p := &f.play
	switch {
	case len(p.vready) > 0 && len(p.aready) > 0:
		return min(p.vready[0].at, p.aready[0].at), true
	case len(p.vready) > 0:
		return p.vready[0].at, true
	case len(p.aready) > 0:
		return p.aready[0].at, true
	}
	return 0, false
}

// release hands out, in timeline order, every frame due at stream time
// now; a video frame more than a frame interval late is dropped.
func (f *File) release(now time.Duration) {
	p := &f.play
	if !p.based {
		return
	}
	for {
		video := len(p.vready) > 0 && (len(p.aready) == 0 || p.vready[0].at <= p.aready[0].at)
		if video {
			v := p.vready[0]
			due := p.base + v.at
			if due > now {
				return
			}
			p.vready[0] = fileVFrame{}
			p.vready = p.vready[1:]
			if late := now - due; late > f.vtrack.interval {
				v.f.Release()
				f.video.skipped.Add(1)
				p.late.note(f.log, "falling behind, dropped video frames", 1, f.video.Skipped(), "late", late)
				continue
			}
			v.f.PTS = due
			f.video.deliver(v.f)
			continue
		}
		if len(p.aready) == 0 {
			return
		}
		a := p.aready[0]
		due := p.base + a.at
		if due > now {
			return
		}
		p.aready[0] = fileAFrame{}
		p.aready = p.aready[1:]
		a.f.PTS = due
		f.audio.deliver(a.f)
	}
}

// nextWake is the stream time at which there may be work: the next frame
// due, the next packet to decode, the demuxer allowed to read on.
func (f *File) nextWake(now time.Duration) time.Duration {
	p := &f.play
	wake := now + 100*time.Millisecond
	if !p.based {
		return now + 5*time.Millisecond // waiting for the second view
	}
	early := func(t time.Duration) {
		if t < wake {
			wake = t
		}
	}
	if len(p.vready) > 0 {
		early(p.base + p.vready[0].at)
	}
	if len(p.aready) > 0 {
		early(p.base + p.aready[0].at)
	}
	for _, t := range f.tracks {
		if len(t.pkts) > 0 {
			early(p.base + t.pkts[0].at - fileLead)
		}
	}
	if !p.eof {
		lo, hi := f.readSpan()
		early(p.base + max(lo-fileLead, hi-fileMaxAhead))
	}
	return wake
}
