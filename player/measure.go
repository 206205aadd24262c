package player

import (
	"sort"
	"sync"
	"time"
)

// signalMeter turns the test signal read from presented frames and played
// samples into the figures of the spec: glass-to-glass latency (present
// time − stripe time), A/V offset (first beep sample presented − first
// white-square frame presented, per second; positive: audio late) and the
// count of undecodable stripes.
type signalMeter struct {
	mu          sync.Mutex
	seen        bool // a stripe was read: the stream carries the signal
	undecodable int64
	latency     []sample // every latency sample of the run
	squares     []time.Time
	beeps       []time.Time
	offsets     []time.Duration
	lastSync    bool
}

// maxLatencySamples bounds the latency history (about 1.8 h at 30 fps).
const maxLatencySamples = 200_000

type sample struct {
	at time.Time
	ms float64
}

// frame records one presented frame: at is when it was presented.
func (m *signalMeter) frame(at time.Time, stripeMS int64, stripeOK, yuv, sync bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !yuv {
		return
	}
	if stripeOK {
		m.seen = true
		if len(m.latency) >= maxLatencySamples {
			// Bounded memory: the run's figures cover the newest half.
			m.latency = append(m.latency[:0], m.latency[len(m.latency)/2:]...)
		}
		m.latency = append(m.latency, sample{at: at, ms: float64(at.UnixMicro()-stripeMS*1000) / 1000})
	} else if m.seen {
		m.undecodable++
	}
	if sync && !m.lastSync && m.seen {
		m.squares = append(m.squares, at)
		m.match()
	}
	m.lastSync = sync
}

// beep records the presentation time of a beep's first sample.
func (m *signalMeter) beep(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beeps = append(m.beeps, at)
	m.match()
}

// match pairs beeps and squares that lie within half a second of each
// other, oldest first, and drops the ones that can no longer pair.
func (m *signalMeter) match() {
	const window = 500 * time.Millisecond
	for len(m.squares) > 0 && len(m.beeps) > 0 {
		s, b := m.squares[0], m.beeps[0]
		d := b.Sub(s)
		switch {
		case d > window: // the square has no beep
			m.squares = m.squares[1:]
		case d < -window: // the beep has no square
			m.beeps = m.beeps[1:]
		default:
			m.offsets = append(m.offsets, d)
			m.squares, m.beeps = m.squares[1:], m.beeps[1:]
		}
	}
}

// signalFigures are the test-signal figures at one moment.
type signalFigures struct {
	Seen             bool
	P50, P95         float64 // ms, over the window asked for
	RunP50, RunP95   float64 // ms, over the run
	AVOffset         float64 // ms, median of the last 5 pairs
	RunAVOffset      float64 // ms, median of every pair
	AVPairs          int
	Undecodable      int64
	LatencySamples   int
	WindowLatencyLen int
}

// figures reports latency over the samples newer than since, and over the
// run.
func (m *signalMeter) figures(since time.Time) signalFigures {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := signalFigures{Seen: m.seen, Undecodable: m.undecodable, LatencySamples: len(m.latency), AVPairs: len(m.offsets)}
	i := sort.Search(len(m.latency), func(i int) bool { return !m.latency[i].at.Before(since) })
	win := make([]float64, 0, len(m.latency)-i)
	for _, s := range m.latency[i:] {
		win = append(win, s.ms)
	}
	f.WindowLatencyLen = len(win)
	f.P50, f.P95 = percentile(win, 50), percentile(win, 95)
	all := make([]float64, len(m.latency))
	for i, s := range m.latency {
		all[i] = s.ms
	}
	f.RunP50, f.RunP95 = percentile(all, 50), percentile(all, 95)
	if n := len(m.offsets); n > 0 {
		last := m.offsets[max(0, n-5):]
		f.AVOffset = medianDur(last)
		f.RunAVOffset = medianDur(m.offsets)
	}
	return f
}

// percentile of xs (nearest rank); 0 for none. xs is sorted in place.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	k := int(float64(len(xs))*p/100+0.5) - 1
	k = min(max(k, 0), len(xs)-1)
	return xs[k]
}

func medianDur(ds []time.Duration) float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d) / 1e6
	}
	return percentile(xs, 50)
}

// durRing keeps the last durations of something (decode times) for a
// median.
type durRing struct {
	mu  sync.Mutex
	buf [64]time.Duration
	n   int
}

func (r *durRing) add(d time.Duration) {
	r.mu.Lock()
	r.buf[r.n%len(r.buf)] = d
	r.n++
	r.mu.Unlock()
}

func (r *durRing) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// p50 is the median of the kept durations, in ms.
func (r *durRing) p50() float64 {
	r.mu.Lock()
	n := min(r.n, len(r.buf))
	xs := make([]float64, n)
	for i := 0; i < n; i++ {
		xs[i] = float64(r.buf[i]) / 1e6
	}
	r.mu.Unlock()
	return percentile(xs, 50)
}
