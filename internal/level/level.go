// Package level measures audio levels as a meter shows them: the peak and
// the RMS of the newest stretch of a signal (the window), in dBFS.
//
// One Meter serves every place that shows a level (the studio window's VU
// bar, the live stats, the mixer's inputs and mix), so that they agree:
// the same window arithmetic and the same Floor.
package level

import (
	"math"
	"sync"
	"time"

	"onair/internal/media"
)

// Floor is the level reported for silence, for no audio, and for anything
// quieter, in dBFS: -90. That is one step of 16-bit audio (20·log10(1/32768)
// = -90.3 dBFS), the finest most capture devices and files deliver; a
// reading below it would show noise the source cannot carry, and meters
// show -60 dBFS and up anyway.
const Floor = -90.0

// DefaultWindow is the stretch of audio a zero Meter measures: 300 ms, a VU
// meter's integration time.
const DefaultWindow = 300 * time.Millisecond

// DefaultBlocks is how many frames a zero Meter keeps: enough for
// DefaultWindow in blocks of 5 ms or more.
const DefaultBlocks = 64

// Meter measures the peak and RMS level of the newest Window of the audio
// added to it. Add from the producer's goroutine, Read from any: a Meter is
// safe for concurrent use. The zero value measures DefaultWindow over at
// most DefaultBlocks frames; New sets both.
type Meter struct {
	mu     sync.Mutex
	window time.Duration
	blocks []block // a ring of the newest frames' measurements
	n      int     // frames added
}

// block is one frame's measurement.
type block struct {
	end   time.Duration // PTS after its last sample
	dur   time.Duration
	peak  float64
	sumSq float64
	count int
}

// New returns a Meter over window (0: DefaultWindow) that keeps the
// measurements of at most blocks frames (0: DefaultBlocks). A reading
// covers the newest frames that end within window of the newest one and
// add up to window, but never more than blocks of them: give blocks enough
// for window at the shortest frame duration fed.
func New(window time.Duration, blocks int) *Meter {
	m := &Meter{}
	m.init(window, blocks)
	return m
}

func (m *Meter) init(window time.Duration, blocks int) {
	if window <= 0 {
		window = DefaultWindow
	}
	if blocks <= 0 {
		blocks = DefaultBlocks
	}
	m.window, m.blocks = window, make([]block, blocks)
}

// Add measures frame f (interleaved samples, full scale ±1; a NaN sample
// counts as silence). The frame is not kept.
func (m *Meter) Add(f *media.AudioFrame) {
	var peak, sum float64
	for _, v := range f.Samples {
		a := float64(v)
		if a < 0 {
			a = -a
		}
		if a != a { // NaN
			a = 0
		}
		sum += a * a
		peak = max(peak, a)
	}
	d := f.Duration()
	m.mu.Lock()
	if m.blocks == nil {
		m.init(0, 0)
	}
	m.blocks[m.n%len(m.blocks)] = block{end: f.PTS + d, dur: d, peak: peak, sumSq: sum, count: len(f.Samples)}
	m.n++
	m.mu.Unlock()
}

// Read gives the peak and RMS level in dBFS (a full-scale sine: 0 and
// -3.01) of the newest window of audio; Floor for both when there is none.
func (m *Meter) Read() (peakDB, rmsDB float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return Floor, Floor
	}
	size := len(m.blocks)
	newest := m.blocks[(m.n-1)%size].end
	var peak, sum float64
	var count int
	var span time.Duration
	for i := 0; i < min(m.n, size) && span < m.window; i++ {
		b := m.blocks[(m.n-1-i)%size]
		if newest-b.end > m.window {
			break
		}
		peak = max(peak, b.peak)
		sum += b.sumSq
		count += b.count
		span += b.dur
	}
	if count == 0 {
		return Floor, Floor
	}
	return ToDB(peak), ToDB(math.Sqrt(sum / float64(count)))
}

// ToDB is amplitude a (1 is full scale) in dBFS, 20·log10(a), and Floor
// for anything at or below it (0, negative or NaN included).
func ToDB(a float64) float64 {
	if !(a > 0) {
		return Floor
	}
	return max(Floor, 20*math.Log10(a))
}
