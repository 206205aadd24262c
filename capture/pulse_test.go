package capture

import (
	"math"
	"testing"
	"time"

	"onair/internal/peer"
)

// startPulse starts a PulseAudio daemon of the test's own (peer.StartPulse:
// a null sink, peer.PulseSink, the default output, and a microphone,
// peer.PulseMic, that hears what is played into peer.PulseMicSink) in the
// test's temporary directory, and stops it when t ends. A missing
// pulseaudio or pulseaudio-utils fails the test: it never skips.
func startPulse(t *testing.T) *peer.Pulse {
	t.Helper()
	s, err := peer.StartPulse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("pulseaudio log:\n%s", s.Log())
		}
	})
	return s
}

// playTone plays a sine of hz at amplitude amp into sink (peer's
// PlayTone) for at most d, and stops when t ends.
func playTone(t *testing.T, s *peer.Pulse, sink string, hz, amp float64, d time.Duration) {
	t.Helper()
	p, err := s.PlayTone(sink, hz, amp, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() && p.Stderr() != "" {
			t.Logf("pacat: %s", p.Stderr())
		}
	})
}

// dominantHz is the frequency between lo and hi Hz with the most energy
// in channel ch of interleaved samples, found with Goertzel on a 1 Hz
// grid and refined on a 0.05 Hz grid around the best.
func dominantHz(samples []float32, channels, ch, rate int, lo, hi float64) float64 {
	x := make([]float64, len(samples)/channels)
	for i := range x {
		x[i] = float64(samples[i*channels+ch])
	}
	best, bestP := lo, -1.0
	for f := lo; f <= hi; f++ {
		if p := goertzelPower(x, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	c := best
	for f := c - 1; f <= c+1; f += 0.05 {
		if p := goertzelPower(x, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// goertzelPower is the power of x at frequency hz.
func goertzelPower(x []float64, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}

// levelsDBFS are the peak and RMS of interleaved samples, in dBFS.
func levelsDBFS(samples []float32) (peak, rms float64) {
	var p, sq float64
	for _, v := range samples {
		a := math.Abs(float64(v))
		p = math.Max(p, a)
		sq += a * a
	}
	return 20 * math.Log10(p), 10 * math.Log10(sq/float64(len(samples)))
}
