package player

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/leaktest"
)

// aoRate and aoCh are the format of most tests: 48 kHz stereo.
const (
	aoRate = 48000
	aoCh   = 2
)

// aoSamples is the number of interleaved samples in d of 48 kHz stereo.
func aoSamples(d time.Duration) int {
	return int(int64(d)*aoRate/int64(time.Second)) * aoCh
}

// aoRamp is n samples whose values are first, first+1, ... (exact in
// float32 below 2^24), so that any sample can be told from any other.
func aoRamp(first, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(first + i)
	}
	return s
}

// aoOpenNull opens an output on the null backend, closed when the test ends.
func aoOpenNull(t *testing.T, cfg AudioOutputConfig) *AudioOutput {
	t.Helper()
	cfg.Null = true
	if cfg.Logger == nil {
		cfg.Logger = aoLogger(t)
	}
	o, err := OpenAudioOutput(cfg)
	if err != nil {
		t.Fatalf("OpenAudioOutput: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	if got := o.Backend(); got != "null" {
		t.Fatalf("Backend() = %q, want null", got)
	}
	return o
}

// aoLogger logs at info and above into the test log.
func aoLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(aoTestWriter{t}, nil))
}

type aoTestWriter struct{ t *testing.T }

func (w aoTestWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// aoWaitFor polls cond every 5 ms until it holds or timeout passes.
func aoWaitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// aoTapRec records what a tap sees.
type aoTapRec struct {
	mu      sync.Mutex
	samples []float32
	calls   []aoTapCall
}

type aoTapCall struct {
	at  time.Time
	pts time.Duration
	off int // index of its first sample in samples
	n   int
}

func (r *aoTapRec) tap(at time.Time, pts time.Duration, s []float32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, aoTapCall{at: at, pts: pts, off: len(r.samples), n: len(s)})
	r.samples = append(r.samples, s...)
}

func (r *aoTapRec) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.samples)
}

func (r *aoTapRec) snapshot() ([]float32, []aoTapCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]float32(nil), r.samples...), append([]aoTapCall(nil), r.calls...)
}

// aoSameSamples fails unless got equals want, value for value.
func aoSameSamples(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("tap saw %d samples, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tap sample %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestAudioOutNullClock(t *testing.T) {
	o := aoOpenNull(t, AudioOutputConfig{SampleRate: aoRate, Channels: aoCh})
	if _, ok := o.Clock(); ok {
		t.Fatal("Clock ok before anything was written")
	}
	const base = 10 * time.Second
	chunk := aoSamples(50 * time.Millisecond)
	start := time.Now()
	for k := 0; k < 10; k++ { // 500 ms
		o.Write(base+time.Duration(k)*50*time.Millisecond, aoRamp(k*chunk, chunk))
	}
	if b := o.Buffered(); b < 400*time.Millisecond || b > 500*time.Millisecond {
		t.Errorf("Buffered() = %v right after writing 500 ms", b)
	}

	time.Sleep(time.Until(start.Add(300 * time.Millisecond)))
	pts, ok := o.Clock()
	el := time.Since(start)
	t.Logf("after %v: Clock() = %v, %v; Buffered %v", el, pts, ok, o.Buffered())
	if !ok {
		t.Fatal("Clock not ok while playing")
	}
	if lo, hi := base+120*time.Millisecond, base+480*time.Millisecond; pts < lo || pts > hi {
		t.Errorf("Clock() = %v after %v of playing, want %v..%v", pts, el, lo, hi)
	}

	// Real-time consumption: 96000 samples/s.
	t1, p1 := time.Now(), o.Stats().Played
	time.Sleep(120 * time.Millisecond)
	t2, p2 := time.Now(), o.Stats().Played
	rate := float64(p2-p1) / t2.Sub(t1).Seconds()
	t.Logf("played %d samples in %v: %.0f samples/s", p2-p1, t2.Sub(t1), rate)
	if rate < 0.65*aoRate*aoCh || rate > 1.35*aoRate*aoCh {
		t.Errorf("played %.0f samples/s, want about %d", rate, aoRate*aoCh)
	}
	if pts2, ok := o.Clock(); !ok || pts2 <= pts {
		t.Errorf("Clock() = %v, %v after %v, want past %v", pts2, ok, pts2, pts)
	}

	// The ring runs dry: underruns, and the clock is no longer ok.
	var last time.Duration
	aoWaitFor(t, time.Second, "the clock to stop at an underrun", func() bool {
		p, ok := o.Clock()
		if ok {
			last = p
		}
		return !ok
	})
	st := o.Stats()
	t.Logf("dry after %v: %+v, last clock %v", time.Since(start), st, last)
	if st.Underruns == 0 {
		t.Error("Underruns = 0 after the ring ran dry")
	}
	if want := int64(10 * chunk); st.Played != want {
		t.Errorf("Played = %d, want %d (all written)", st.Played, want)
	}
	if st.Buffered != 0 || st.Dropped != 0 {
		t.Errorf("Buffered %v, Dropped %d: want 0, 0", st.Buffered, st.Dropped)
	}
	if last > base+500*time.Millisecond {
		t.Errorf("clock reached %v, past the end of the audio (%v)", last, base+500*time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	if u := o.Stats().Underruns; u <= st.Underruns {
		t.Errorf("Underruns stayed %d while the ring was empty", u)
	}
}

func TestAudioOutTapSeesSamples(t *testing.T) {
	o := aoOpenNull(t, AudioOutputConfig{})
	var rec aoTapRec
	o.SetTap(rec.tap)
	o.SetVolume(0.25) // the tap sees the signal before volume
	o.SetMuted(true)  // and before mute

	// 200 ms in four writes whose pts jitter by under 1 ms (continuous),
	// then 100 ms after a gap: pts 7 s.
	chunk := aoSamples(50 * time.Millisecond)
	jitter := []time.Duration{0, 400 * time.Microsecond, -700 * time.Microsecond, 900 * time.Microsecond}
	var want []float32
	for k := 0; k < 4; k++ {
		s := aoRamp(len(want), chunk)
		o.Write(5*time.Second+time.Duration(k)*50*time.Millisecond+jitter[k], s)
		want = append(want, s...)
	}
	gapAt := len(want)
	s := aoRamp(len(want), 2*chunk)
	o.Write(7*time.Second, s)
	want = append(want, s...)

	aoWaitFor(t, 2*time.Second, "the tap to see everything", func() bool { return rec.count() >= len(want) })
	got, calls := rec.snapshot()
	aoSameSamples(t, got, want)

	// The pts of a call's first sample follows from its position.
	ptsOf := func(i int) time.Duration {
		if i < gapAt {
			return 5*time.Second + time.Duration(i/aoCh)*time.Second/aoRate
		}
		return 7*time.Second + time.Duration((i-gapAt)/aoCh)*time.Second/aoRate
	}
	sawGap := false
	for i, c := range calls {
		if d := c.pts - ptsOf(c.off); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("tap call %d (sample %d): pts %v, want %v", i, c.off, c.pts, ptsOf(c.off))
		}
		if c.off < gapAt && c.off+c.n > gapAt {
			t.Errorf("tap call %d spans the pts gap (samples %d..%d, gap at %d)", i, c.off, c.off+c.n, gapAt)
		}
		if c.off == gapAt {
			sawGap = true
		}
		if c.n%aoCh != 0 {
			t.Errorf("tap call %d has %d samples: not whole frames", i, c.n)
		}
		if i > 0 && c.at.Before(calls[i-1].at) {
			t.Errorf("tap call %d at %v, before call %d at %v", i, c.at, i-1, calls[i-1].at)
		}
	}
	if !sawGap {
		t.Error("no tap call starts at the pts gap")
	}
	t.Logf("%d tap calls, %d samples", len(calls), len(got))
}

func TestAudioOutOverflow(t *testing.T) {
	o := aoOpenNull(t, AudioOutputConfig{Buffer: 100 * time.Millisecond})
	var rec aoTapRec
	o.SetTap(rec.tap)
	all := aoRamp(0, aoSamples(300*time.Millisecond))
	o.Write(0, all)
	st := o.Stats()
	if want := int64(aoSamples(200 * time.Millisecond)); st.Dropped != want {
		t.Errorf("Dropped = %d, want %d (200 ms)", st.Dropped, want)
	}
	if st.Buffered > 100*time.Millisecond {
		t.Errorf("Buffered = %v, more than the 100 ms ring", st.Buffered)
	}
	newest := all[aoSamples(200*time.Millisecond):]
	aoWaitFor(t, time.Second, "the tap to see the newest 100 ms", func() bool { return rec.count() >= len(newest) })
	got, calls := rec.snapshot()
	aoSameSamples(t, got, newest)
	if calls[0].pts != 200*time.Millisecond {
		t.Errorf("first pts the tap saw = %v, want 200ms", calls[0].pts)
	}

	// Overflow of a partly full ring drops its oldest samples.
	o.SetPaused(true)
	o.Write(time.Second, aoRamp(0, aoSamples(60*time.Millisecond)))
	d0 := o.Stats().Dropped
	o.Write(time.Second+60*time.Millisecond, aoRamp(0, aoSamples(60*time.Millisecond)))
	if d := o.Stats().Dropped - d0; d != int64(aoSamples(20*time.Millisecond)) {
		t.Errorf("second write dropped %d samples, want %d (20 ms)", d, aoSamples(20*time.Millisecond))
	}
	if b := o.Buffered(); b != 100*time.Millisecond {
		t.Errorf("Buffered = %v, want the full 100 ms", b)
	}
}

func TestAudioOutPause(t *testing.T) {
	o := aoOpenNull(t, AudioOutputConfig{})
	o.Write(0, make([]float32, aoSamples(time.Second)))
	aoWaitFor(t, time.Second, "playback", func() bool { _, ok := o.Clock(); return ok })

	o.SetPaused(true)
	p, b := o.Stats().Played, o.Buffered()
	if _, ok := o.Clock(); ok {
		t.Error("Clock ok while paused")
	}
	time.Sleep(150 * time.Millisecond)
	if st := o.Stats(); st.Played != p || st.Buffered != b {
		t.Errorf("paused 150 ms: Played %d → %d, Buffered %v → %v; want unchanged", p, st.Played, b, st.Buffered)
	}
	if u := o.Stats().Underruns; u != 0 {
		t.Errorf("Underruns = %d while paused with a full ring", u)
	}

	o.SetPaused(false)
	aoWaitFor(t, 500*time.Millisecond, "playback to resume", func() bool {
		_, ok := o.Clock()
		return ok && o.Stats().Played > p
	})
	pts, _ := o.Clock()
	if played := audioFramesDuration(p/aoCh, aoRate); pts < played-50*time.Millisecond || pts > played+50*time.Millisecond {
		t.Errorf("Clock() = %v after resuming, want about %v (what had played)", pts, played)
	}
}

func TestAudioOutSpeed(t *testing.T) {
	o := aoOpenNull(t, AudioOutputConfig{})
	var mu sync.Mutex
	perCallback := map[time.Time]int{} // frames the ring gave each callback
	o.SetTap(func(at time.Time, _ time.Duration, s []float32) {
		mu.Lock()
		perCallback[at] += len(s) / aoCh
		mu.Unlock()
	})
	o.Write(0, make([]float32, aoSamples(1500*time.Millisecond)))

	window := func() (int64, time.Duration) {
		t0, p0 := time.Now(), o.Stats().Played
		time.Sleep(400 * time.Millisecond)
		return o.Stats().Played - p0, time.Since(t0)
	}
	normal, d1 := window()
	switchAt := time.Now()
	o.SetSpeed(1.05)
	fast, d2 := window()
	t.Logf("consumed %d samples in %v at 1.0, %d in %v at 1.05", normal, d1, fast, d2)
	// The device's 10 ms steps make these rates jitter by a few per cent,
	// as much as the 5 % to measure: the callbacks below measure exactly.
	if rate := float64(fast) / d2.Seconds(); rate < 0.85*1.05*aoRate*aoCh || rate > 1.2*1.05*aoRate*aoCh {
		t.Errorf("consumed %.0f samples/s at 1.05, want about %.0f", rate, 1.05*aoRate*aoCh)
	}

	// Exactly: each 480-frame callback takes 480 frames at 1.0, 504 at 1.05.
	mu.Lock()
	defer mu.Unlock()
	var n1, f1, n2, f2 int
	for at, frames := range perCallback {
		switch {
		case at.Before(switchAt.Add(-20 * time.Millisecond)):
			n1, f1 = n1+1, f1+frames
		case at.After(switchAt.Add(20 * time.Millisecond)):
			n2, f2 = n2+1, f2+frames
		}
	}
	if n1 < 10 || n2 < 10 {
		t.Fatalf("only %d and %d callbacks seen", n1, n2)
	}
	m1, m2 := float64(f1)/float64(n1), float64(f2)/float64(n2)
	t.Logf("frames per callback: %.2f over %d at 1.0, %.2f over %d at 1.05", m1, n1, m2, n2)
	if m1 != 480 {
		t.Errorf("%.2f frames per callback at 1.0, want 480", m1)
	}
	if m2 < 503 || m2 > 505 {
		t.Errorf("%.2f frames per callback at 1.05, want 504", m2)
	}
}

func TestAudioOutSetters(t *testing.T) {
	o, err := newAudioOutput(AudioOutputConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want float64 }{{0.5, 0.5}, {-1, 0}, {3, 2}, {math.NaN(), 1}, {2, 2}} {
		o.SetVolume(c.in)
		if o.volume != c.want {
			t.Errorf("SetVolume(%v): volume %v, want %v", c.in, o.volume, c.want)
		}
	}
	for _, c := range []struct{ in, want float64 }{{1.02, 1.02}, {0.5, 1}, {1.2, 1.05}, {math.NaN(), 1}, {1.05, 1.05}} {
		o.SetSpeed(c.in)
		if o.speed != c.want {
			t.Errorf("SetSpeed(%v): speed %v, want %v", c.in, o.speed, c.want)
		}
	}
	for _, cfg := range []AudioOutputConfig{
		{SampleRate: -1}, {Channels: 100}, {Period: -time.Millisecond},
		{Buffer: time.Millisecond, Period: 10 * time.Millisecond},
	} {
		if _, err := OpenAudioOutput(cfg); err == nil || errors.Is(err, ErrAudioOutput) {
			t.Errorf("OpenAudioOutput(%+v) = %v, want a configuration error", cfg, err)
		}
	}
}

// aoFloats decodes little-endian float32 samples.
func aoFloats(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// TestAudioOutCallback drives the callback by hand, without a device.
func TestAudioOutCallback(t *testing.T) {
	o, err := newAudioOutput(AudioOutputConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var rec aoTapRec
	o.SetTap(rec.tap)
	o.SetVolume(0.5)
	out := make([]byte, 480*aoCh*4)

	o.onData(out, nil, 480) // before any sample: silence, no underrun
	if st := o.Stats(); st.Underruns != 0 || st.Played != 0 {
		t.Errorf("empty ring before start: %+v", st)
	}
	o.Write(3*time.Second, aoRamp(1, aoSamples(15*time.Millisecond)))
	o.onData(out, nil, 480)
	f := aoFloats(out)
	for i, v := range f {
		if want := float32(i+1) * 0.5; v != want {
			t.Fatalf("output sample %d = %v, want %v (volume 0.5)", i, v, want)
		}
	}
	if pts, ok := o.Clock(); !ok || pts < 3*time.Second || pts > 3*time.Second+10*time.Millisecond {
		t.Errorf("Clock() = %v, %v; want 3s..3.01s", pts, ok)
	}

	o.onData(out, nil, 480) // 5 ms left: half a period, then silence
	f = aoFloats(out)
	for i, v := range f {
		want := float32(0)
		if i < 240*aoCh {
			want = float32(960+i+1) * 0.5
		}
		if v != want {
			t.Fatalf("short period: output sample %d = %v, want %v", i, v, want)
		}
	}
	if u := o.Stats().Underruns; u != 1 {
		t.Errorf("Underruns = %d after a short period, want 1", u)
	}
	if _, ok := o.Clock(); !ok {
		t.Error("Clock not ok while the last samples play")
	}
	time.Sleep(3 * o.period)
	if pts, ok := o.Clock(); ok {
		t.Errorf("Clock() = %v, ok, a while after the ring ran dry", pts)
	}
	aoSameSamples(t, rec.samples, aoRamp(1, aoSamples(15*time.Millisecond)))

	// Muted: silence, but the ring is consumed and the tap sees it.
	o.SetMuted(true)
	o.Write(4*time.Second, aoRamp(1, 480*aoCh))
	o.onData(out, nil, 480)
	for i, v := range aoFloats(out) {
		if v != 0 {
			t.Fatalf("muted: output sample %d = %v", i, v)
		}
	}
	if pts, ok := o.Clock(); !ok || pts < 4*time.Second || pts > 4*time.Second+10*time.Millisecond {
		t.Errorf("Clock() = %v, %v after a muted period; want 4s..4.01s", pts, ok)
	}

	// Flush: nothing queued, clock not ok until new samples play.
	o.SetMuted(false)
	o.Write(5*time.Second, aoRamp(1, 480*aoCh))
	o.Flush()
	if _, ok := o.Clock(); ok || o.Buffered() != 0 {
		t.Errorf("after Flush: Clock ok %v, Buffered %v", ok, o.Buffered())
	}
	u := o.Stats().Underruns
	o.onData(out, nil, 480)
	if o.Stats().Underruns != u {
		t.Error("an empty ring after Flush counted as an underrun")
	}
	o.Write(9*time.Second, aoRamp(1, 480*aoCh))
	o.onData(out, nil, 480)
	if pts, ok := o.Clock(); !ok || pts < 9*time.Second || pts > 9*time.Second+10*time.Millisecond {
		t.Errorf("Clock() = %v, %v after a seek to 9s", pts, ok)
	}
}

func TestAudioOutRender(t *testing.T) {
	// Speed 1.05: 504 input frames into 480 output frames, linearly.
	const nIn, nOut = 504, 480
	in := make([]float32, nIn*2)
	for i := 0; i < nIn; i++ {
		in[2*i], in[2*i+1] = float32(i), -float32(i)
	}
	dst := make([]byte, nOut*2*4)
	audioRender(dst, in, 2, 2)
	out := aoFloats(dst)
	for j := 0; j < nOut; j++ {
		want := 2 * float32(float64(j)*nIn/nOut)
		if l, r := out[2*j], out[2*j+1]; math.Abs(float64(l-want)) > 1e-3 || math.Abs(float64(r+want)) > 1e-3 {
			t.Fatalf("output frame %d = %v, %v; want %v, %v", j, l, r, want, -want)
		}
	}
}

func TestAudioOutCallbackAllocs(t *testing.T) {
	o, err := newAudioOutput(AudioOutputConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var sum float32
	o.SetTap(func(_ time.Time, _ time.Duration, s []float32) { sum += s[0] })
	o.SetSpeed(1.03)
	chunk := aoRamp(0, aoSamples(20*time.Millisecond))
	for k := 0; k < 80; k++ { // 1.6 s, in anchors with gaps
		o.Write(time.Duration(k)*25*time.Millisecond, chunk)
	}
	out := make([]byte, 480*aoCh*4)
	o.onData(out, nil, 480) // warm up
	if n := testing.AllocsPerRun(100, func() { o.onData(out, nil, 480) }); n != 0 {
		t.Errorf("%v allocations per callback, want 0", n)
	}
}

func TestAudioOutCloseLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	o, err := OpenAudioOutput(AudioOutputConfig{Null: true})
	if err != nil {
		t.Fatal(err)
	}
	var rec aoTapRec
	o.SetTap(rec.tap)
	o.Write(0, make([]float32, aoSamples(time.Second)))
	aoWaitFor(t, time.Second, "playback", func() bool { return rec.count() > 0 })
	start := time.Now()
	if err := o.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(start))
	if err := o.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	n := rec.count()
	o.Write(time.Second, make([]float32, 960)) // harmless after Close
	o.SetPaused(false)
	if _, ok := o.Clock(); ok {
		t.Error("Clock ok after Close")
	}
	time.Sleep(50 * time.Millisecond)
	if rec.count() != n {
		t.Error("the callback ran after Close returned")
	}
	leaktest.Check(t, before, time.Second)
}

func TestAudioOutDefaultBackend(t *testing.T) {
	start := time.Now()
	o, err := OpenAudioOutput(AudioOutputConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("OpenAudioOutput with the default backends: %v", err)
	}
	defer o.Close()
	t.Logf("backend %q, opened in %v", o.Backend(), time.Since(start))
	if !aoHasSound() && o.Backend() != "null" {
		t.Errorf("Backend() = %q on a machine without sound, want null", o.Backend())
	}
	o.Write(0, make([]float32, aoSamples(100*time.Millisecond)))
	aoWaitFor(t, time.Second, "samples to play", func() bool { return o.Stats().Played > 0 })
}

// aoHasSound says whether the machine may have a sound device or server.
func aoHasSound() bool {
	if os.Getenv("PULSE_SERVER") != "" {
		return true
	}
	if _, err := os.Stat("/dev/snd"); err == nil {
		return true
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "pulse", "native")); err == nil && os.Getenv("XDG_RUNTIME_DIR") != "" {
		return true
	}
	return runtime.GOOS != "linux"
}
