package peer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Pulse is a PulseAudio daemon of a test's own, on a socket in its own
// directory: a null sink (PulseSink, the default output, so its monitor is
// the default monitor) and a microphone (PulseMic, the default source):
// the monitor of a second null sink (PulseMicSink), remapped into a source
// that is not a monitor, so that a test plays into PulseMicSink what the
// "microphone" hears. (PulseAudio's module-sine-source delivers its
// samples in rare large bursts to a low-latency client: no good as a
// microphone.)
//
// It runs in user mode as whatever user the test is (root in CI):
// `pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit
// --use-pid-file=no -F script`, with HOME, XDG_CONFIG_HOME,
// PULSE_RUNTIME_PATH and PULSE_STATE_PATH in dir. As root it warns and
// runs; --system is not needed.
type Pulse struct {
	dir    string
	socket string
	env    []string
	cmd    *exec.Cmd
	log    lockedBuffer
	waited chan struct{}
}

// The devices of a Pulse server.
const (
	PulseSink    = "onair_null"
	PulseMicSink = "onair_micsink"
	PulseMic     = "onair_mic"
	PulseRate    = 48000
)

// StartPulse starts a daemon in dir (which must exist); it returns once
// the server answers.
func StartPulse(dir string) (*Pulse, error) {
	for _, p := range [][2]string{{"pulseaudio", "pulseaudio"}, {"pactl", "pulseaudio-utils"}, {"pacat", "pulseaudio-utils"}} {
		if _, err := Require(p[0], p[1]); err != nil {
			return nil, err
		}
	}
	s := &Pulse{dir: dir, socket: filepath.Join(dir, "native"), waited: make(chan struct{})}
	script := fmt.Sprintf(`load-module module-null-sink sink_name=%[1]s rate=%[4]d sink_properties=device.description=OnAirNull
load-module module-null-sink sink_name=%[2]s rate=%[4]d sink_properties=device.description=OnAirMicSink
load-module module-remap-source source_name=%[3]s master=%[2]s.monitor source_properties=device.description=OnAirMic
load-module module-native-protocol-unix socket=%[5]s auth-anonymous=1
set-default-sink %[1]s
set-default-source %[3]s
`, PulseSink, PulseMicSink, PulseMic, PulseRate, s.socket)
	conf := filepath.Join(dir, "onair.pa")
	if err := os.WriteFile(conf, []byte(script), 0o600); err != nil {
		return nil, err
	}
	s.env = []string{
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_RUNTIME_DIR=" + dir,
		"PULSE_RUNTIME_PATH=" + filepath.Join(dir, "run"),
		"PULSE_STATE_PATH=" + filepath.Join(dir, "state"),
	}
	s.cmd = exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
		"--use-pid-file=no", "--log-target=stderr", "-F", conf)
	s.cmd.Dir = dir
	// The daemon must not see PULSE_SERVER (it would take itself for a client).
	s.cmd.Env = append(cleanPulseEnv(), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting pulseaudio: %w", err)
	}
	s.env = append(s.env, "PULSE_SERVER=unix:"+s.socket)
	go func() { _ = s.cmd.Wait(); close(s.waited) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := s.Command("pactl", "info").CombinedOutput()
		if err == nil && bytes.Contains(out, []byte("Default Sink: "+PulseSink)) {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("pulseaudio did not answer within 5 s: %v: %s\nlog:\n%s", err, out, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Env is what a client of this server needs on top of the environment
// (PULSE_SERVER and the directories); give it to a child process.
func (s *Pulse) Env() []string { return append(cleanPulseEnv(), s.env...) }

// Command is a client program talking to this server.
func (s *Pulse) Command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = s.Env()
	c.Dir = s.dir
	return c
}

// Play plays a raw file (s16le, 48 kHz, stereo) into sink with pacat, at
// its pace; Kill the command to stop it.
func (s *Pulse) Play(sink, raw string) (*exec.Cmd, error) {
	c := s.Command("pacat", "--playback", "--device="+sink, "--format=s16le", fmt.Sprintf("--rate=%d", PulseRate),
		"--channels=2", "--raw", raw)
	return c, c.Start()
}

// Log is what the daemon printed.
func (s *Pulse) Log() string { return s.log.String() }

// Stop kills the daemon and waits for it.
func (s *Pulse) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.waited
}

// cleanPulseEnv is the environment without the sound-server variables a
// developer's session may have set.
func cleanPulseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH",
			"PULSE_COOKIE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME":
			continue
		}
		env = append(env, kv)
	}
	return env
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
