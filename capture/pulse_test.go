package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// pulseServer is a PulseAudio daemon of a test's own, on a socket in the
// test's temporary directory, with two null sinks: pulseSink, the default
// output (so its monitor is the default monitor), and pulseMicSink, whose
// monitor is remapped into pulseMic, a source that is not a monitor and is
// the default microphone (what a test plays into pulseMicSink is what the
// "microphone" hears). (module-sine-source would be simpler, but it
// delivers its samples in bursts of its 2 s latency.)
//
// It runs in user mode as whatever user the test is (root in CI):
// `pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit
// --use-pid-file=no -F <script>`, with HOME, XDG_CONFIG_HOME,
// PULSE_RUNTIME_PATH and PULSE_STATE_PATH in the temporary directory. As
// root it warns ("This program is not intended to be run as root") and
// runs; --system is not needed (it would drop to the pulse user, want the
// system socket and refuse module loading).
type pulseServer struct {
	dir    string
	socket string
	// env is what a client of this server needs (PULSE_SERVER and the
	// directories), on top of the test's own environment.
	env []string
	cmd *exec.Cmd
	log *syncBuffer
}

const (
	pulseSink    = "onair_null"
	pulseMicSink = "onair_micsink"
	pulseMic     = "onair_mic"
	pulseRate    = 48000
)

// requirePulse fails t when PulseAudio's daemon or its client tools are
// missing: the capture tests need them, they never skip.
func requirePulse(t *testing.T) {
	t.Helper()
	for _, p := range []string{"pulseaudio", "pacat", "pactl"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s is not installed: run `make deps` (or `apt-get install pulseaudio pulseaudio-utils`): %v", p, err)
		}
	}
}

// startPulse starts a pulseServer and stops it when t ends.
func startPulse(t *testing.T) *pulseServer {
	t.Helper()
	requirePulse(t)
	dir := t.TempDir()
	s := &pulseServer{dir: dir, socket: filepath.Join(dir, "native"), log: &syncBuffer{}}
	script := fmt.Sprintf(`load-module module-null-sink sink_name=%[1]s rate=%[4]d sink_properties=device.description=OnAirNull
load-module module-null-sink sink_name=%[2]s rate=%[4]d sink_properties=device.description=OnAirMicSink
load-module module-remap-source source_name=%[3]s master=%[2]s.monitor source_properties=device.description=OnAirMic
load-module module-native-protocol-unix socket=%[5]s auth-anonymous=1
set-default-sink %[1]s
set-default-source %[3]s
`, pulseSink, pulseMicSink, pulseMic, pulseRate, s.socket)
	conf := filepath.Join(dir, "onair.pa")
	if err := os.WriteFile(conf, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	s.env = []string{
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + dir,
		"PULSE_RUNTIME_PATH=" + filepath.Join(dir, "run"),
		"PULSE_STATE_PATH=" + filepath.Join(dir, "state"),
		"PULSE_SERVER=unix:" + s.socket,
	}
	s.cmd = exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
		"--use-pid-file=no", "--log-target=stderr", "-F", conf)
	s.cmd.Dir = dir
	// The daemon must not see PULSE_SERVER (it would take itself for a client).
	s.cmd.Env = append(cleanEnv(), s.env[:len(s.env)-1]...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting pulseaudio: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		if t.Failed() {
			t.Logf("pulseaudio log:\n%s", s.log.String())
		}
	})
	// Ready when pactl gets an answer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := s.command("pactl", "info").CombinedOutput()
		if err == nil && bytes.Contains(out, []byte("Default Sink: "+pulseSink)) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not answer within 5 s: %v: %s\nlog:\n%s", err, out, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// command is a client program talking to this server.
func (s *pulseServer) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = append(cleanEnv(), s.env...)
	c.Dir = s.dir
	return c
}

// playTone plays a sine of hz at amplitude amp (stereo, 48 kHz, s16) into
// sink with pacat, for at most d, and stops when t ends.
func (s *pulseServer) playTone(t *testing.T, sink string, hz, amp float64, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := s.command("pacat", "--playback", "--device="+sink, "--format=s16le",
		fmt.Sprintf("--rate=%d", pulseRate), "--channels=2", "--latency-msec=20", "--raw")
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut syncBuffer
	c.Stderr = &errOut
	if err := c.Start(); err != nil {
		t.Fatalf("starting pacat: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // pacat paces the writes
		defer wg.Done()
		defer in.Close()
		total := int(d.Seconds() * pulseRate)
		buf := make([]byte, 480*4)
		for i := 0; i < total && ctx.Err() == nil; i += 480 {
			for j := 0; j < 480; j++ {
				v := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i+j)/pulseRate)))
				binary.LittleEndian.PutUint16(buf[4*j:], uint16(v))
				binary.LittleEndian.PutUint16(buf[4*j+2:], uint16(v))
			}
			if _, err := in.Write(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		_ = c.Process.Kill()
		wg.Wait()
		_ = c.Wait()
		if t.Failed() && errOut.Len() > 0 {
			t.Logf("pacat: %s", errOut.String())
		}
	})
}

// warmSource records from source with pacat until 100 ms of audio has come
// (at most 5 s). The null sink delivers the first recording of its
// monitor after up to a second (its latency while it was idle); later ones
// start at once.
func (s *pulseServer) warmSource(t *testing.T, source string) {
	t.Helper()
	c := s.command("pacat", "--record", "--device="+source, "--format=s16le",
		fmt.Sprintf("--rate=%d", pulseRate), "--channels=2", "--latency-msec=10", "--raw")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("starting pacat: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, out, pulseRate/10*4)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		err = fmt.Errorf("no audio within 5 s")
	}
	_ = c.Process.Kill()
	_ = c.Wait()
	if err != nil {
		t.Fatalf("recording %s: %v\nlog:\n%s", source, err, s.log.String())
	}
}

// cleanEnv is the test's environment without the variables that would
// point a PulseAudio client or daemon elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PULSE_SERVER", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH", "PULSE_COOKIE", "HOME",
			"XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// syncBuffer is a bytes.Buffer safe for a child's stdout and stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

var _ io.Writer = (*syncBuffer)(nil)

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
