package player

import (
	"testing"
	"time"
)

const msec = time.Millisecond

// TestPresentCatchUpTarget: low latency holds lowBuffer, except on
// segmented (HLS) sources, which hold normalBuffer as normal latency does.
func TestPresentCatchUpTarget(t *testing.T) {
	for _, c := range []struct {
		l         Latency
		segmented bool
		want      time.Duration
	}{
		{LatencyLow, false, lowBuffer},
		{LatencyLow, true, normalBuffer},
		{LatencyNormal, false, normalBuffer},
		{LatencyNormal, true, normalBuffer},
	} {
		if got := catchUpTarget(c.l, c.segmented); got != c.want {
			t.Errorf("catchUpTarget(%v, segmented %v) = %v, want %v", c.l, c.segmented, got, c.want)
		}
	}
}

// TestPresentCatchUpSteps: the catch-up's step at each edge of its bands,
// for the low-latency jitter buffer (target 100 ms) and normal latency
// (target 1 s): join in the first 2 s above 50 ms, jump beyond 2·target +
// 1 s, faster beyond target + 50 ms (low) or 1.5·target + 50 ms (normal),
// hold beyond target, else follow.
func TestPresentCatchUpSteps(t *testing.T) {
	for _, c := range []struct {
		name        string
		jitter      bool
		target, buf time.Duration
		joined      time.Duration
		want        catchUpStep
	}{
		{"low: joining, 51 ms behind", true, lowBuffer, 51 * msec, 0, catchUpJoin},
		{"low: joining, 50 ms behind", true, lowBuffer, 50 * msec, 0, catchUpFollow},
		{"low: joining until 2 s", true, lowBuffer, 150 * msec, 2*time.Second - 1, catchUpJoin},
		{"low: joined at 2 s", true, lowBuffer, 150 * msec, 2 * time.Second, catchUpHold},
		{"low: faster from 150 ms", true, lowBuffer, 150*msec + 1, 10 * time.Second, catchUpFaster},
		{"low: far behind", true, lowBuffer, 1200*msec + 1, 10 * time.Second, catchUpJump},
		{"low: not quite far", true, lowBuffer, 1200 * msec, 10 * time.Second, catchUpFaster},
		{"low: faster", true, lowBuffer, 200*msec + 1, 10 * time.Second, catchUpFaster},
		{"low: hold at 150 ms", true, lowBuffer, 150 * msec, 10 * time.Second, catchUpHold},
		{"low: hold just above target", true, lowBuffer, 100*msec + 1, 10 * time.Second, catchUpHold},
		{"low: at target", true, lowBuffer, 100 * msec, 10 * time.Second, catchUpFollow},
		{"low: ahead of the edge", true, lowBuffer, -20 * msec, 10 * time.Second, catchUpFollow},
		{"HLS: no join", false, normalBuffer, 500 * msec, 0, catchUpFollow},
		{"normal: no join", false, normalBuffer, 1100 * msec, 0, catchUpHold},
		{"normal: far behind", false, normalBuffer, 3*time.Second + 1, 0, catchUpJump},
		{"normal: faster", false, normalBuffer, 1550*msec + 1, 0, catchUpFaster},
		{"normal: hold at 1.55 s", false, normalBuffer, 1550 * msec, 0, catchUpHold},
	} {
		if got := catchUpFor(c.jitter, c.target, c.buf, c.joined); got != c.want {
			t.Errorf("%s: catchUpFor(jitter %v, %v, buf %v, joined %v) = %d, want %d",
				c.name, c.jitter, c.target, c.buf, c.joined, got, c.want)
		}
	}
}

// TestPresentLiveEdge: the live edge runs on from the newest picture with
// the time since it was read, up to maxEdgeGap, and never back.
func TestPresentLiveEdge(t *testing.T) {
	const newest, readAt = 10 * time.Second, 3 * time.Second
	for _, c := range []struct{ now, want time.Duration }{
		{readAt, newest},
		{readAt + 33*msec, newest + 33*msec},
		{readAt + maxEdgeGap, newest + maxEdgeGap},
		{readAt + time.Minute, newest + maxEdgeGap}, // a stalled source
		{readAt - msec, newest},                     // read after now (racing reader)
	} {
		if got := liveEdgeAt(newest, readAt, c.now); got != c.want {
			t.Errorf("liveEdgeAt(%v, %v, %v) = %v, want %v", newest, readAt, c.now, got, c.want)
		}
	}
}

// TestPresentSpeeds: the speed bands with their hysteresis: audio that
// follows the live edge (queue beyond lowAudio: faster, under half: back),
// video alone (settling to lowJoin behind the edge), and pictures kept
// avLead ahead of the audio.
func TestPresentSpeeds(t *testing.T) {
	for _, c := range []struct {
		q         time.Duration
		cur, want float64
	}{
		{lowAudio + 1, 1, 1.05},
		{lowAudio, 1, 1},
		{lowAudio, 1.05, 1.05},
		{lowAudio / 2, 1.05, 1.05},
		{lowAudio/2 - 1, 1.05, 1},
	} {
		if got := audioQueueSpeed(c.q, c.cur); got != c.want {
			t.Errorf("audioQueueSpeed(%v, %v) = %v, want %v", c.q, c.cur, got, c.want)
		}
	}
	for _, c := range []struct {
		low       time.Duration
		cur, want float64
	}{
		{lowJoin + 20*msec + 1, 1, 1.05},
		{lowJoin + 20*msec, 1, 1},
		{lowJoin + 20*msec, 1.05, 1.05},
		{lowJoin + 5*msec, 1.05, 1.05},
		{lowJoin + 5*msec - 1, 1.05, 1},
	} {
		if got := videoAloneSpeed(c.low, c.cur); got != c.want {
			t.Errorf("videoAloneSpeed(%v, %v) = %v, want %v", c.low, c.cur, got, c.want)
		}
	}
	for _, c := range []struct {
		diff, buf time.Duration
		cur, want float64
	}{
		{avLead + 10*msec + 1, 0, 1, 0.95},            // audio too late: slower
		{avLead + 10*msec, 0, 1, 1},                   // band edge: hold
		{avLead + 10*msec, 0, 0.95, 0.95},             // band edge: hold
		{avLead + 5*msec - 1, 0, 0.95, 1},             // back in the band
		{avLead - 10*msec - 1, 10 * msec, 1, 1.05},    // audio ahead, pictures waiting: faster
		{avLead - 10*msec - 1, 0, 1, 1},               // no picture waiting: hold
		{avLead - 5*msec + 1, 10 * msec, 1.05, 1},     // back in the band
		{avLead - 5*msec, 10 * msec, 1.05, 1.05},      // band edge: hold
		{avLead, 0, 0.95, 1},                          // on target
		{-time.Second, 10 * msec, 1, 1.05},            // audio far ahead
		{time.Second, 10 * msec, 1.05, 0.95},          // audio far behind
		{avLead - 10*msec - 1, -5 * msec, 0.95, 0.95}, // ahead, nothing queued: hold
		{avLead + 7*msec, 0, 1.05, 1.05},              // inside the edges: hold
		{avLead - 7*msec, 0, 0.95, 0.95},              // inside the edges: hold
		{avLead + 4*msec, 0, 0.95, 1},                 // in the band
		{avLead + 10*msec + time.Nanosecond, 0, 1.05, 0.95},
	} {
		if got := avLeadSpeed(c.diff, c.buf, c.cur); got != c.want {
			t.Errorf("avLeadSpeed(%v, %v, %v) = %v, want %v", c.diff, c.buf, c.cur, got, c.want)
		}
	}
}
