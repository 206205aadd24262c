package testsignal

import (
	"fmt"
	"math"
	"time"
)

// ToneGenerator synthesizes the tone source's signal (spec section 2): a
// sine at BeepFrequency and BeepAmplitude for the samples whose capture
// time is in the first BeepDuration of a wall-clock second (BeepOn), a sine
// at ToneFrequency and ToneAmplitude otherwise, with continuous phase across
// the switches. Sample i (counted from 0) is captured at wall-clock time
// wallStart + i/sampleRate; every channel carries the same signal.
//
// A ToneGenerator is not safe for concurrent use.
type ToneGenerator struct {
	rate      int64
	channels  int
	wallStart int64 // Unix ns of sample 0
	next      int64 // index of the next sample to generate
	phase     float64
}

// NewToneGenerator makes a generator whose sample 0 is captured at
// wallStart.
func NewToneGenerator(sampleRate, channels int, wallStart time.Time) (*ToneGenerator, error) {
	if sampleRate < 1 {
		return nil, fmt.Errorf("testsignal: sample rate (%d) is below 1 Hz", sampleRate)
	}
	if channels < 1 {
		return nil, fmt.Errorf("testsignal: channel count (%d) is below 1", channels)
	}
	return &ToneGenerator{rate: int64(sampleRate), channels: channels, wallStart: wallStart.UnixNano()}, nil
}

// SampleOffset is the time of sample i after sample 0, rounded down to the
// nanosecond: i/sampleRate seconds. It does not overflow
// while the result fits a time.Duration (292 years).
func SampleOffset(i int64, sampleRate int) time.Duration {
	r := int64(sampleRate)
	return time.Duration(i/r)*time.Second + time.Duration(i%r*int64(time.Second)/r)
}

// Next is the index of the sample the next Fill starts with.
func (g *ToneGenerator) Next() int64 { return g.next }

// WallTime is the capture time of sample i as Unix nanoseconds.
func (g *ToneGenerator) WallTime(i int64) int64 {
	return g.wallStart + int64(SampleOffset(i, int(g.rate)))
}

// Fill writes the next len(dst)/channels samples, interleaved, into dst.
func (g *ToneGenerator) Fill(dst []float32) {
	step := 2 * math.Pi / float64(g.rate)
	for i := 0; i+g.channels <= len(dst); i += g.channels {
		freq, amp := ToneFrequency, ToneAmplitude
		if BeepOn(g.WallTime(g.next)) {
			freq, amp = BeepFrequency, BeepAmplitude
		}
		v := float32(amp * math.Sin(g.phase))
		for c := 0; c < g.channels; c++ {
			dst[i+c] = v
		}
		g.phase += step * freq
		if g.phase >= 2*math.Pi {
			g.phase -= 2 * math.Pi
		}
		g.next++
	}
}

// Skip advances past n samples without generating them (a gap: the phase
// is not advanced).
func (g *ToneGenerator) Skip(n int64) {
	if n > 0 {
		g.next += n
	}
}
