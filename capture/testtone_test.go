package capture

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/internal/testsignal"
)

func TestNewTestTone(t *testing.T) {
	s, err := NewTestTone(TestToneConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Config(); c.SampleRate != 48000 || c.Channels != 2 || c.BlockSamples != 1024 || c.Logger == nil {
		t.Errorf("defaults: %+v", c)
	}
	for _, c := range []TestToneConfig{
		{SampleRate: 44100, Channels: 1, BlockSamples: 441},
		{SampleRate: 48000, Channels: 2, BlockSamples: 480},
		{SampleRate: 48000, Channels: 2, BlockSamples: 2400},
	} {
		if _, err := NewTestTone(c); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []TestToneConfig{
		{SampleRate: 4000},
		{SampleRate: 384000},
		{Channels: -1},
		{Channels: 9},
		{BlockSamples: -5},
		{BlockSamples: 10},    // 0.2 ms
		{BlockSamples: 48000}, // 1 s
	} {
		if _, err := NewTestTone(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: error %v, want ErrInvalidConfig", c, err)
		}
	}
}

// beepSamples marks the samples of mono signal x that belong to the beep:
// those that, with a neighbour, fit a sine of the beep's frequency and
// amplitude. A pure sine A·sin(φ+nω) gives A² = x[n]² + ((x[n+1] −
// x[n]·cos ω)/sin ω)² for every pair inside it.
func beepSamples(x []float64, rate int) []bool {
	w := 2 * math.Pi * testsignal.BeepFrequency / float64(rate)
	fits := func(n int) bool { // pair n, n+1
		if n < 0 || n+1 >= len(x) {
			return false
		}
		q := (x[n+1] - x[n]*math.Cos(w)) / math.Sin(w)
		return math.Abs(math.Sqrt(x[n]*x[n]+q*q)-testsignal.BeepAmplitude) < 1e-4
	}
	in := make([]bool, len(x))
	for n := range x {
		in[n] = fits(n) || fits(n-1)
	}
	return in
}

// TestToneStream generates blocks directly from fixed wall-clock starts
// and checks that each beep starts at the sample whose capture time is the
// first at or after a whole second and lasts 100 ms ± 1 sample, and that
// block PTS follow the samples.
func TestToneStream(t *testing.T) {
	for _, c := range []struct {
		rate, channels, block int
		wallStart             time.Time
	}{
		{48000, 2, 1024, time.Unix(1700000000, 0).Add(-300 * time.Millisecond)},
		{48000, 1, 480, time.Unix(1700000000, 0).Add(-123456789)},
		{44100, 2, 1024, time.Unix(1700000000, 0).Add(-777777777)},
		{44100, 2, 441, time.Unix(1700000000, 0)},
	} {
		clock := media.NewClock()
		s, err := NewTestTone(TestToneConfig{SampleRate: c.rate, Channels: c.channels, BlockSamples: c.block, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.newStream(c.wallStart)
		if err != nil {
			t.Fatal(err)
		}
		startPTS := c.wallStart.Sub(clock.Start())
		var mono []float64
		nblocks := int64(5*c.rate/c.block/2 + 1) // 2.5 s
		for n := int64(0); n < nblocks; n++ {
			if n == 40 {
				n += 3 // skipped blocks: a gap
			}
			f := st.block(n)
			first := n * int64(c.block)
			if f.SampleRate != c.rate || f.Channels != c.channels || f.NumSamples() != c.block {
				t.Fatalf("block %d: %d Hz, %d ch, %d samples", n, f.SampleRate, f.Channels, f.NumSamples())
			}
			if want := startPTS + time.Duration(float64(first)*1e9/float64(c.rate)); absDur(f.PTS-want) > 1 {
				t.Fatalf("block %d PTS %v, want %v", n, f.PTS, want)
			}
			for len(mono) < int(first) {
				mono = append(mono, 0) // the gap
			}
			for i := 0; i < c.block; i++ {
				for ch := 1; ch < c.channels; ch++ {
					if f.Samples[i*c.channels+ch] != f.Samples[i*c.channels] {
						t.Fatalf("block %d sample %d: channels differ", n, i)
					}
				}
				mono = append(mono, float64(f.Samples[i*c.channels]))
			}
		}
		in := beepSamples(mono, c.rate)

		// Expected first beep samples: the first sample at or after each
		// whole second after wallStart.
		sec := time.Unix(c.wallStart.Unix(), 0)
		if sec.Before(c.wallStart) {
			sec = sec.Add(time.Second)
		}
		found := 0
		for ; sec.Sub(c.wallStart) < time.Duration(len(mono))*time.Second/time.Duration(c.rate)-200*time.Millisecond; sec = sec.Add(time.Second) {
			d := sec.Sub(c.wallStart)
			want := int(math.Ceil(float64(d) * float64(c.rate) / 1e9))
			if d == 0 {
				want = 0
			}
			if want >= 40*c.block && want < 44*c.block+c.rate/10 {
				continue // in or near the gap
			}
			if !in[want] || (want > 0 && in[want-1]) {
				t.Errorf("rate %d start %v: beep of %v does not start at sample %d (in %v, before %v)",
					c.rate, c.wallStart, sec, want, in[want], want > 0 && in[want-1])
				continue
			}
			end := want
			for end < len(in) && in[end] {
				end++
			}
			if n, exp := end-want, c.rate/10; n < exp-1 || n > exp+1 {
				t.Errorf("rate %d: beep at sample %d lasts %d samples, want %d ± 1", c.rate, want, n, exp)
			}
			found++
		}
		if found < 1 {
			t.Errorf("rate %d start %v: no beep checked", c.rate, c.wallStart)
		}
		// Between beeps: only the quiet tone.
		for i, v := range mono {
			if !in[i] && math.Abs(v) > testsignal.ToneAmplitude+1e-6 {
				t.Fatalf("rate %d: sample %d = %v outside a beep", c.rate, i, v)
			}
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestTestToneRun runs the source briefly and checks pacing and PTS.
func TestTestToneRun(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := media.NewClock()
	s, err := NewTestTone(TestToneConfig{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		pts, readAt time.Duration
		n           int
	}
	var mu sync.Mutex
	var blocks []got
	started := clock.Now()
	if err := s.Start(func(f *media.AudioFrame) {
		g := got{pts: f.PTS, readAt: clock.Now(), n: f.NumSamples()}
		mu.Lock()
		blocks = append(blocks, g)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	closeStart := clock.Now()
	s.Close()
	closed := clock.Now()
	checkGoroutines(t, before)
	mu.Lock()
	defer mu.Unlock()
	block := testsignal.SampleOffset(1024, 48000) // 21.33 ms
	// About 500 ms: 23 blocks end in it. Every block due while the source
	// ran is produced or skipped, none more, allowing 2 for wake-ups still
	// pending at Close.
	total := int64(len(blocks)) + s.Skipped()
	lo := int64((closeStart-started)/block) - 2
	hi := int64((closed - started) / block)
	t.Logf("%d blocks, %d skipped; %d..%d due", len(blocks), s.Skipped(), lo+2, hi)
	if total < lo || total > hi || len(blocks) < 5 {
		t.Fatalf("%d blocks, %d skipped in %v, want %d..%d in all", len(blocks), s.Skipped(), closeStart-started, lo, hi)
	}
	if s.Blocks() != int64(len(blocks)) {
		t.Errorf("Blocks() = %d, delivered %d", s.Blocks(), len(blocks))
	}
	if d := blocks[0].pts - started; d < 0 || d > 50*time.Millisecond {
		t.Errorf("first block PTS %v, started at %v", blocks[0].pts, started)
	}
	for i, b := range blocks {
		if b.n != 1024 {
			t.Fatalf("block %d has %d samples", i, b.n)
		}
		// Delivered once its last sample is due, not before.
		if late := b.readAt - (b.pts + block); late < 0 || late > 50*time.Millisecond {
			t.Errorf("block %d delivered %v after its end", i, late)
		}
		if i > 0 {
			step := b.pts - blocks[i-1].pts
			k := (step + block/2) / block // 1, or more after skipped blocks
			if k < 1 || absDur(step-testsignal.SampleOffset(int64(k)*1024, 48000)) > time.Microsecond {
				t.Errorf("block %d PTS step %v, want a multiple of %v", i, step, block)
			}
		}
	}
}

// TestAVMarksAligned runs both sources on one clock across a whole
// wall-clock second and checks that the first white-square frame and the
// beep's first sample are at the same stream time, within a frame.
func TestAVMarksAligned(t *testing.T) {
	// Start 100..300 ms before a whole second so the test lasts < 1.5 s.
	if ms := time.Now().UnixMilli() % 1000; ms > 700 || ms < 400 {
		time.Sleep(time.Duration((1700-ms)%1000) * time.Millisecond)
	}
	clock := media.NewClock()
	v, err := NewTestVideo(TestVideoConfig{Width: 320, Height: 240, FPS: 30, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewTestTone(TestToneConfig{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	squarePTS := time.Duration(-1)
	beepPTS := time.Duration(-1)
	det, err := testsignal.NewBeepDetector(48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Start(func(f *media.VideoFrame) {
		defer f.Release()
		if testsignal.ReadSyncSquare(f.Planes[0], f.Strides[0], f.Width, f.Height) {
			mu.Lock()
			if squarePTS < 0 {
				squarePTS = f.PTS
			}
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	var firstPTS time.Duration = -1
	if err := a.Start(func(f *media.AudioFrame) {
		if firstPTS < 0 {
			firstPTS = f.PTS
		}
		for _, at := range det.Feed(f.Samples) {
			mu.Lock()
			if beepPTS < 0 {
				beepPTS = firstPTS + testsignal.SampleOffset(at, 48000)
			}
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := squarePTS >= 0 && beepPTS >= 0
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	v.Close()
	a.Close()
	mu.Lock()
	defer mu.Unlock()
	if squarePTS < 0 || beepPTS < 0 {
		t.Fatalf("no marks: square at %v, beep at %v", squarePTS, beepPTS)
	}
	// The white frame is the first captured at or after the second: at
	// most a frame interval (plus scheduling delay) after the beep.
	if d := squarePTS - beepPTS; d < -time.Millisecond || d > time.Second/30+30*time.Millisecond {
		t.Errorf("first white square at %v, beep at %v: offset %v", squarePTS, beepPTS, d)
	}
}
