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

func TestMixGain(t *testing.T) {
	m := newBegunMixer(t, MixerConfig{})
	in := mustInput(t, m, "a")
	g := &mixTone{hz: 1000, amp: 0.5, rate: 48000, ch: 2, n: 480}
	in.SetGain(0.5)
	if in.Gain() != 0.5 || math.Abs(in.GainDB()+6.0206) > 0.001 {
		t.Errorf("gain %v (%v dB), want 0.5 (-6.02 dB)", in.Gain(), in.GainDB())
	}
	out := mixFor(m, 100*time.Millisecond, map[*MixerInput]*mixTone{in: g})
	// The first block ramps from 1 to 0.5; after it every sample is halved.
	ref := &mixTone{hz: 1000, amp: 0.5, rate: 48000, ch: 2, n: len(out) / 2}
	want := ref.frame().Samples
	for i := 480 * 2; i < len(out); i++ {
		if d := math.Abs(float64(out[i] - want[i]*0.5)); d > 1e-6 {
			t.Fatalf("sample %d: %v, want %v", i, out[i], want[i]*0.5)
		}
	}
	for i := 2; i < 480*2; i += 2 { // the ramp moves smoothly, never overshooting
		if r := math.Abs(float64(want[i])); r > 0.01 {
			if gain := float64(out[i] / want[i]); gain > 1.0001 || gain < 0.4999 {
				t.Fatalf("ramp sample %d: gain %v", i/2, gain)
			}
		}
	}

	in.SetGainDB(6.0206) // +6 dB: back to the tone's own 0.5 * 2 = 1.0 peak
	if math.Abs(in.Gain()-2) > 1e-4 {
		t.Errorf("SetGainDB(6.02): gain %v, want 2", in.Gain())
	}
	in.SetGain(100)
	if in.Gain() != MaxMixGain {
		t.Errorf("SetGain(100): %v, want clamped to %v", in.Gain(), MaxMixGain)
	}
	in.SetGainDB(math.Inf(-1))
	if in.Gain() != 0 {
		t.Errorf("SetGainDB(-Inf): %v", in.Gain())
	}
	if math.Abs(DBToGain(-20)-0.1) > 1e-12 || math.Abs(GainToDB(0.1)+20) > 1e-9 || !math.IsInf(GainToDB(0), -1) {
		t.Errorf("DBToGain(-20) = %v, GainToDB(0.1) = %v, GainToDB(0) = %v", DBToGain(-20), GainToDB(0.1), GainToDB(0))
	}
}

func TestMixMute(t *testing.T) {
	m := newBegunMixer(t, MixerConfig{})
	a, b := mustInput(t, m, "a"), mustInput(t, m, "b")
	ga := &mixTone{hz: 1000, amp: 0.25, rate: 48000, ch: 2, n: 480}
	gb := &mixTone{hz: 3000, amp: 0.25, rate: 48000, ch: 2, n: 480}
	feeds := map[*MixerInput]*mixTone{a: ga, b: gb}

	out := mixFor(m, 200*time.Millisecond, feeds)
	if x, y := mixGoertzel(out, 2, 0, 48000, 1000), mixGoertzel(out, 2, 1, 48000, 3000); math.Abs(x-0.25) > 0.01 || math.Abs(y-0.25) > 0.01 {
		t.Fatalf("both on: 1 kHz %.3f, 3 kHz %.3f; want 0.25 each", x, y)
	}
	b.SetMuted(true)
	if !b.Muted() {
		t.Fatal("Muted() false after SetMuted(true)")
	}
	out = mixFor(m, 400*time.Millisecond, feeds)
	out = out[480*2:] // after the ramp
	if x, y := mixGoertzel(out, 2, 0, 48000, 1000), mixGoertzel(out, 2, 1, 48000, 3000); math.Abs(x-0.25) > 0.01 || y > 1e-4 {
		t.Errorf("b muted: 1 kHz %.4f, 3 kHz %.4f; want 0.25 and 0", x, y)
	}
	// A muted input is still metered, after its gain.
	if l := b.Levels(); math.Abs(l.RMS-(-15.05)) > 0.1 {
		t.Errorf("muted input's RMS %.2f dBFS, want -15.05", l.RMS)
	}
	b.SetMuted(false)
	out = mixFor(m, 600*time.Millisecond, feeds)[480*2:]
	if y := mixGoertzel(out, 2, 1, 48000, 3000); math.Abs(y-0.25) > 0.01 {
		t.Errorf("unmuted: 3 kHz %.4f, want 0.25", y)
	}
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

func TestMixResamples(t *testing.T) {
	for _, tc := range []struct {
		what   string
		rate   int
		inCh   int
		mixCh  int
		amp    float64
		wantLv float64 // amplitude in the mix
	}{
		{"44.1 kHz mono into 48 kHz stereo", 44100, 1, 2, 0.5, 0.5},
		{"32 kHz stereo into 48 kHz stereo", 32000, 2, 2, 0.5, 0.5},
		{"48 kHz stereo into mono", 48000, 2, 1, 0.5, 0.5},
		{"44.1 kHz 5.1 into stereo", 44100, 6, 2, 0.5, 0},
	} {
		t.Run(tc.what, func(t *testing.T) {
			m := newBegunMixer(t, MixerConfig{Channels: tc.mixCh})
			in := mustInput(t, m, "a")
			g := &mixTone{hz: 1000, amp: tc.amp, rate: tc.rate, ch: tc.inCh, n: tc.rate / 100}
			out := mixFor(m, time.Second, map[*MixerInput]*mixTone{in: g})
			out = out[len(out)/5 : len(out)*9/10] // the middle: past the start and before the end
			if f := mixDominantHz(out, tc.mixCh, 48000, 100, 5000); math.Abs(f-1000) > 1 {
				t.Errorf("dominant frequency %.2f Hz, want 1000 ± 1", f)
			}
			for c := 0; c < tc.mixCh; c++ {
				a := mixGoertzel(out, tc.mixCh, c, 48000, 1000)
				if tc.wantLv > 0 && math.Abs(a-tc.wantLv) > 0.02 {
					t.Errorf("channel %d: amplitude %.3f, want %.3f", c, a, tc.wantLv)
				}
				if a < 0.1 {
					t.Errorf("channel %d: amplitude %.3f: the tone is missing", c, a)
				}
			}
			st := in.Stats()
			if st.Errors != 0 || st.Resyncs != 0 || st.Late != 0 || st.Ahead != 0 {
				t.Errorf("stats %+v, want no errors, resyncs, late or dropped samples", st)
			}
		})
	}
}

// TestMixPlacement: frames land where their PTS say, jitter within
// MixContinuity does not move them, and what cannot be placed is counted.
func TestMixPlacement(t *testing.T) {
	m := newBegunMixer(t, MixerConfig{Channels: 1, Buffer: 500 * time.Millisecond})
	in := mustInput(t, m, "a")
	ones := func(pts time.Duration, n int) *media.AudioFrame {
		f := &media.AudioFrame{PTS: pts, SampleRate: 48000, Channels: 1, Samples: make([]float32, n)}
		for i := range f.Samples {
			f.Samples[i] = 0.5
		}
		return f
	}
	// 10 ms frames whose PTS wobble by ±3 ms: contiguous.
	for i := 0; i < 10; i++ {
		in.Push(ones(time.Duration(i)*10*time.Millisecond+time.Duration(i%3-1)*3*time.Millisecond, 480))
	}
	// Then a jump: the next frame 50 ms after the end (at 150 ms).
	in.Push(ones(150*time.Millisecond, 480))
	var out []float32
	for i := 0; i < 20; i++ {
		out = append(out, m.mixNext().Samples...)
	}
	// The first frame had PTS -3 ms: its first 144 samples were before the
	// mix started, late.
	st := in.Stats()
	if st.Resyncs != 1 || st.Late != 144 {
		t.Errorf("stats %+v, want 1 resync and 144 late samples", st)
	}
	at := func(i int) float32 { return out[i] }
	if at(0) != 0.5 || at(100*48-144-1) != 0.5 || at(100*48-144) != 0 || at(150*48-1) != 0 || at(150*48) != 0.5 || at(160*48-1) != 0.5 || at(160*48) != 0 {
		t.Errorf("placement: samples around 96, 150 and 160 ms wrong")
	}
	// Missing: from 160 ms (the end of what came) to 200 ms; not the gap
	// before the jump (a resync), nor the time before the first frame.
	if want := int64((200 - 160) * 48); st.Missing != want {
		t.Errorf("missing %d samples, want %d", st.Missing, want)
	}
	// Late: a frame for 50 ms, already mixed. Ahead: a frame 600 ms on,
	// beyond the 500 ms buffer.
	in.Push(ones(50*time.Millisecond, 480))
	in.Push(ones(200*time.Millisecond+600*time.Millisecond, 480))
	st = in.Stats()
	if st.Late != 144+480 || st.Ahead != 480 {
		t.Errorf("stats %+v, want late 624, ahead 480", st)
	}
	// Malformed frames are counted, not mixed.
	in.Push(&media.AudioFrame{SampleRate: 48000, Channels: 0, Samples: []float32{1}})
	in.Push(&media.AudioFrame{SampleRate: 48000, Channels: 9, Samples: make([]float32, 90)})
	in.Push(nil)
	if st := in.Stats(); st.Errors != 2 {
		t.Errorf("errors %d, want 2", st.Errors)
	}
}

// TestMixStalledInput runs the mixer in real time: one input keeps
// delivering, one stops after 100 ms, one never delivers; the mix keeps
// coming on time with continuous PTS and the first input's tone.
func TestMixStalledInput(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := media.NewClock()
	m, err := NewMixer(MixerConfig{Clock: clock, Latency: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	live, stalls, silent := mustInput(t, m, "live"), mustInput(t, m, "stalls"), mustInput(t, m, "silent")
	_ = silent
	var mu sync.Mutex
	var frames []*media.AudioFrame
	start := clock.Now()
	if err := m.Start(func(f *media.AudioFrame) {
		mu.Lock()
		frames = append(frames, f)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	// Sources: 10 ms blocks stamped with their capture time, delivered when
	// their last sample is due.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	feed := func(in *MixerInput, hz float64, until time.Duration) {
		defer wg.Done()
		g := &mixTone{hz: hz, amp: 0.25, rate: 48000, ch: 2, n: 480}
		g.next = mixPosition(start, 48000)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for mixDuration(g.next+480, 48000) <= clock.Now() {
				if mixDuration(g.next, 48000)-start >= until {
					return
				}
				in.Push(g.frame())
			}
		}
	}
	wg.Add(2)
	go feed(live, 1000, time.Hour)
	go feed(stalls, 3000, 100*time.Millisecond)
	time.Sleep(600 * time.Millisecond)
	close(stop)
	wg.Wait()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	elapsed := clock.Now() - start
	mu.Lock()
	defer mu.Unlock()
	// Blocks are mixed Latency after their end: elapsed - 30 ms - 10 ms of
	// them, give or take scheduling.
	want := int((elapsed - 40*time.Millisecond) / (10 * time.Millisecond))
	if len(frames) < want-3 || len(frames) > want+1 {
		t.Errorf("%d blocks in %v, want about %d", len(frames), elapsed, want)
	}
	for i := 1; i < len(frames); i++ {
		if frames[i].PTS != frames[i-1].PTS+10*time.Millisecond {
			t.Fatalf("block %d: PTS %v after %v", i, frames[i].PTS, frames[i-1].PTS)
		}
	}
	// The mix starts at Start, rounded to a sample.
	if d := frames[0].PTS - start; d < -21*time.Microsecond || d > 5*time.Millisecond {
		t.Errorf("first block at %v, Start at %v", frames[0].PTS, start)
	}
	// After the stall: the live tone alone.
	var tail []float32
	for _, f := range frames[20:] {
		tail = append(tail, f.Samples...)
	}
	if a, b := mixGoertzel(tail, 2, 0, 48000, 1000), mixGoertzel(tail, 2, 0, 48000, 3000); math.Abs(a-0.25) > 0.03 || b > 0.01 {
		t.Errorf("after the stall: 1 kHz %.3f, 3 kHz %.3f; want 0.25 and 0", a, b)
	}
	ls, ss, qs := live.Stats(), stalls.Stats(), silent.Stats()
	t.Logf("%d blocks; live %+v; stalled %+v; silent %+v", len(frames), ls, ss, qs)
	if ss.Missing < 300*48 {
		t.Errorf("stalled input: %d samples missing, want its last 400 ms or so", ss.Missing)
	}
	// (The sources start at `start`, a little before the mix: part of their
	// first block may be late.)
	if ls.Missing > 20*48 || ls.Late > 480 {
		t.Errorf("live input: %d missing, %d late", ls.Missing, ls.Late)
	}
	if qs.Missing != 0 || qs.Frames != 0 {
		t.Errorf("an input that never delivered: %+v, want nothing counted", qs)
	}
	leaktest.Check(t, before, time.Second)
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
