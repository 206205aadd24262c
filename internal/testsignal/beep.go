package testsignal

import (
	"fmt"
	"math"
	"time"
)

// Audio marks (spec section 2).
const (
	// BeepFrequency is the frequency of the sync beep, in Hz.
	BeepFrequency = 1000.0
	// BeepAmplitude is the peak amplitude of the sync beep: -6 dBFS.
	BeepAmplitude = 0.501187
	// BeepDuration is how long each beep lasts, from the sample whose
	// capture time is a whole wall-clock second.
	BeepDuration = SyncOnMS * time.Millisecond
	// ToneFrequency is the frequency of the tone between beeps, in Hz.
	ToneFrequency = 440.0
	// ToneAmplitude is the peak amplitude of the tone between beeps:
	// -30 dBFS.
	ToneAmplitude = 0.0316228

	// BeepThresholdPeak is the level between the tone and the beep, -18
	// dBFS (the geometric mean of their amplitudes), that BeepDetector uses
	// to place a beep's first sample.
	BeepThresholdPeak = 0.125893
	// BeepThresholdRMS is the RMS of a sine whose peak is
	// BeepThresholdPeak: BeepDetector sees a beep when the RMS over its
	// window reaches it. A clean beep has an RMS of 0.354, the tone 0.022.
	BeepThresholdRMS = BeepThresholdPeak / math.Sqrt2
)

// BeepOn reports whether the tone source plays the beep for a sample
// captured at unixNano (wall-clock Unix time in nanoseconds): whether it
// falls in [k*1000, k*1000+100) ms for some whole k. The first beep sample
// of each second is thus the first one captured at or after the second.
func BeepOn(unixNano int64) bool {
	const period = int64(SyncPeriodMS * time.Millisecond)
	m := unixNano % period
	if m < 0 {
		m += period
	}
	return m < int64(BeepDuration)
}

// BeepDetector finds where sync beeps start in a stream of interleaved
// float32 samples fed to it block by block (the frames of one track, in
// order).
//
// Method: the channels are averaged to mono; the detector keeps the RMS of
// the last millisecond of samples (a trailing window of sampleRate/1000
// samples, one period of the beep). When that RMS reaches BeepThresholdRMS
// (the RMS of a -18 dBFS sine, halfway in dB between the -30 dBFS tone and
// the -6 dBFS beep) a beep has started; its first sample is placed at the
// first sample in the window whose magnitude reaches BeepThresholdPeak
// (-18 dBFS), or at the crossing sample if none does. On a clean signal that
// is the true first beep sample or at most a few samples (well under
// 0.1 ms) after it, whatever the phase. After a beep the detector re-arms
// once the window's RMS falls below half of BeepThresholdRMS, so one beep
// is reported once; at the start it is armed only after it has seen a full
// quiet window, so a stream that starts inside a beep does not report a
// false start.
//
// A BeepDetector is not safe for concurrent use.
type BeepDetector struct {
	channels int
	window   []float32 // last len(window) mono samples, ring
	pos      int       // next write position in window
	filled   int
	sumSq    float64
	n        int64 // mono samples consumed so far
	armed    bool
}

// NewBeepDetector makes a detector for samples at sampleRate Hz with
// channels interleaved channels.
func NewBeepDetector(sampleRate, channels int) (*BeepDetector, error) {
	if sampleRate < 1000 {
		return nil, fmt.Errorf("testsignal: sample rate (%d) is below 1000 Hz", sampleRate)
	}
	if channels < 1 {
		return nil, fmt.Errorf("testsignal: channel count (%d) is below 1", channels)
	}
	return &BeepDetector{channels: channels, window: make([]float32, sampleRate/1000)}, nil
}

// Feed consumes samples (interleaved, a whole number of sample instants)
// and returns the indices of the first samples of the beeps that start in
// them, counted in sample instants from the first sample ever fed. Most
// calls return nil.
func (d *BeepDetector) Feed(samples []float32) []int64 {
	var onsets []int64
	n := len(d.window)
	for i := 0; i+d.channels <= len(samples); i += d.channels {
		var m float32
		for _, v := range samples[i : i+d.channels] {
			m += v
		}
		m /= float32(d.channels)

		old := d.window[d.pos]
		d.sumSq += float64(m)*float64(m) - float64(old)*float64(old)
		d.window[d.pos] = m
		d.pos = (d.pos + 1) % n
		if d.filled < n {
			d.filled++
		}
		idx := d.n
		d.n++
		if d.filled < n {
			continue
		}
		if d.sumSq < 0 {
			d.sumSq = 0 // rounding
		}
		rms := math.Sqrt(d.sumSq / float64(n))
		switch {
		case !d.armed && rms < BeepThresholdRMS/2:
			d.armed = true
		case d.armed && rms >= BeepThresholdRMS:
			d.armed = false
			onsets = append(onsets, idx-int64(n-1)+int64(d.firstLoud()))
		}
	}
	return onsets
}

// firstLoud is the offset in the window (0 = oldest sample) of the first
// sample whose magnitude reaches BeepThresholdPeak, or the newest sample.
func (d *BeepDetector) firstLoud() int {
	n := len(d.window)
	for k := 0; k < n; k++ {
		v := d.window[(d.pos+k)%n]
		if v >= BeepThresholdPeak || v <= -BeepThresholdPeak {
			return k
		}
	}
	return n - 1
}

// FindBeeps runs a new BeepDetector over one buffer of interleaved samples
// and returns the indices (in sample instants) of the first samples of the
// beeps in it.
func FindBeeps(samples []float32, sampleRate, channels int) ([]int64, error) {
	d, err := NewBeepDetector(sampleRate, channels)
	if err != nil {
		return nil, err
	}
	return d.Feed(samples), nil
}
