package publish

import (
	"math"
	"testing"
	"time"
)

func TestRateMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	m := rateMeter{window: time.Second}
	for _, c := range []struct {
		at   int // ms
		n    uint64
		rate float64
		ok   bool
	}{
		{0, 0, 0, false},
		{250, 250, 0, false},         // under rateMinSpan
		{500, 500, 1000, true},       // 500 units over 500 ms
		{550, 600, 600 / 0.55, true}, // not kept (under rateGap), still measured
		{1000, 1000, 1000, true},
		{1500, 3000, 2500 / 1.0, true},   // the window moved past the 0 and 250 ms readings: from 500 ms
		{2000, 3500, 2500 / 1.0, true},   // from 1000 ms
		{2050, 3500, 2500 / 1.05, true},  // from 1000 ms still (the 1500 ms reading is not a window old)
		{2500, 3500, 500 / 1.0, true},    // from 1500 ms
		{2600, 100, 0, false},            // went back: a new connection
		{3200, 700, 600 / 0.6, true},     // from 2600 ms
		{5000, 700, 0, true},             // nothing carried
		{9000, 4700, 4000 / 4.0, true},   // readings far apart: from the last one
		{9050, 4750, 4050 / 4.05, true},  // not kept; from 5000 ms
		{10100, 5800, 1100 / 1.1, true},  // from 9000 ms (only two readings: the older stays)
		{10200, 5800, 1100 / 1.2, true},  // from 9000 ms: 10100 ms is not a window old
		{11100, 6800, 1000 / 1.0, true},  // from 10100 ms
		{11150, 6800, 1000 / 1.05, true}, // not kept
	} {
		rate, ok := m.add(ms(c.at), c.n)
		if ok != c.ok || math.Abs(rate-c.rate) > 1e-6 {
			t.Errorf("at %d ms, count %d: rate %.3f, %v; want %.3f, %v", c.at, c.n, rate, ok, c.rate, c.ok)
		}
	}
}
