package app

import (
	"math"
	"sync"
	"time"

	"onair/internal/media"
)

// levelWindow is how much audio a level reading covers: about what a VU
// meter shows.
const levelWindow = 300 * time.Millisecond

// silenceDB is the level reported for silence or no audio.
const silenceDB = -90.0

// audioLevel measures the peak and RMS level of the audio going to the
// encoder, over the last levelWindow of samples: add from the source's
// goroutine, read from any.
type audioLevel struct {
	mu     sync.Mutex
	blocks [64]levelBlock
	n      int
}

type levelBlock struct {
	end   time.Duration // PTS after its last sample
	dur   time.Duration
	peak  float64
	sumSq float64
	count int
}

func (l *audioLevel) add(a *media.AudioFrame) {
	var peak, sum float64
	for _, v := range a.Samples {
		f := float64(v)
		sum += f * f
		if f < 0 {
			f = -f
		}
		peak = max(peak, f)
	}
	d := a.Duration()
	l.mu.Lock()
	l.blocks[l.n%len(l.blocks)] = levelBlock{end: a.PTS + d, dur: d, peak: peak, sumSq: sum, count: len(a.Samples)}
	l.n++
	l.mu.Unlock()
}

// read gives the peak and RMS level in dBFS (a full-scale sine: 0 and
// -3.01) of the newest levelWindow of audio; silenceDB when there is none.
func (l *audioLevel) read() (peakDB, rmsDB float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return silenceDB, silenceDB
	}
	newest := l.blocks[(l.n-1)%len(l.blocks)].end
	var peak, sum float64
	var count int
	var span time.Duration
	for i := 0; i < min(l.n, len(l.blocks)) && span < levelWindow; i++ {
		b := l.blocks[(l.n-1-i)%len(l.blocks)]
		if newest-b.end > levelWindow {
			break
		}
		peak = max(peak, b.peak)
		sum += b.sumSq
		count += b.count
		span += b.dur
	}
	if count == 0 {
		return silenceDB, silenceDB
	}
	return toDB(peak), toDB(math.Sqrt(sum / float64(count)))
}

func toDB(v float64) float64 {
	if v <= 0 {
		return silenceDB
	}
	return max(silenceDB, 20*math.Log10(v))
}
