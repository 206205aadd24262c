package capture

import (
	"math"
	"time"
)

// Drift correction of a Mic. A sound card's crystal is off by tens to
// hundreds of ppm against the monotonic clock: left alone, a 100 ppm slow
// device's running sample count falls behind real time by 0.1 ms a second
// (6 ms a minute), until after MicReanchor it re-anchors: a 50 ms jump,
// heard as a gap or a skip, every 8 minutes, and until then audio that
// drifts against the video.
//
// The stamper measures the drift: the lateness of a block's estimated
// capture time against the count, its least value over each window of
// micDriftWindow of audio (callbacks are late by scheduling jitter, never
// early, so the least is the true offset). When that offset is beyond
// micDriftDeadband, the next window slips that many samples, at most one
// per block and micDriftMaxPPM of the rate in all: a slow device gets
// samples inserted (each an interpolation of its neighbours, where the
// signal changes least), a fast one gets samples left out. PTS stay
// continuous with the samples delivered, and within a few ms of the
// capture time for as long as the device runs.
const (
	micDriftWindow   = time.Second
	micDriftDeadband = 2 * time.Millisecond
	micDriftMaxPPM   = 2000
)

// driftPlan is the stamper's drift state: the window being measured and
// the slips planned from the last one.
type driftPlan struct {
	start   int64         // count at which the window began
	least   time.Duration // least lateness in the window so far
	have    bool          // least is valid
	pending int           // slips left: > 0 insert, < 0 leave out
}

// reset starts a new window at count and drops the plan (after a
// re-anchor the offset is new).
func (d *driftPlan) reset(count int64) {
	d.start, d.have, d.pending = count, false, 0
}

// next notes a block's lateness dev at count, closes the window when it
// is full, and returns the slip for this block of n samples: +1 (insert
// one), -1 (leave one out) or 0.
func (d *driftPlan) next(dev time.Duration, count int64, n, rate int) int {
	if !d.have || dev < d.least {
		d.least, d.have = dev, true
	}
	if time.Duration(count-d.start)*time.Second >= micDriftWindow*time.Duration(rate) {
		d.pending = 0
		if d.least > micDriftDeadband || d.least < -micDriftDeadband {
			k := int(math.Round(d.least.Seconds() * float64(rate)))
			lim := max(1, rate*micDriftMaxPPM/1_000_000)
			d.pending = min(max(k, -lim), lim)
		}
		d.start, d.have = count, false
	}
	if n < 3 {
		return 0
	}
	switch {
	case d.pending > 0:
		d.pending--
		return 1
	case d.pending < 0:
		d.pending++
		return -1
	}
	return 0
}

// slipBlock copies the interleaved block src (ch channels, at least 3
// sample instants) into dst with one instant inserted (slip +1) or left
// out (slip -1) where the signal changes least, or as it is (0). dst must
// hold len(src) + slip*ch samples.
func slipBlock(dst, src []float32, ch, slip int) {
	n := len(src) / ch
	switch slip {
	case 0:
		copy(dst, src)
	case 1:
		// Between the two neighbours closest in value: insert their mean.
		p := smoothest(src, ch, n, 1)
		copy(dst, src[:p*ch])
		for c := 0; c < ch; c++ {
			dst[p*ch+c] = (src[(p-1)*ch+c] + src[p*ch+c]) / 2
		}
		copy(dst[(p+1)*ch:], src[p*ch:])
	case -1:
		// The instant whose neighbours are closest in value goes.
		p := smoothest(src, ch, n, 2)
		copy(dst, src[:p*ch])
		copy(dst[p*ch:], src[(p+1)*ch:])
	}
}

// smoothest returns the p in [1, n-span] (span 1) or [1, n-2] (span 2)
// that minimises the change between instants p-1 and p-1+span, summed
// over the channels.
func smoothest(src []float32, ch, n, span int) int {
	best, bestP := float32(math.MaxFloat32), 1
	for p := 1; p+span-1 < n && (span == 1 || p < n-1); p++ {
		var d float32
		for c := 0; c < ch; c++ {
			v := src[(p-1+span)*ch+c] - src[(p-1)*ch+c]
			if v < 0 {
				v = -v
			}
			d += v
		}
		if d < best {
			best, bestP = d, p
		}
	}
	return bestP
}
