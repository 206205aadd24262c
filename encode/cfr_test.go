package encode

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// simFrame is a main frame captured at pts that reaches the preprocessor
// at stream time at.
type simFrame struct{ pts, at time.Duration }

type simResult struct {
	pts     []time.Duration // every output, in order
	slots   []int64         // the slot of each output
	repeats int
	drops   int
	mains   int
}

// simulate drives a rateConverter as the Preprocessor's goroutine does, on
// a virtual clock: a main frame is handled when it arrives, the repeat
// timer fires at repeatDue (a frame arriving at the same instant goes
// first). It stops after the last frame (plus tail).
func simulate(fps float64, frames []simFrame, tail time.Duration) simResult {
	rc := newRateConverter(fps)
	var res simResult
	end := frames[len(frames)-1].at + tail
	i := 0
	for {
		due, armed := rc.repeatDue()
		if i < len(frames) && (!armed || frames[i].at <= due) {
			f := frames[i]
			i++
			rc.observe(f.pts, f.at)
			slot, fill, ok := rc.admit(f.pts)
			if !ok {
				res.drops++
				continue
			}
			for k := 0; k < fill; k++ {
				res.add(&rc, rc.repeat())
				res.repeats++
			}
			rc.take(f.pts, slot)
			res.add(&rc, f.pts)
			res.mains++
			continue
		}
		if !armed || due > end {
			return res
		}
		n := rc.overdue(due)
		if n > maxCatchUp {
			rc.skip(n - maxCatchUp)
			n = maxCatchUp
		}
		for ; n > 0; n-- {
			res.add(&rc, rc.repeat())
			res.repeats++
		}
	}
}

func (res *simResult) add(rc *rateConverter, pts time.Duration) {
	res.pts = append(res.pts, pts)
	res.slots = append(res.slots, rc.lastSlot)
}

// feed makes n frames at fps starting at start, each with PTS jitter up to
// ±ptsJitter and a transit delay of delay plus up to delayJitter.
func feed(n int, fps float64, start, delay, ptsJitter, delayJitter time.Duration, rnd *rand.Rand) []simFrame {
	fs := make([]simFrame, n)
	var last time.Duration = -1
	for i := range fs {
		pts := start + time.Duration(float64(i)*float64(time.Second)/fps)
		if ptsJitter > 0 {
			pts += time.Duration(rnd.Int63n(int64(2*ptsJitter))) - ptsJitter
		}
		at := pts + delay
		if delayJitter > 0 {
			at += time.Duration(rnd.Int63n(int64(delayJitter)))
		}
		if at < last {
			at = last // one feed delivers in order
		}
		last = at
		fs[i] = simFrame{pts, at}
	}
	return fs
}

// lateCaptures makes every nth frame's capture (PTS and arrival) late by
// up to late.
func lateCaptures(fs []simFrame, n int, late time.Duration) []simFrame {
	for i := n; i < len(fs); i += n {
		d := late * time.Duration(i%3+1) / 3
		fs[i].pts += d
		fs[i].at += d
		if i+1 < len(fs) && fs[i+1].at < fs[i].at {
			fs[i+1].at = fs[i].at
		}
	}
	return fs
}

func checkIncreasing(t *testing.T, pts []time.Duration) {
	t.Helper()
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			t.Fatalf("output %d: PTS %v after %v", i, pts[i], pts[i-1])
		}
	}
}

// checkOnePerSlot checks that outputs fill consecutive slots of the grid
// anchored at the first one (so the rate out is exactly fps), each output
// within [n − ¼ − hysteresis, n + ¾ + late) of its slot n.
func checkOnePerSlot(t *testing.T, fps float64, res simResult) {
	t.Helper()
	for i, p := range res.pts {
		s := res.slots[i]
		if s != int64(i) {
			t.Fatalf("output %d (PTS %v) is in slot %d", i, p, s)
		}
		x := float64(p-res.pts[0])*fps/float64(time.Second) - float64(s)
		if x < -slotLead-slotHysteresis-1e-9 || x >= 1-slotLead+slotLate {
			t.Fatalf("output %d (PTS %v) lies %.3f slots from its slot %d", i, p, x, s)
		}
	}
}

func TestRateConversion(t *testing.T) {
	ms := time.Millisecond
	rnd := rand.New(rand.NewSource(1))
	for _, tc := range []struct {
		name           string
		fps            float64
		frames         []simFrame
		drops, repeats int // expected, within slack
		slack          int
	}{
		// 60 fps in, 30 out: every other frame goes.
		{"60to30", 30, feed(120, 60, 500*ms, 2*ms, 0, 0, nil), 60, 0, 0},
		{"60to30 jitter", 30, feed(120, 60, 500*ms, 2*ms, 2*ms, 3*ms, rnd), 60, 0, 0},
		// 10 fps in, 30 out: two repeats per frame (none after the last).
		{"10to30", 30, feed(20, 10, 123*ms, 5*ms, 0, 0, nil), 0, 38, 0},
		{"10to30 jitter", 30, feed(20, 10, 123*ms, 5*ms, 2*ms, 4*ms, rnd), 0, 38, 0},
		// The output rate, any phase, with jitter: passed frame for frame.
		{"30to30", 30, feed(300, 30, 17*ms, 3*ms, 3*ms, 5*ms, rnd), 0, 0, 0},
		{"60to60", 60, feed(300, 60, 5*ms, 1*ms, 1*ms, 2*ms, rnd), 0, 0, 0},
		// Slow and fast sources and odd ratios keep 30 out.
		{"24to30", 30, feed(240, 24, 40*ms, 4*ms, 1*ms, 2*ms, rnd), 0, 60, 1},
		{"25to30", 30, feed(250, 25, 40*ms, 4*ms, 1*ms, 2*ms, rnd), 0, 50, 1},
		{"50to30", 30, feed(250, 50, 40*ms, 4*ms, 1*ms, 2*ms, rnd), 100, 0, 1},
		{"29.97to30", 30, feed(1800, 29.97, 40*ms, 4*ms, 1*ms, 2*ms, rnd), 0, 2, 1},
		{"30.03to30", 30, feed(1800, 30.03, 40*ms, 4*ms, 1*ms, 2*ms, rnd), 2, 0, 1},
		// Captures that ran late now and then (up to 0.95 of a frame, the
		// next on time) keep their slots: nothing dropped or repeated.
		{"30to30 late captures", 30, lateCaptures(feed(300, 30, 17*ms, 3*ms, 1*ms, 3*ms, rnd), 7, 31*ms), 0, 0, 0},
		// A feed that delivers 150 ms after capture is not beaten by repeats.
		{"10to30 late", 30, feed(20, 10, 0, 150*ms, 0, 5*ms, rnd), 0, 38, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simulate(tc.fps, tc.frames, 0)
			checkIncreasing(t, res.pts)
			checkOnePerSlot(t, tc.fps, res)
			if d := res.drops - tc.drops; d < -tc.slack || d > tc.slack {
				t.Errorf("dropped %d, want %d", res.drops, tc.drops)
			}
			if d := res.repeats - tc.repeats; d < -tc.slack || d > tc.slack {
				t.Errorf("repeated %d, want %d", res.repeats, tc.repeats)
			}
			if res.mains+res.drops != len(tc.frames) {
				t.Errorf("%d emitted + %d dropped != %d in", res.mains, res.drops, len(tc.frames))
			}
		})
	}
}

func TestRateConversionStall(t *testing.T) {
	ms := time.Millisecond
	// 1 s of 30 fps, a 1 s stall, 1 s more: the stall is filled with repeats
	// at 30 fps, whose PTS continue the grid.
	a := feed(30, 30, 10*ms, 3*ms, 0, 0, nil)
	b := feed(30, 30, 10*ms+2*time.Second, 3*ms, 0, 0, nil)
	res := simulate(30, append(a, b...), 0)
	checkIncreasing(t, res.pts)
	checkOnePerSlot(t, 30, res)
	if res.repeats != 30 || res.drops != 0 || len(res.pts) != 90 {
		t.Errorf("repeats %d, drops %d, out %d; want 30, 0, 90", res.repeats, res.drops, len(res.pts))
	}
	// After the last frame the timer keeps the rate: 1 s of tail, 30 repeats.
	res = simulate(30, a, time.Second)
	if res.repeats < 29 || res.repeats > 30 {
		t.Errorf("tail repeats %d, want 29 or 30", res.repeats)
	}
}

func TestRateConversionRepeatPTS(t *testing.T) {
	ms := time.Millisecond
	rc := newRateConverter(30)
	rc.observe(100*ms, 103*ms)
	if _, ok := rc.repeatDue(); ok {
		t.Fatal("a repeat is due before any output")
	}
	if _, fill, ok := rc.admit(100 * ms); !ok || fill != 0 {
		t.Fatalf("first frame: fill %d ok %v", fill, ok)
	}
	rc.take(100*ms, 0)
	// Slot 1's window, late capture included (slot 0 holds a main frame),
	// closes at 100 + 2.1·33.3 ms; plus 3 ms of transit.
	due, _ := rc.repeatDue()
	if want := 100*ms + 70*ms + 3*ms; due < want-time.Microsecond || due > want+time.Microsecond {
		t.Errorf("repeat due at %v, want %v", due, want)
	}
	if n := rc.overdue(due - 1); n != 0 {
		t.Errorf("overdue just before: %d", n)
	}
	if n := rc.overdue(due + 40*ms); n != 2 {
		t.Errorf("overdue 40 ms after: %d, want 2", n)
	}
	// Repeats: last main PTS + k/FPS.
	for k := 1; k <= 3; k++ {
		want := 100*ms + time.Duration(math.Round(float64(k)*1e9/30))
		if got := rc.repeat(); got != want {
			t.Errorf("repeat %d: PTS %v, want %v", k, got, want)
		}
	}
	// Slot n of the grid at 100 ms plus x slots.
	at := func(x float64) time.Duration { return 100*ms + time.Duration(x*1e9/30) }
	for _, c := range []struct {
		x    float64
		ok   bool
		slot int64
		fill int
	}{
		{3.0, false, 0, 0},  // slot 3 was repeated
		{3.55, false, 0, 0}, // still slot 3, short of the hysteresis
		{3.65, true, 4, 0},  // slot 3, within 0.15 of slot 4's window: slot 4
		{3.8, true, 4, 0},
		{4.9, true, 5, 1}, // two slots ahead of the last output: one gap to fill
		{50, true, 50, maxCatchUp},
	} {
		slot, fill, ok := rc.admit(at(c.x))
		if ok != c.ok || (ok && (slot != c.slot || fill != c.fill)) {
			t.Errorf("frame at %.2f slots: slot %d fill %d ok %v, want %d %d %v", c.x, slot, fill, ok, c.slot, c.fill, c.ok)
		}
	}
	// After a main frame in slot 4, a frame late for slot 5 still takes it.
	rc.take(at(4), 4)
	for _, c := range []struct {
		x    float64
		slot int64
		fill int
	}{
		{5.0, 5, 0},
		{5.9, 5, 0},  // its own slot is 6, but slot 5 is empty and it is 0.15 late
		{6.09, 5, 0}, // just within 0.35
		{6.11, 6, 1}, // beyond: slot 5 gets a repeat
	} {
		slot, fill, ok := rc.admit(at(c.x))
		if !ok || slot != c.slot || fill != c.fill {
			t.Errorf("after a main frame, frame at %.2f slots: slot %d fill %d ok %v, want %d %d", c.x, slot, fill, ok, c.slot, c.fill)
		}
	}
	if due, _ := rc.repeatDue(); due != at(6.1)+3*ms {
		t.Errorf("after a main frame, slot 5's repeat is due at %v, want %v", due, at(6.1)+3*ms)
	}
}
