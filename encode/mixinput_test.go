package encode

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/media"
)

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

// TestMixRaisesLatency runs the mixer in real time with an input whose
// frames come 80 ms after their capture, more than the 30 ms latency:
// its first frames are late, the mixer raises its latency to cover them,
// and from then on nothing is late. With MaxLatency at 50 ms the latency
// stops there and the input stays late.
func TestMixRaisesLatency(t *testing.T) {
	for _, c := range []struct {
		name     string
		max      time.Duration
		min, top time.Duration // the latency reached
		keepLate bool
	}{
		// The frames are pushed by a loop that sleeps 5 ms; on a loaded
		// machine (-race in CI) a sleep overran by ~100 ms once, a frame
		// came 190 ms old and the latency rose to 210 ms: still far under
		// the 500 ms default maximum, which is what this case is about.
		{"raised", 0, 80 * time.Millisecond, 300 * time.Millisecond, false},
		{"capped", 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			clock := media.NewClock()
			m, err := NewMixer(MixerConfig{Clock: clock, Latency: 30 * time.Millisecond, MaxLatency: c.max})
			if err != nil {
				t.Fatal(err)
			}
			in := mustInput(t, m, "slow")
			start := clock.Now()
			if err := m.Start(func(*media.AudioFrame) {}); err != nil {
				t.Fatal(err)
			}
			g := &mixTone{hz: 1000, amp: 0.25, rate: 48000, ch: 2, n: 480, next: mixPosition(start, 48000)}
			const delay = 80 * time.Millisecond
			feed := func(until time.Duration) {
				for clock.Now()-start < until {
					// Push every frame whose last sample is delay old.
					for mixDuration(g.next+480, 48000)+delay <= clock.Now() {
						in.Push(g.frame())
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			feed(400 * time.Millisecond)
			early := in.Stats()
			feed(900 * time.Millisecond)
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			st := in.Stats()
			lat := m.Stats().Latency
			t.Logf("latency %v; after 400 ms %+v; at the end %+v", lat, early, st)
			if lat < c.min || lat > c.top {
				t.Errorf("latency %v, want %v..%v", lat, c.min, c.top)
			}
			if ms := m.Stats(); ms.Dropped != st.Dropped {
				t.Errorf("mixer: %d frames dropped, input %d", ms.Dropped, st.Dropped)
			}
			if early.Late == 0 || early.Dropped == 0 {
				t.Errorf("after 400 ms: %+v, want late samples counted and frames dropped", early)
			}
			if grew := st.Late > early.Late; grew != c.keepLate {
				t.Errorf("late samples went from %d to %d after 400 ms; want more: %v", early.Late, st.Late, c.keepLate)
			}
			leaktest.Check(t, before, time.Second)
		})
	}
}
