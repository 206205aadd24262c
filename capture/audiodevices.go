package capture

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/gen2brain/malgo"

	"onair/internal/audiodev"
	"onair/internal/logx"
)

// Why no audio capture device was found, in words that ListAudioDevices,
// NewMic and `onair devices` show. The microphone reasons mention the
// "sound server", the monitor ones "monitor" but never "microphone", so
// that a reader (app's device list) can tell which heading each belongs to.
const (
	noSoundServer      = "no microphone found: no sound server (PulseAudio/PipeWire) and no ALSA capture device"
	noMonitorServer    = "no monitor found: desktop audio needs PulseAudio or PipeWire, and none is running"
	noMonitorALSA      = "no monitor found: desktop audio needs PulseAudio or PipeWire; ALSA offers no monitor of its outputs"
	noMonitorSource    = "no monitor found: PulseAudio/PipeWire offers no monitor of an output"
	noMicOnlyMonitors  = "no microphone found: the sound server offers only monitors of its outputs (desktop audio: use monitor)"
	noCaptureOnServer  = "no microphone found: the sound server offers no capture device"
	soundServerBackend = "pulseaudio"
)

// ListAudioDevices lists the audio capture devices: microphones
// (KindMicrophone) and, on PulseAudio or PipeWire, the monitors of the
// outputs (KindMonitor, "Monitor of …": what the desktop plays). ID is what
// MicConfig.Name (mic:ID) takes — the sound server's source name, e.g.
// "alsa_input.usb-….analog-stereo" or "alsa_output.….monitor", or an ALSA
// device name such as "hw:0,0" when no sound server runs; Name is the
// description a person reads; Detail the native channels and rate when the
// server reports them ("2 ch, 44100 Hz"). Default marks the microphone
// NewMic opens with no Name and the monitor it opens with Monitor set (that
// of the default output).
//
// The sound server (PulseAudio, or PipeWire through its PulseAudio
// service) is asked first; ALSA only when none runs and the machine has a
// sound card (/dev/snd). When nothing is found the error wraps ErrNoDevice
// and says why for each kind, e.g. "no microphone found: no sound server
// (PulseAudio/PipeWire) and no ALSA capture device; no monitor found: …".
func ListAudioDevices(log *slog.Logger) ([]Device, error) {
	log = logx.OrDiscard(log)
	sys, problem := openAudioSystem(log)
	if sys == nil {
		return nil, fmt.Errorf("%w: %s; %s", ErrNoDevice, problem, noMonitorServer)
	}
	defer sys.close()
	mic, micErr := sys.choose("", false)
	mon, monErr := sys.choose("", true)
	var devs []Device
	for _, c := range sys.caps {
		d := Device{Kind: KindMicrophone, ID: c.id, Name: c.name, Detail: sys.detail(c)}
		if c.monitor {
			d.Kind = KindMonitor
			d.Default = monErr == nil && c.id == mon.id
		} else {
			d.Default = micErr == nil && c.id == mic.id
		}
		devs = append(devs, d)
	}
	// Microphones first, then monitors; each in the server's order.
	sort.SliceStable(devs, func(i, j int) bool { return devs[i].Kind < devs[j].Kind })
	if len(devs) == 0 {
		mp := noCaptureOnServer
		if sys.backend != soundServerBackend {
			mp = noSoundServer
		}
		return nil, fmt.Errorf("%w: %s; %s", ErrNoDevice, mp, monitorProblem(sys.backend))
	}
	return devs, nil
}

// audioSystem is an open miniaudio context on the sound server or ALSA,
// with the capture devices it offers.
type audioSystem struct {
	ctx     *malgo.AllocatedContext
	backend string // "pulseaudio" or "alsa"
	caps    []audioCapture
	log     *slog.Logger
}

// audioCapture is one capture device of an audioSystem.
type audioCapture struct {
	info malgo.DeviceInfo
	// id selects it (mic:ID); name is its description.
	id, name string
	// monitor: it is the sound server's monitor of an output.
	monitor bool
	// isDefault: the server's (or ALSA's) default capture device.
	isDefault bool
	// ofDefaultSink: the monitor of the default output.
	ofDefaultSink bool
}

// openAudioSystem opens the first audio system that answers: PulseAudio
// (which PipeWire also serves), then ALSA when /dev/snd exists (without a
// card ALSA can only fail, and libasound prints its errors to stderr). With
// neither it returns nil and the reason. On PulseAudio a server with no
// capture device is still returned (its caps empty).
func openAudioSystem(log *slog.Logger) (*audioSystem, string) {
	sys, err := openBackend(malgo.BackendPulseaudio, log)
	if err == nil {
		return sys, ""
	}
	log.Debug("no sound server", "err", err)
	if !audiodev.HasSoundCard() {
		log.Debug("no ALSA sound card")
		return nil, noSoundServer
	}
	sys, err = openBackend(malgo.BackendAlsa, log)
	if err != nil {
		log.Debug("ALSA unusable", "err", err)
		return nil, noSoundServer
	}
	if len(sys.caps) == 0 {
		sys.close()
		return nil, noSoundServer
	}
	return sys, ""
}

// openBackend makes a context on backend b and lists its capture devices
// (and, on PulseAudio, which monitor belongs to the default output).
func openBackend(b malgo.Backend, log *slog.Logger) (*audioSystem, error) {
	name := audiodev.Name(b)
	blog := log.With("backend", name)
	ctx, err := audiodev.Open(b, blog)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sys := &audioSystem{ctx: ctx, backend: name, log: blog}
	infos, err := ctx.Devices(malgo.Capture)
	if err != nil {
		sys.close()
		return nil, fmt.Errorf("%s: listing capture devices: %w", name, err)
	}
	defaultSink := ""
	if b == malgo.BackendPulseaudio {
		if outs, err := ctx.Devices(malgo.Playback); err == nil {
			for _, o := range outs {
				if o.IsDefault != 0 {
					defaultSink = deviceIDString(o.ID)
				}
			}
		}
	}
	for _, info := range infos {
		c := audioCapture{info: info, id: deviceIDString(info.ID), name: info.Name(), isDefault: info.IsDefault != 0}
		if c.name == "" {
			c.name = c.id
		}
		if b == malgo.BackendPulseaudio {
			c.monitor = strings.HasSuffix(c.id, ".monitor") || strings.HasPrefix(c.name, "Monitor of ")
			c.ofDefaultSink = c.monitor && defaultSink != "" && c.id == defaultSink+".monitor"
		}
		sys.caps = append(sys.caps, c)
	}
	return sys, nil
}

func (s *audioSystem) close() {
	_ = audiodev.Close(s.ctx)
	s.ctx = nil
}

// choose picks the capture device for name and monitor as MicConfig
// documents: by ID or name when name is set; else the monitor of the
// default output (or the first monitor); else the default microphone, or
// the first that is not a monitor. The error wraps ErrNoDevice and says
// what exists.
func (s *audioSystem) choose(name string, monitor bool) (audioCapture, error) {
	if name != "" {
		for _, match := range []func(c audioCapture) bool{
			func(c audioCapture) bool { return c.id == name },
			func(c audioCapture) bool { return c.name == name },
			func(c audioCapture) bool { return strings.EqualFold(c.name, name) || strings.EqualFold(c.id, name) },
		} {
			for _, c := range s.caps {
				if match(c) {
					return c, nil
				}
			}
		}
		if len(s.caps) == 0 {
			return audioCapture{}, fmt.Errorf("%w: no audio capture device %q: %s offers none", ErrNoDevice, name, s.backend)
		}
		return audioCapture{}, fmt.Errorf("%w: no audio capture device %q; %s offers %d: %s",
			ErrNoDevice, name, s.backend, len(s.caps), s.list())
	}
	if monitor {
		if s.backend != soundServerBackend {
			return audioCapture{}, fmt.Errorf("%w: %s", ErrNoDevice, noMonitorALSA)
		}
		first := -1
		for i, c := range s.caps {
			if c.ofDefaultSink {
				return c, nil
			}
			if c.monitor && first < 0 {
				first = i
			}
		}
		if first < 0 {
			return audioCapture{}, fmt.Errorf("%w: %s", ErrNoDevice, noMonitorSource)
		}
		return s.caps[first], nil
	}
	first := -1
	for i, c := range s.caps {
		if c.monitor {
			continue
		}
		if c.isDefault {
			return c, nil
		}
		if first < 0 {
			first = i
		}
	}
	switch {
	case first >= 0:
		return s.caps[first], nil
	case len(s.caps) > 0:
		return audioCapture{}, fmt.Errorf("%w: %s: %s", ErrNoDevice, noMicOnlyMonitors, s.list())
	case s.backend == soundServerBackend:
		return audioCapture{}, fmt.Errorf("%w: %s", ErrNoDevice, noCaptureOnServer)
	}
	return audioCapture{}, fmt.Errorf("%w: %s", ErrNoDevice, noSoundServer)
}

// list is the capture devices for an error message: `id ("name")`, …
func (s *audioSystem) list() string {
	parts := make([]string, 0, len(s.caps))
	for _, c := range s.caps {
		if c.name != c.id {
			parts = append(parts, fmt.Sprintf("%s (%q)", c.id, c.name))
		} else {
			parts = append(parts, c.id)
		}
	}
	return strings.Join(parts, ", ")
}

// detail asks the backend for c's native formats: "2 ch, 44100 Hz", or ""
// when it does not say.
func (s *audioSystem) detail(c audioCapture) string {
	info, err := s.ctx.DeviceInfo(malgo.Capture, c.info.ID, malgo.Shared)
	if err != nil {
		s.log.Debug("no device details", "device", c.id, "err", err)
		return ""
	}
	return formatDetail(info.Formats)
}

// formatDetail summarises native formats, each distinct channel count and
// rate once: "2 ch, 44100 Hz", "1 ch, 48000 Hz; 2 ch, 48000 Hz". A rate of
// 0 (any) is left out.
func formatDetail(fs []malgo.DataFormat) string {
	var parts []string
	seen := map[string]bool{}
	for _, f := range fs {
		var p string
		switch {
		case f.Channels > 0 && f.SampleRate > 0:
			p = fmt.Sprintf("%d ch, %d Hz", f.Channels, f.SampleRate)
		case f.Channels > 0:
			p = fmt.Sprintf("%d ch", f.Channels)
		case f.SampleRate > 0:
			p = fmt.Sprintf("%d Hz", f.SampleRate)
		default:
			continue
		}
		if !seen[p] {
			seen[p] = true
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// monitorProblem is why a backend offers no monitor.
func monitorProblem(backend string) string {
	if backend == soundServerBackend {
		return noMonitorSource
	}
	return noMonitorALSA
}

// deviceIDString is a miniaudio device ID as mic:ID takes it: on
// PulseAudio and ALSA the ID is the device's name as text (NUL-padded);
// an ID that is not printable text is shown in hex.
func deviceIDString(id malgo.DeviceID) string {
	n := 0
	for n < len(id) && id[n] != 0 {
		n++
	}
	printable := n > 0
	for _, b := range id[:n] {
		if b < 0x20 || b > 0x7e {
			printable = false
			break
		}
	}
	if printable {
		return string(id[:n])
	}
	return "x" + id.String()
}
