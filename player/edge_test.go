package player

import (
	"testing"
	"time"
)

// TestEdgeTracker: the live edge is the earliest track's, extrapolated;
// audio that stopped coming no longer holds it back.
func TestEdgeTracker(t *testing.T) {
	const ms = time.Millisecond
	cases := []struct {
		name             string
		video, audio     bool
		vDTS, vAt        time.Duration
		aEnd, aAt        time.Duration
		now              time.Duration
		wantNew, wantEdg time.Duration
	}{
		{"video only", true, false, 1000 * ms, 0, 0, 0, 10 * ms, 1000 * ms, 1010 * ms},
		{"audio only", false, true, 0, 0, 500 * ms, 0, 20 * ms, 500 * ms, 520 * ms},
		{"audio behind video", true, true, 1000 * ms, 0, 900 * ms, 0, 10 * ms, 900 * ms, 910 * ms},
		{"audio ahead of video", true, true, 1000 * ms, 0, 1040 * ms, 0, 10 * ms, 1000 * ms, 1010 * ms},
		{"extrapolation stops at maxEdgeGap", true, false, 1000 * ms, 0, 0, 0, 500 * ms, 1000 * ms, 1000*ms + maxEdgeGap},
		{"stale audio ignored", true, true, 5000 * ms, 4000 * ms, 900 * ms, 0, 4000 * ms, 5000 * ms, 5000 * ms},
	}
	for _, c := range cases {
		var e edgeTracker
		if c.video {
			e.noteVideo(c.vDTS, c.vAt)
		}
		if c.audio {
			e.noteAudio(c.aEnd, c.aAt)
		}
		if got := e.newest(c.now); got != c.wantNew {
			t.Errorf("%s: newest = %v, want %v", c.name, got, c.wantNew)
		}
		if got := e.edge(c.now); got != c.wantEdg {
			t.Errorf("%s: edge = %v, want %v", c.name, got, c.wantEdg)
		}
	}
}

// TestPausedLiveDropsSkipped: what a live stream's queues drop while it is
// paused is skipped (the viewer resumes at the live edge), not dropped;
// drops after resuming count again.
func TestPausedLiveDropsSkipped(t *testing.T) {
	p := &Player{src: source{kind: kindRTMP}, clock: newPlayClock(nil), in: &input{}}
	p.vt = &track{in: newPktQueue(2, true, false)}
	push := func(n int) {
		for i := 0; i < n; i++ {
			p.vt.in.Push(t.Context(), packet{key: true})
		}
	}
	push(2)
	p.SetPaused(true)
	push(5) // 5 dropped while paused
	if st := p.Stats(); st.Dropped != 0 || st.Skipped != 5 {
		t.Errorf("paused: dropped %d, skipped %d; want 0, 5", st.Dropped, st.Skipped)
	}
	p.SetPaused(false)
	push(3) // 3 more: lost in play
	if st := p.Stats(); st.Dropped != 3 || st.Skipped != 5 {
		t.Errorf("resumed: dropped %d, skipped %d; want 3, 5", st.Dropped, st.Skipped)
	}
	if !p.jumpLive.Load() {
		t.Error("resuming a live stream does not go to the live edge")
	}
}
