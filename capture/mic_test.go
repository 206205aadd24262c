package capture

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/media"
	"onair/internal/peer"
	"onair/internal/testsignal"
)

// The capture tests talk to a PulseAudio daemon of their own (startPulse).
// libpulse finds its server through the process environment (PULSE_SERVER,
// and HOME/XDG_RUNTIME_DIR for its cookie and client.conf) when a context
// connects, and that environment is process-wide: os.Setenv in this process
// would leak into every other test and race with parallel ones. So the
// capture itself runs in a re-executed test binary (TestMicHelperProcess)
// started with the server's environment; it is the same discovery a user's
// session goes through (no server name is passed to miniaudio), and the
// parent only starts daemons and players and checks what the child
// captured.

// micHelperEnv names the output directory of a helper process; unset, the
// helper test does nothing.
const micHelperEnv = "ONAIR_MIC_HELPER"

// micHelperResult is what the helper process reports.
type micHelperResult struct {
	Devices  []Device
	ListErr  string
	Runs     []micRun
	NamedErr string
	// NamedNoDevice: NamedErr wraps ErrNoDevice.
	NamedNoDevice bool
}

// micRun is one capture by the helper.
type micRun struct {
	Label    string
	Device   Device
	Err      string
	NoDevice bool
	Rate     int
	Channels int
	// Start and Stop are stream times just before Start and just before
	// Close.
	Start, Stop time.Duration
	PTS         []time.Duration
	Counts      []int
	Samples     string // file of float32 LE, interleaved
	Blocks      int64
	Skipped     int64
	Reanchors   int64
	CloseTook   time.Duration
}

// TestMicHelperProcess is the capture half of the PulseAudio tests, run in
// a child process by runMicHelper; it does nothing in a normal test run.
func TestMicHelperProcess(t *testing.T) {
	dir := os.Getenv(micHelperEnv)
	if dir == "" {
		return
	}
	before := runtime.NumGoroutine()
	var res micHelperResult
	devs, err := ListAudioDevices(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	res.Devices = devs
	if err != nil {
		res.ListErr = err.Error()
	}
	mode := os.Getenv(micHelperEnv + "_MODE")
	switch mode {
	case "noserver":
		res.Runs = append(res.Runs, helperCapture(t, dir, "mic", MicConfig{}, 0))
		res.Runs = append(res.Runs, helperCapture(t, dir, "monitor", MicConfig{Monitor: true}, 0))
	default:
		res.Runs = append(res.Runs,
			helperCapture(t, dir, "monitor", MicConfig{Monitor: true}, 1500*time.Millisecond),
			helperCapture(t, dir, "mic", MicConfig{}, 600*time.Millisecond),
			helperCapture(t, dir, "named", MicConfig{Name: peer.PulseSink + ".monitor", SampleRate: 44100, Channels: 1}, 600*time.Millisecond))
		_, err := NewMic(MicConfig{Name: "no-such-device"})
		if err != nil {
			res.NamedErr, res.NamedNoDevice = err.Error(), errors.Is(err, ErrNoDevice)
		}
	}
	// A leak fails this process, and with it the parent test.
	leaktest.Check(t, before, time.Second)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// helperCapture opens cfg, captures for d and writes the samples to a
// file in dir.
func helperCapture(t *testing.T, dir, label string, cfg MicConfig, d time.Duration) micRun {
	clock := media.NewClock()
	cfg.Clock = clock
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("run", label)
	r := micRun{Label: label}
	m, err := NewMic(cfg)
	if err != nil {
		r.Err, r.NoDevice = err.Error(), errors.Is(err, ErrNoDevice)
		return r
	}
	r.Device = m.Device()
	r.Rate, r.Channels = m.Config().SampleRate, m.Config().Channels
	var mu sync.Mutex
	var samples []float32
	r.Start = clock.Now()
	if err := m.Start(func(f *media.AudioFrame) {
		mu.Lock()
		defer mu.Unlock()
		r.PTS = append(r.PTS, f.PTS)
		r.Counts = append(r.Counts, f.NumSamples())
		samples = append(samples, f.Samples...)
	}); err != nil {
		r.Err = err.Error()
		_ = m.Close()
		return r
	}
	time.Sleep(d)
	r.Stop = clock.Now()
	t0 := time.Now()
	_ = m.Close()
	r.CloseTook = time.Since(t0)
	r.Blocks, r.Skipped, r.Reanchors = m.Blocks(), m.Skipped(), m.Reanchors()
	mu.Lock()
	defer mu.Unlock()
	b := make([]byte, 4*len(samples))
	for i, v := range samples {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	r.Samples = filepath.Join(dir, label+".f32")
	if err := os.WriteFile(r.Samples, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// runMicHelper runs TestMicHelperProcess in a child with environment env
// (a whole one, as peer.Pulse.Env gives) and returns its result.
func runMicHelper(t *testing.T, env []string) micHelperResult {
	t.Helper()
	dir := t.TempDir()
	c := exec.Command(os.Args[0], "-test.run=^TestMicHelperProcess$", "-test.count=1", "-test.v")
	c.Env = append(env[:len(env):len(env)], micHelperEnv+"="+dir)
	out, err := c.CombinedOutput()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("helper process output:\n%s", out)
		}
	})
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatalf("helper process wrote no result: %v\n%s", err, out)
	}
	var res micHelperResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func readSamples(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float32, len(b)/4)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}

// TestMicCapturesPulseAudio is the real-capture test: its own PulseAudio
// daemon, pacat playing a 1000 Hz tone at -6 dBFS into a null sink, and a
// Mic on the sink's monitor (as `--audio monitor` opens it) capturing it;
// then the default microphone, and the
// monitor again by name at 44.1 kHz mono. Each must carry its tone at
// its frequency and level, with continuous PTS that match the wall clock.
// The "microphone" is a source remapped from a second null sink's monitor,
// which pacat plays 440 Hz at -12 dBFS into.
func TestMicCapturesPulseAudio(t *testing.T) {
	s := startPulse(t)
	playTone(t, s, peer.PulseSink, 1000, 0.5, 10*time.Second)
	playTone(t, s, peer.PulseMicSink, 440, 0.25, 10*time.Second)
	for _, src := range []string{peer.PulseSink + ".monitor", peer.PulseMic} {
		if err := s.WarmSource(src); err != nil {
			t.Fatal(err)
		}
	}
	res := runMicHelper(t, s.Env())

	// Devices.
	if res.ListErr != "" {
		t.Errorf("ListAudioDevices: %s", res.ListErr)
	}
	want := map[string]Device{
		peer.PulseMic:                  {Kind: KindMicrophone, Name: "OnAirMic", Default: true},
		peer.PulseSink + ".monitor":    {Kind: KindMonitor, Name: "Monitor of OnAirNull", Default: true},
		peer.PulseMicSink + ".monitor": {Kind: KindMonitor, Name: "Monitor of OnAirMicSink"},
	}
	for _, d := range res.Devices {
		w, ok := want[d.ID]
		if !ok {
			t.Errorf("unexpected device %+v", d)
			continue
		}
		delete(want, d.ID)
		if d.Kind != w.Kind || d.Default != w.Default || d.Name != w.Name || d.Detail != "2 ch, 48000 Hz" {
			t.Errorf("device %s: got %+v, want %+v with Detail \"2 ch, 48000 Hz\"", d.ID, d, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("devices missing from ListAudioDevices: %v (got %+v)", want, res.Devices)
	}
	if res.Devices[0].Kind != KindMicrophone {
		t.Errorf("microphones are not listed first: %+v", res.Devices)
	}
	// A device that does not exist.
	if !res.NamedNoDevice || !strings.Contains(res.NamedErr, "no-such-device") ||
		!strings.Contains(res.NamedErr, peer.PulseMic) || !strings.Contains(res.NamedErr, peer.PulseSink+".monitor") {
		t.Errorf("NewMic(Name: no-such-device): %q (ErrNoDevice: %v), want ErrNoDevice listing the devices", res.NamedErr, res.NamedNoDevice)
	}

	for _, tc := range []struct {
		label string
		id    string
		kind  DeviceKind
		hz    float64
		peak  float64 // dBFS
		rms   float64
	}{
		{"monitor", peer.PulseSink + ".monitor", KindMonitor, 1000, -6.02, -9.03},
		{"mic", peer.PulseMic, KindMicrophone, 440, -12.04, -15.05},
		{"named", peer.PulseSink + ".monitor", KindMonitor, 1000, -6.02, -9.03},
	} {
		t.Run(tc.label, func(t *testing.T) {
			var r *micRun
			for i := range res.Runs {
				if res.Runs[i].Label == tc.label {
					r = &res.Runs[i]
				}
			}
			if r == nil || r.Err != "" {
				t.Fatalf("capture failed: %+v", r)
			}
			if r.Device.ID != tc.id || r.Device.Kind != tc.kind || r.Device.Detail != "pulseaudio" {
				t.Errorf("device %+v, want %s (%v) on pulseaudio", r.Device, tc.id, tc.kind)
			}
			checkMicRun(t, r, readSamples(t, r.Samples), tc.hz, tc.peak, tc.rms)
		})
	}
}

// checkMicRun checks a capture's timing, its tone and level.
func checkMicRun(t *testing.T, r *micRun, s []float32, hz, peak, rms float64) {
	t.Helper()
	if len(r.PTS) == 0 {
		t.Fatal("no block captured")
	}
	total := 0
	for _, n := range r.Counts {
		total += n
	}
	if len(s) != total*r.Channels {
		t.Fatalf("%d samples for %d sample instants of %d channels", len(s), total, r.Channels)
	}
	got := testsignal.SampleOffset(int64(total), r.Rate)
	span := r.Stop - r.Start
	t.Logf("%d blocks (first %d samples), %v of audio in %v; first PTS %v after Start; skipped %d, re-anchored %d; Close took %v",
		len(r.PTS), r.Counts[0], got, span, r.PTS[0]-r.Start, r.Skipped, r.Reanchors, r.CloseTook)
	// The audio delivered covers the time it ran (less start-up, less what
	// was in flight at Close).
	if got < span-300*time.Millisecond || got > span+50*time.Millisecond {
		t.Errorf("captured %v of audio in %v", got, span)
	}
	// PTS: continuous, from the first sample's capture time on.
	for i := 1; i < len(r.PTS); i++ {
		want := r.PTS[i-1] + testsignal.SampleOffset(int64(r.Counts[i-1]), r.Rate)
		if d := r.PTS[i] - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("block %d: PTS %v, want %v (continuing block %d)", i, r.PTS[i], want, i-1)
			break
		}
	}
	if r.PTS[0] < r.Start-50*time.Millisecond || r.PTS[0] > r.Start+400*time.Millisecond {
		t.Errorf("first PTS %v, Start at %v", r.PTS[0], r.Start)
	}
	end := r.PTS[len(r.PTS)-1] + testsignal.SampleOffset(int64(r.Counts[len(r.Counts)-1]), r.Rate)
	if end > r.Stop+r.CloseTook+5*time.Millisecond || end < r.Stop-150*time.Millisecond {
		t.Errorf("last sample captured at %v by its PTS, Close called at %v", end, r.Stop)
	}
	if r.Reanchors != 0 || r.Skipped != 0 {
		t.Errorf("re-anchored %d times, skipped %d blocks: want none", r.Reanchors, r.Skipped)
	}
	if r.CloseTook > time.Second {
		t.Errorf("Close took %v", r.CloseTook)
	}
	// The tone, after the first 100 ms (the monitor's stream start-up).
	skip := r.Rate / 10 * r.Channels
	if len(s) < skip+r.Rate/4*r.Channels {
		t.Fatalf("only %d samples", len(s))
	}
	s = s[skip:]
	if f := dominantHz(s, r.Channels, 0, r.Rate, 50, 4000); math.Abs(f-hz) > 2 {
		t.Errorf("dominant frequency %.2f Hz, want %.0f ± 2 Hz", f, hz)
	} else {
		t.Logf("dominant frequency %.2f Hz", f)
	}
	p, q := levelsDBFS(s)
	t.Logf("peak %.2f dBFS, RMS %.2f dBFS", p, q)
	if math.Abs(p-peak) > 1 || math.Abs(q-rms) > 1 {
		t.Errorf("peak %.2f dBFS, RMS %.2f dBFS; want %.2f and %.2f ± 1 dB", p, q, peak, rms)
	}
}

// TestMicNoSoundServer: with no server to talk to (and no sound card),
// NewMic and ListAudioDevices fail with ErrNoDevice and say why.
func TestMicNoSoundServer(t *testing.T) {
	if _, err := os.Stat("/dev/snd"); err == nil {
		t.Log("this machine has a sound card: ALSA may answer, checking only that nothing hangs")
	}
	dir := t.TempDir()
	res := runMicHelperMode(t, "noserver", append(peer.CleanPulseEnv(),
		"HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_SERVER=unix:"+filepath.Join(dir, "none"),
	))
	if _, err := os.Stat("/dev/snd"); err == nil {
		return
	}
	if res.ListErr == "" || !strings.Contains(res.ListErr, noSoundServer) || !strings.Contains(res.ListErr, "no monitor found") {
		t.Errorf("ListAudioDevices: %q, want %q and a monitor reason", res.ListErr, noSoundServer)
	}
	for _, r := range res.Runs {
		want := noSoundServer
		if r.Label == "monitor" {
			want = noMonitorServer
		}
		if !r.NoDevice || !strings.Contains(r.Err, want) {
			t.Errorf("%s: NewMic: %q (ErrNoDevice: %v), want ErrNoDevice saying %q", r.Label, r.Err, r.NoDevice, want)
		}
	}
}

func runMicHelperMode(t *testing.T, mode string, env []string) micHelperResult {
	t.Helper()
	return runMicHelper(t, append(env, micHelperEnv+"_MODE="+mode))
}

func TestMicConfigErrors(t *testing.T) {
	for _, cfg := range []MicConfig{
		{SampleRate: 4000},
		{SampleRate: 400000},
		{Channels: 9},
		{Channels: -1},
		{Period: time.Millisecond},
		{Period: time.Second},
		{Queue: -1},
	} {
		if _, err := NewMic(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("NewMic(%+v): %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

// TestStamper drives the PTS estimate with callback times as a device
// gives them: jittered, late and bursting, with lost samples, and early.
func TestStamper(t *testing.T) {
	const rate, n = 48000, 480 // 10 ms blocks
	block := 10 * time.Millisecond
	newS := func() *stamper { return &stamper{rate: rate, limit: MicReanchor, lateFor: micLateFor} }

	t.Run("jitter keeps PTS continuous", func(t *testing.T) {
		s := newS()
		for i := 0; i < 500; i++ {
			jitter := time.Duration((i*7919)%13) * time.Millisecond // 0..12 ms late
			pts, jumped, _ := s.stamp(time.Second+time.Duration(i+1)*block+jitter, n)
			if want := time.Second + time.Duration(i)*block; pts != want || jumped {
				t.Fatalf("block %d: pts %v (jumped %v), want %v", i, pts, jumped, want)
			}
		}
	})
	t.Run("a late callback and its catch-up burst do not re-anchor", func(t *testing.T) {
		s := newS()
		now := time.Second
		for i := 0; i < 300; i++ {
			now += block
			at := now
			if i >= 100 && i < 120 { // stalled 200 ms, then the 20 blocks at once
				at = time.Second + 120*block + time.Duration(i-100)*time.Microsecond
			}
			if _, jumped, _ := s.stamp(at, n); jumped {
				t.Fatalf("block %d re-anchored", i)
			}
		}
	})
	t.Run("lost samples re-anchor after lateFor", func(t *testing.T) {
		s := newS()
		lost := 100 * time.Millisecond
		jumps := 0
		var last time.Duration
		for i := 0; i < 200; i++ {
			at := time.Second + time.Duration(i+1)*block
			if i >= 50 {
				at += lost
			}
			pts, jumped, _ := s.stamp(at, n)
			if jumped {
				jumps++
				if i < 50+int(micLateFor/block)-1 {
					t.Errorf("re-anchored at block %d, before %v of late audio", i, micLateFor)
				}
			}
			last = pts
		}
		if want := time.Second + 199*block + lost; jumps != 1 || last != want {
			t.Errorf("%d re-anchors, last pts %v; want 1 and %v", jumps, last, want)
		}
	})
	t.Run("a count ahead of the capture time re-anchors at once", func(t *testing.T) {
		s := newS()
		s.stamp(time.Second, n) // first callback 100 ms late
		s.stamp(time.Second+block, n)
		pts, jumped, _ := s.stamp(time.Second-100*time.Millisecond+3*block, n)
		if want := time.Second - 100*time.Millisecond + 2*block; !jumped || pts != want {
			t.Errorf("pts %v, jumped %v; want %v, true", pts, jumped, want)
		}
	})
}
