package peer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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
	log    LockedBuffer
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
	s.cmd.Env = append(CleanPulseEnv(), s.env...)
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

// Env is the environment for a client of this server: CleanPulseEnv with
// PULSE_SERVER and the daemon's directories; give it to a child process.
func (s *Pulse) Env() []string { return append(CleanPulseEnv(), s.env...) }

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

// Playback is a pacat playing into a sink.
type Playback struct {
	cmd    *exec.Cmd
	stderr LockedBuffer
	stop   chan struct{}
	fed    sync.WaitGroup
	once   sync.Once
}

// PlayTone plays a sine of hz at amplitude amp (0 to 1 of full scale; the
// same on both channels, s16le, 48 kHz) into sink with pacat at a 20 ms
// latency, for d at most (pacat paces it); Stop ends it sooner.
func (s *Pulse) PlayTone(sink string, hz, amp float64, d time.Duration) (*Playback, error) {
	p := &Playback{stop: make(chan struct{})}
	p.cmd = s.Command("pacat", "--playback", "--device="+sink, "--format=s16le",
		fmt.Sprintf("--rate=%d", PulseRate), "--channels=2", "--latency-msec=20", "--raw")
	in, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting pacat: %w", err)
	}
	p.fed.Add(1)
	go func() {
		defer p.fed.Done()
		defer in.Close()
		const block = PulseRate / 100
		total := int(d.Seconds() * PulseRate)
		buf := make([]byte, block*4)
		for i := 0; i < total; i += block {
			select {
			case <-p.stop:
				return
			default:
			}
			for j := 0; j < block; j++ {
				v := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i+j)/PulseRate)))
				binary.LittleEndian.PutUint16(buf[4*j:], uint16(v))
				binary.LittleEndian.PutUint16(buf[4*j+2:], uint16(v))
			}
			if _, err := in.Write(buf); err != nil {
				return
			}
		}
	}()
	return p, nil
}

// Stop kills pacat and waits for it; it may be called more than once.
func (p *Playback) Stop() {
	p.once.Do(func() {
		close(p.stop)
		_ = p.cmd.Process.Kill()
		p.fed.Wait()
		_ = p.cmd.Wait()
	})
}

// Stderr is what pacat printed.
func (p *Playback) Stderr() string { return p.stderr.String() }

// WarmSource records from source with pacat until 100 ms of audio has come,
// 5 s at most. A null sink delivers the first recording of its monitor
// after up to a second (its latency while it was idle); later ones start
// at once, so a test that times its capture warms the source first.
func (s *Pulse) WarmSource(source string) error {
	c := s.Command("pacat", "--record", "--device="+source, "--format=s16le",
		fmt.Sprintf("--rate=%d", PulseRate), "--channels=2", "--latency-msec=10", "--raw")
	out, err := c.StdoutPipe()
	if err != nil {
		return err
	}
	var errb LockedBuffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting pacat: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyN(io.Discard, out, PulseRate/10*4)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		err = errors.New("no audio within 5 s")
	}
	_ = c.Process.Kill()
	_ = c.Wait()
	if err != nil {
		return fmt.Errorf("recording %s: %w: %s\nlog:\n%s", source, err, errb.String(), s.Log())
	}
	return nil
}

// Log is what the daemon printed.
func (s *Pulse) Log() string { return s.log.String() }

// Stop kills the daemon and waits for it.
func (s *Pulse) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.waited
}

// CleanPulseEnv is this process's environment without the variables a
// developer's session may have set that would point a PulseAudio client
// or daemon elsewhere: the PULSE_* ones, the directories libpulse finds
// its cookie and client.conf in (HOME, XDG_*), the session bus, and
// DISPLAY (libpulse reads a server from the X11 root window); append
// "DISPLAY="+Xvfb.Display for a client that needs a display too.
func CleanPulseEnv() []string {
	return envWithout("PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH",
		"PULSE_COOKIE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "HOME", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY")
}
