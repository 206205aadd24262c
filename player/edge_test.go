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
