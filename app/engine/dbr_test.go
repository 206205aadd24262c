package engine

import (
	"strings"
	"testing"
	"time"

	"onair/publish"
)

// dbrStep is one reading given to the controller and the target it must
// answer: times in ms, rates in kb/s.
type dbrStep struct {
	at, queue  int
	rate, want int
	why        string
}

// shedding marks a step's destination as dropping video.
const shedding = " [dropping video]"

func runDBR(t *testing.T, c *dbr, steps []dbrStep) {
	t.Helper()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, s := range steps {
		r := dbrReading{queue: ms(s.queue), rate: float64(s.rate) * 1000, shedding: strings.HasSuffix(s.why, shedding)}
		got := c.update(ms(s.at), r)
		if got != s.want*1000 {
			t.Fatalf("at %d ms, queue %d ms, rate %d kb/s: target %d, want %d000 (%s)", s.at, s.queue, s.rate, got, s.want, s.why)
		}
	}
}

func TestDBRLowersAndRaises(t *testing.T) {
	runDBR(t, newDBR(2_500_000, 128_000), []dbrStep{
		{0, 0, 2700, 2500, "calm at the configured rate"},
		{250, 100, 2700, 2500, "a queue under 200 ms is no congestion"},
		{500, 250, 2400, 2500, "congested, not for 500 ms yet"},
		{750, 300, 2200, 2500, "250 ms of it"},
		{1000, 400, 2000, 1472, "500 ms of it: 0.8 × 2000 − 128"},
		{1250, 600, 1500, 1472, "less than a second since the last decrease"},
		{2000, 700, 1000, 672, "a second later, the rate is lower: 0.8 × 1000 − 128"},
		{3000, 500, 1000, 672, "the rate gives the same, the queue drains: wait"},
		{4000, 800, 1000, 571, "the queue grew since the last decrease: × 0.85"},
		{4250, 150, 1000, 571, "between calm and congested: nothing changes"},
		{4500, 20, 1000, 571, "calm from here"},
		{7250, 0, 1000, 571, "2.75 s calm"},
		{7500, 0, 1000, 772, "3 s calm: + 250, but not past 0.9 × the 1000 the link carried − 128"},
		{10500, 0, 1000, 772, "at that cap"},
		{11750, 0, 1000, 772, "the cap lasts 8 s after the link was last full (at 4 s)"},
		{12000, 0, 1000, 897, "then raises probe past it by half a step"},
		{15000, 0, 1000, 1022, "it held, the link carries no more than before: another half step"},
		{15250, 0, 1100, 1022, "the link carries more than it did"},
		{18000, 0, 1100, 1272, "whole steps again"},
		{18250, 60, 1000, 1272, "not calm"},
		{18500, 0, 1000, 1272, "calm again from here"},
		{21000, 0, 1000, 1272, "2.5 s"},
		{21250, 1200, 0, 1081, "a second's queue acts at once; no rate: × 0.85"},
		{22250, 1500, 100, 250, "the link carries next to nothing: the floor (a tenth of 2500)"},
		{23250, 2000, 0, 250, "never under the floor"},
	})
}

func TestDBRDroppingVideo(t *testing.T) {
	// A destination that drops video up to a keyframe cannot carry the
	// stream, even when its queue is short (the drops emptied it).
	runDBR(t, newDBR(2_500_000, 128_000), []dbrStep{
		{0, 0, 2600, 2500, ""},
		{250, 1100, 1000, 672, "a second behind: 0.8 × 1000 − 128 at once"},
		{500, 0, 300, 672, "the drops emptied the queue" + shedding},
		{1250, 0, 300, 571, "a second later, still dropping: × 0.85, not the rate of an idle link" + shedding},
		{1500, 0, 900, 571, "dropping ended: calm"},
		{4500, 0, 900, 772, "3 s calm: + 250, up to 0.9 × 1000 − 128"},
	})
}

func TestDBRUndoesARaise(t *testing.T) {
	// A link just under a step: the raise brings a short queue, and goes
	// back before it is a congestion; the next raise waits longer.
	runDBR(t, newDBR(2_500_000, 128_000), []dbrStep{
		{0, 1100, 0, 2125, "a second behind, no rate: × 0.85"},
		{1000, 1200, 0, 1806, "a second later, growing: × 0.85"},
		{1250, 0, 0, 1806, "calm from here"},
		{4250, 0, 0, 2056, "3 s calm: + 250"},
		{4500, 60, 0, 2056, "a queue again"},
		{4750, 80, 0, 1806, "250 ms of it: back"},
		{5500, 0, 0, 1806, "calm from here"},
		{11250, 0, 0, 1806, "5.75 s"},
		{11500, 0, 0, 2056, "6 s: the wait doubled"},
		{14250, 0, 0, 2056, "2.75 s"},
		{14500, 0, 0, 2306, "the raise held 3 s: 3 s steps again"},
		{14750, 300, 2000, 1472, "congested right after a raise: undone at once, and lower: 0.8 × 2000 − 128"},
		{15000, 400, 2000, 1472, "congested for 250 ms"},
		{15750, 250, 2000, 1472, "a second later: the rate gives the same, the queue drains"},
		{16000, 0, 2000, 1472, "calm from here"},
		{21750, 0, 2000, 1472, "the raise before the congestion did not hold: 6 s"},
		{22000, 0, 2000, 1672, "+ 250, up to 0.9 × 2000 − 128"},
	})
}

func TestDBRUndoesARaiseBelowTheRate(t *testing.T) {
	// The link got slower meanwhile: undoing goes to what it carries.
	runDBR(t, newDBR(2_500_000, 128_000), []dbrStep{
		{0, 1100, 2000, 1472, "a second behind: 0.8 × 2000 − 128"},
		{250, 0, 2000, 1472, "calm from here"},
		{3250, 0, 2000, 1672, "3 s calm: + 250 up to 0.9 × 2000 − 128"},
		{3500, 60, 1500, 1672, "a queue again"},
		{3750, 70, 1500, 1072, "250 ms of it: below 1472, to 0.8 × 1500 − 128"},
	})
}

func TestDBRNeverAboveConfigured(t *testing.T) {
	runDBR(t, newDBR(300_000, 64_000), []dbrStep{ // floor 200k: a tenth is less
		{0, 1500, 0, 255, "× 0.85 (no rate)"},
		{1000, 1600, 0, 216, "the queue grew: × 0.85"},
		{2000, 1700, 0, 200, "× 0.85 is under the floor"},
		{3000, 0, 300, 200, "calm from here"},
		{6000, 0, 300, 230, "+ 30"},
		{9000, 0, 300, 260, ""},
		{12000, 0, 300, 290, ""},
		{15000, 0, 300, 300, "capped at the configured 300"},
		{18000, 0, 300, 300, "stays"},
	})
}

func TestDBRKeyframeBurst(t *testing.T) {
	// A keyframe's burst fills the queue for a moment: no change.
	runDBR(t, newDBR(2_500_000, 128_000), []dbrStep{
		{0, 0, 2700, 2500, ""},
		{250, 350, 2700, 2500, "a keyframe"},
		{500, 100, 2700, 2500, "drained"},
		{2250, 300, 2700, 2500, "the next one"},
		{2500, 0, 2700, 2500, "drained"},
	})
}

func TestDBRInput(t *testing.T) {
	live := func(q time.Duration, rate float64, shed bool) publish.Stats {
		return publish.Stats{State: publish.StateLive, QueueSpan: q, SendRate: rate, Shedding: shed}
	}
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		outs []publish.Stats
		want dbrReading
		ok   bool
	}{
		{"none", nil, dbrReading{}, false},
		{"one", []publish.Stats{live(300*ms, 125_000, false)}, dbrReading{300 * ms, 1_000_000, false}, true},
		{"the least behind", []publish.Stats{live(2000*ms, 50_000, false), live(10*ms, 400_000, false)}, dbrReading{10 * ms, 3_200_000, false}, true},
		{"one dropping video is behind any other", []publish.Stats{live(0, 50_000, true), live(400*ms, 400_000, false)}, dbrReading{400 * ms, 3_200_000, false}, true},
		{"all dropping: the least behind", []publish.Stats{live(300*ms, 50_000, true), live(100*ms, 60_000, true)}, dbrReading{100 * ms, 480_000, true}, true},
		{"live ones only", []publish.Stats{{State: publish.StateReconnecting}, live(time.Second, 100_000, false)}, dbrReading{time.Second, 800_000, false}, true},
		{"none live", []publish.Stats{{State: publish.StateReconnecting}, {State: publish.StateConnecting}}, dbrReading{}, false},
	} {
		outs := make([]Output, len(c.outs))
		for i, st := range c.outs {
			outs[i] = Output{ID: i + 1, Stats: st}
		}
		got, ok := dbrInput(outs)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
