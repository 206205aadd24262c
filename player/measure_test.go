package player

import (
	"math"
	"testing"
	"time"
)

// meterBase is a fixed wall-clock instant the meter tests count from.
var meterBase = time.UnixMilli(1_700_000_000_000)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// TestSignalMeterLatency: latency is present time − stripe time, with
// nearest-rank percentiles over the window asked for and over the run.
func TestSignalMeterLatency(t *testing.T) {
	var m signalMeter
	// 100 frames, one every 10 ms; frame i has a latency of i+1 ms.
	for i := 0; i < 100; i++ {
		at := meterBase.Add(ms(10 * i))
		m.frame(at, at.UnixMilli()-int64(i+1), true, true, false)
	}
	f := m.figures(meterBase.Add(-time.Hour))
	if !f.Seen || f.LatencySamples != 100 || f.WindowLatencyLen != 100 {
		t.Fatalf("figures = %+v, want 100 samples, seen", f)
	}
	if f.P50 != 50 || f.P95 != 95 || f.RunP50 != 50 || f.RunP95 != 95 {
		t.Errorf("p50/p95 = %v/%v, run %v/%v; want 50/95", f.P50, f.P95, f.RunP50, f.RunP95)
	}
	// The window: the last 20 frames (latencies 81..100).
	f = m.figures(meterBase.Add(ms(800)))
	if f.WindowLatencyLen != 20 {
		t.Fatalf("window holds %d samples, want 20", f.WindowLatencyLen)
	}
	if f.P50 != 90 || f.P95 != 99 {
		t.Errorf("window p50/p95 = %v/%v, want 90/99", f.P50, f.P95)
	}
	if f.RunP50 != 50 || f.RunP95 != 95 {
		t.Errorf("run p50/p95 = %v/%v after a window query, want 50/95", f.RunP50, f.RunP95)
	}
	// A window with nothing in it.
	f = m.figures(meterBase.Add(time.Hour))
	if f.WindowLatencyLen != 0 || f.P50 != 0 || f.RunP50 != 50 {
		t.Errorf("empty window: %+v", f)
	}
	// Sub-millisecond precision: presented 12.5 ms after the stripe time.
	var m2 signalMeter
	m2.frame(meterBase.Add(12500*time.Microsecond), meterBase.UnixMilli(), true, true, false)
	if f := m2.figures(meterBase); f.P50 != 12.5 {
		t.Errorf("latency %v ms, want 12.5", f.P50)
	}
}

// TestSignalMeterUndecodable: a stripe that does not read counts only once
// the stream was seen to carry the signal; frames that are not YUV (the
// marks cannot be read) are ignored.
func TestSignalMeterUndecodable(t *testing.T) {
	var m signalMeter
	for i := 0; i < 5; i++ { // a stream without the signal, so far
		m.frame(meterBase.Add(ms(i*33)), 0, false, true, false)
	}
	if f := m.figures(meterBase); f.Seen || f.Undecodable != 0 {
		t.Fatalf("before any stripe: %+v, want not seen, 0 undecodable", f)
	}
	at := meterBase.Add(ms(200))
	m.frame(at, at.UnixMilli()-50, true, true, false)
	m.frame(at.Add(ms(33)), 0, false, true, false)
	m.frame(at.Add(ms(66)), 0, false, true, false)
	m.frame(at.Add(ms(99)), 0, false, false, false) // not YUV: not read, not counted
	f := m.figures(meterBase)
	if !f.Seen || f.Undecodable != 2 || f.LatencySamples != 1 {
		t.Errorf("figures = %+v, want seen, 2 undecodable, 1 sample", f)
	}
}

// avRun feeds m 30 frames a second with one sync square per second (its
// rising edge at k s, white for 3 frames), except for the seconds in
// noSquare, and calls beep(k) after the frames of second k.
func avRun(m *signalMeter, seconds int, beep func(k int), noSquare ...int) {
	const frame = 33333 * time.Microsecond
	for k := 0; k < seconds; k++ {
		white := true
		for _, n := range noSquare {
			if n == k {
				white = false
			}
		}
		for i := 0; i < 30; i++ {
			at := meterBase.Add(time.Duration(k)*time.Second + time.Duration(i)*frame)
			m.frame(at, at.UnixMilli()-80, true, true, white && i < 3)
		}
		beep(k)
	}
}

// TestSignalMeterAVOffset: beeps pair with squares within 500 ms; the
// offset is beep − square, positive when the audio is late.
func TestSignalMeterAVOffset(t *testing.T) {
	t.Run("audio late", func(t *testing.T) {
		var m signalMeter
		avRun(&m, 6, func(k int) { m.beep(meterBase.Add(time.Duration(k)*time.Second + ms(30))) })
		f := m.figures(meterBase)
		if f.AVPairs != 6 || f.AVOffset != 30 || f.RunAVOffset != 30 {
			t.Errorf("pairs %d, offset %v, run %v; want 6 pairs, +30 ms", f.AVPairs, f.AVOffset, f.RunAVOffset)
		}
	})
	t.Run("audio early", func(t *testing.T) {
		// The beep is presented before the square and is reported first.
		var m signalMeter
		const frame = 33333 * time.Microsecond
		for k := 0; k < 4; k++ {
			sec := meterBase.Add(time.Duration(k) * time.Second)
			m.beep(sec.Add(-ms(45)))
			for i := 0; i < 30; i++ {
				at := sec.Add(time.Duration(i) * frame)
				m.frame(at, at.UnixMilli()-80, true, true, i < 3)
			}
		}
		f := m.figures(meterBase)
		if f.AVPairs != 4 || f.AVOffset != -45 || f.RunAVOffset != -45 {
			t.Errorf("pairs %d, offset %v, run %v; want 4 pairs, -45 ms", f.AVPairs, f.AVOffset, f.RunAVOffset)
		}
	})
	t.Run("unpaired marks are dropped", func(t *testing.T) {
		var m signalMeter
		// Second 1: a square without a beep; second 3: a beep without a
		// square (it is more than 500 ms from the squares either side).
		avRun(&m, 6, func(k int) {
			if k != 1 {
				m.beep(meterBase.Add(time.Duration(k)*time.Second + ms(20)))
			}
		}, 3)
		f := m.figures(meterBase)
		if f.AVPairs != 4 || f.RunAVOffset != 20 || f.AVOffset != 20 {
			t.Errorf("pairs %d, offset %v, run %v; want 4 pairs at +20 ms", f.AVPairs, f.AVOffset, f.RunAVOffset)
		}
	})
	t.Run("recent and run medians", func(t *testing.T) {
		// 10 pairs: offsets 10 ms for the first five, 60 ms for the last
		// five: the recent figure is 60, the run's median 10 (nearest rank).
		var m signalMeter
		avRun(&m, 10, func(k int) {
			off := ms(10)
			if k >= 5 {
				off = ms(60)
			}
			m.beep(meterBase.Add(time.Duration(k)*time.Second + off))
		})
		f := m.figures(meterBase)
		if f.AVPairs != 10 || f.AVOffset != 60 || f.RunAVOffset != 10 {
			t.Errorf("pairs %d, recent %v, run %v; want 10, 60, 10", f.AVPairs, f.AVOffset, f.RunAVOffset)
		}
	})
	t.Run("square held white counts once", func(t *testing.T) {
		// A square white for many frames is one rising edge.
		var m signalMeter
		for i := 0; i < 10; i++ {
			at := meterBase.Add(ms(33 * i))
			m.frame(at, at.UnixMilli()-80, true, true, true)
		}
		m.beep(meterBase.Add(ms(10)))
		m.beep(meterBase.Add(ms(200)))
		if f := m.figures(meterBase); f.AVPairs != 1 || f.AVOffset != 10 {
			t.Errorf("pairs %d offset %v, want 1 pair at +10 ms", f.AVPairs, f.AVOffset)
		}
	})
	t.Run("no stripe, no squares", func(t *testing.T) {
		// Before the stream is known to carry the signal a white corner is
		// not a sync mark.
		var m signalMeter
		m.frame(meterBase, 0, false, true, true)
		m.beep(meterBase.Add(ms(10)))
		if f := m.figures(meterBase); f.AVPairs != 0 {
			t.Errorf("pairs %d without a stripe, want 0", f.AVPairs)
		}
	})
}

func TestPercentile(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{nil, 50, 0},
		{[]float64{7}, 50, 7},
		{[]float64{7}, 95, 7},
		{[]float64{3, 1, 2}, 50, 2},
		{[]float64{4, 3, 2, 1}, 50, 2},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 1},
	} {
		if got := percentile(append([]float64(nil), c.xs...), c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.xs, c.p, got, c.want)
		}
	}
}

func TestDurRing(t *testing.T) {
	var r durRing
	if r.p50() != 0 || r.count() != 0 {
		t.Fatal("empty ring not zero")
	}
	for i := 1; i <= 200; i++ {
		r.add(ms(i))
	}
	// The last 64: 137..200 ms; nearest-rank median 168.
	if got := r.p50(); math.Abs(got-168) > 1e-9 || r.count() != 200 {
		t.Errorf("p50 = %v count %d, want 168 and 200", got, r.count())
	}
}
