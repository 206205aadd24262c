package publish

import "time"

// rateMeter turns readings of a growing byte count (the bytes a link
// carried) into a rate over the last window: the count's growth from the
// newest reading at least window old (or the oldest there is) to now.
// Readings closer than rateGap to the previous one are not kept, so
// readers calling at any pace keep a short history.
type rateMeter struct {
	window  time.Duration
	samples []rateSample
}

type rateSample struct {
	at time.Time
	n  uint64
}

// rateGap is the least time between kept readings; rateMinSpan the least
// history a rate is given for.
const (
	rateGap     = 100 * time.Millisecond
	rateMinSpan = 500 * time.Millisecond
)

// add records the count n read at now and returns the rate in units per
// second, and false while the history is shorter than rateMinSpan. A count
// that went back (a new connection) restarts the history.
func (m *rateMeter) add(now time.Time, n uint64) (float64, bool) {
	if len(m.samples) > 0 && n < m.samples[len(m.samples)-1].n {
		m.samples = m.samples[:0]
	}
	if len(m.samples) == 0 || now.Sub(m.samples[len(m.samples)-1].at) >= rateGap {
		m.samples = append(m.samples, rateSample{now, n})
	}
	for len(m.samples) >= 2 && now.Sub(m.samples[1].at) >= m.window {
		m.samples = m.samples[1:]
	}
	first := m.samples[0]
	span := now.Sub(first.at)
	if span < rateMinSpan {
		return 0, false
	}
	return float64(n-first.n) / span.Seconds(), true
}

// reset forgets the history (a new connection).
func (m *rateMeter) reset() { m.samples = m.samples[:0] }
