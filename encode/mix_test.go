package encode

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/media"
)

// mixTone makes frames of a sine: hz at amplitude amp (dc adds a constant),
// at rate with ch channels, n samples per frame, PTS from 0 on.
type mixTone struct {
	hz, amp, dc float64
	rate, ch, n int
	next        int64
}

func (g *mixTone) frame() *media.AudioFrame {
	f := &media.AudioFrame{
		PTS:        mixDuration(g.next, g.rate),
		SampleRate: g.rate,
		Channels:   g.ch,
		Samples:    make([]float32, g.n*g.ch),
	}
	for i := 0; i < g.n; i++ {
		v := float32(g.dc + g.amp*math.Sin(2*math.Pi*g.hz*float64(g.next+int64(i))/float64(g.rate)))
		for c := 0; c < g.ch; c++ {
			f.Samples[i*g.ch+c] = v
		}
	}
	g.next += int64(g.n)
	return f
}

// newBegunMixer is a mixer whose timeline starts at stream time 0, driven
// block by block with mixNext (no goroutine, no clock).
func newBegunMixer(t *testing.T, cfg MixerConfig) *Mixer {
	t.Helper()
	m, err := NewMixer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	m.beginLocked(0)
	m.mu.Unlock()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func mustInput(t *testing.T, m *Mixer, name string) *MixerInput {
	t.Helper()
	in, err := m.AddInput(name)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// mixFor pushes d of every tone into its input, then mixes d and returns
// the mix.
func mixFor(m *Mixer, d time.Duration, feeds map[*MixerInput]*mixTone) []float32 {
	for in, g := range feeds {
		for mixDuration(g.next, g.rate) < d {
			in.Push(g.frame())
		}
	}
	var out []float32
	end := mixPosition(d, m.cfg.SampleRate)
	for m.pos.Load() < end {
		out = append(out, m.mixNext().Samples...)
	}
	return out
}

// mixGoertzel is the amplitude of frequency hz in channel c of interleaved
// samples.
func mixGoertzel(s []float32, channels, c, rate int, hz float64) float64 {
	n := len(s) / channels
	w := 2 * math.Pi * hz / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for i := 0; i < n; i++ {
		s0 := float64(s[i*channels+c]) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	return 2 * math.Sqrt(s1*s1+s2*s2-coeff*s1*s2) / float64(n)
}

// mixDominantHz is the strongest frequency in lo..hi Hz, to 0.05 Hz.
func mixDominantHz(s []float32, channels, rate int, lo, hi float64) float64 {
	best, bestA := lo, -1.0
	for f := lo; f <= hi; f += 2 {
		if a := mixGoertzel(s, channels, 0, rate, f); a > bestA {
			best, bestA = f, a
		}
	}
	for f, c := best-2, best; f <= c+2; f += 0.05 {
		if a := mixGoertzel(s, channels, 0, rate, f); a > bestA {
			best, bestA = f, a
		}
	}
	return best
}

func TestMixClipping(t *testing.T) {
	m := newBegunMixer(t, MixerConfig{})
	a, b := mustInput(t, m, "a"), mustInput(t, m, "b")
	// Two DC inputs of 0.8 with a small ripple: their sum, 1.6 ± 0.1, clips
	// everywhere.
	ga := &mixTone{hz: 100, amp: 0.1, dc: 0.8, rate: 48000, ch: 2, n: 480}
	gb := &mixTone{hz: 100, amp: 0.1, dc: 0.8, rate: 48000, ch: 2, n: 480}
	out := mixFor(m, 100*time.Millisecond, map[*MixerInput]*mixTone{a: ga, b: gb})
	for i, v := range out {
		if v != 1 {
			t.Fatalf("sample %d: %v, want clipped to 1", i, v)
		}
	}
	if got := m.Stats().Clipped; got != int64(len(out)) {
		t.Errorf("Clipped %d, want %d", got, len(out))
	}
	// Negative: one input alone at -0.9 ± 0.2 clips only its troughs.
	b.Remove()
	a.SetGain(-1) // clamped to 0: gains are never negative
	if a.Gain() != 0 {
		t.Errorf("SetGain(-1): %v", a.Gain())
	}
	a.SetGain(1)
	ga.dc, ga.amp = -0.9, 0.2
	before := m.Stats().Clipped
	out = mixFor(m, 300*time.Millisecond, map[*MixerInput]*mixTone{a: ga})[480*2:]
	var below int64
	for _, v := range out {
		if v < -1 {
			t.Fatalf("sample %v below -1", v)
		}
		if v == -1 {
			below++
		}
	}
	if got := m.Stats().Clipped - before; below == 0 || got < below {
		t.Errorf("clipped %d samples at -1, counted %d", below, got)
	}
}

func TestMixLevels(t *testing.T) {
	m := newBegunMixer(t, MixerConfig{})
	in := mustInput(t, m, "a")
	if l := in.Levels(); l.Peak != SilenceDBFS || l.RMS != SilenceDBFS {
		t.Errorf("levels before any block: %+v", l)
	}
	g := &mixTone{hz: 1000, amp: 1, rate: 48000, ch: 2, n: 480}
	mixFor(m, 500*time.Millisecond, map[*MixerInput]*mixTone{in: g})
	var wg sync.WaitGroup
	var il, ml Levels
	wg.Add(1)
	go func() { // readable from any goroutine
		defer wg.Done()
		il, ml = in.Levels(), m.Levels()
	}()
	wg.Wait()
	if math.Abs(il.RMS-(-3.0103)) > 0.01 || math.Abs(il.Peak) > 0.01 {
		t.Errorf("full-scale sine: input peak %.3f, RMS %.3f dBFS; want 0 and -3.01", il.Peak, il.RMS)
	}
	if math.Abs(ml.RMS-(-3.0103)) > 0.01 || math.Abs(ml.Peak) > 0.01 {
		t.Errorf("full-scale sine: mix peak %.3f, RMS %.3f dBFS; want 0 and -3.01", ml.Peak, ml.RMS)
	}
	in.SetGain(0.5) // -6.02 dB
	mixFor(m, time.Second, map[*MixerInput]*mixTone{in: g})
	if l := in.Levels(); math.Abs(l.RMS-(-9.031)) > 0.01 || math.Abs(l.Peak-(-6.021)) > 0.01 {
		t.Errorf("at -6 dB: peak %.3f, RMS %.3f; want -6.02 and -9.03", l.Peak, l.RMS)
	}
	// Silence: the window empties.
	for i := 0; i < 40; i++ {
		m.mixNext()
	}
	if l := m.Levels(); l.Peak != SilenceDBFS || l.RMS != SilenceDBFS {
		t.Errorf("levels of silence: %+v, want %v", l, SilenceDBFS)
	}
}

func TestMixLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	m, err := NewMixer(MixerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	in := mustInput(t, m, "a")
	if err := m.Start(func(*media.AudioFrame) {}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(func(*media.AudioFrame) {}); !errors.Is(err, ErrMixerStarted) {
		t.Errorf("second Start: %v", err)
	}
	in.Push((&mixTone{hz: 1000, amp: 0.1, rate: 44100, ch: 1, n: 441}).frame())
	t0 := time.Now()
	_ = m.Close()
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	_ = m.Close()
	in.Push((&mixTone{hz: 1000, amp: 0.1, rate: 44100, ch: 1, n: 441}).frame()) // ignored, no crash
	if _, err := m.AddInput("b"); !errors.Is(err, ErrMixerClosed) {
		t.Errorf("AddInput after Close: %v", err)
	}
	if err := m.Start(func(*media.AudioFrame) {}); !errors.Is(err, ErrMixerClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if len(m.Inputs()) != 0 {
		t.Errorf("inputs after Close: %d", len(m.Inputs()))
	}
	leaktest.Check(t, before, time.Second)

	m2, _ := NewMixer(MixerConfig{})
	a, _ := m2.AddInput("a")
	b, _ := m2.AddInput("b")
	a.Remove()
	if ins := m2.Inputs(); len(ins) != 1 || ins[0] != b || b.Name() != "b" {
		t.Errorf("after Remove: %v", ins)
	}
	_ = m2.Close() // never started
}

func TestMixConfigErrors(t *testing.T) {
	for _, cfg := range []MixerConfig{
		{SampleRate: 4000},
		{Channels: 3},
		{Block: 200 * time.Millisecond},
		{Block: time.Microsecond},
		{Latency: -time.Millisecond},
		{Latency: 2 * time.Second},
		{Buffer: 50 * time.Millisecond},
		{Buffer: time.Minute},
		{MaxLatency: 50 * time.Millisecond},
		{MaxLatency: 2 * time.Second},
		{MaxLatency: time.Second}, // beyond the 1 s buffer less 4 blocks
		{LevelWindow: time.Millisecond},
	} {
		if _, err := NewMixer(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewMixer(%+v): %v, want ErrInvalidConfig", cfg, err)
		}
	}
	m, err := NewMixer(MixerConfig{SampleRate: 44100, Block: 10 * time.Millisecond})
	if err != nil || m.BlockSamples() != 441 {
		t.Errorf("44.1 kHz, 10 ms: %v, %d samples a block", err, m.BlockSamples())
	}
}

func TestMixPositions(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		rate int
		want int64
	}{
		{0, 48000, 0},
		{time.Second, 48000, 48000},
		{10 * time.Millisecond, 44100, 441},
		{-10 * time.Millisecond, 48000, -480},
		{20833, 48000, 1}, // 20.833 µs rounds to one sample
		{100 * time.Hour, 48000, 100 * 3600 * 48000},
	} {
		if got := mixPosition(tc.d, tc.rate); got != tc.want {
			t.Errorf("mixPosition(%v, %d) = %d, want %d", tc.d, tc.rate, got, tc.want)
		}
		if back := mixPosition(mixDuration(tc.want, tc.rate), tc.rate); back != tc.want {
			t.Errorf("round trip of %d at %d: %d", tc.want, tc.rate, back)
		}
	}
	if ringIndex(-1, 10) != 9 || ringIndex(23, 10) != 3 {
		t.Errorf("ringIndex: %d, %d", ringIndex(-1, 10), ringIndex(23, 10))
	}
}
