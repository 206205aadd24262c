package capture

import (
	"errors"
	"strings"
	"testing"

	"github.com/gen2brain/malgo"
)

func TestDeviceIDString(t *testing.T) {
	var id malgo.DeviceID
	copy(id[:], "alsa_input.pci-0000_00_1f.3.analog-stereo")
	if got := deviceIDString(id); got != "alsa_input.pci-0000_00_1f.3.analog-stereo" {
		t.Errorf("pulse ID: %q", got)
	}
	var bin malgo.DeviceID
	bin[0], bin[1] = 0x01, 0xfe
	if got := deviceIDString(bin); got != "x01fe" {
		t.Errorf("binary ID: %q, want x01fe", got)
	}
}

func TestFormatDetail(t *testing.T) {
	for _, tc := range []struct {
		fs   []malgo.DataFormat
		want string
	}{
		{nil, ""},
		{[]malgo.DataFormat{{Channels: 2, SampleRate: 44100}}, "2 ch, 44100 Hz"},
		{[]malgo.DataFormat{{Channels: 1, SampleRate: 48000}, {Format: 5, Channels: 1, SampleRate: 48000}, {Channels: 2, SampleRate: 48000}},
			"1 ch, 48000 Hz; 2 ch, 48000 Hz"},
		{[]malgo.DataFormat{{Channels: 2}}, "2 ch"},
	} {
		if got := formatDetail(tc.fs); got != tc.want {
			t.Errorf("formatDetail(%v) = %q, want %q", tc.fs, got, tc.want)
		}
	}
}

// TestChooseDevice covers the choice NewMic makes, on device lists as
// PulseAudio and ALSA give them.
func TestChooseDevice(t *testing.T) {
	pulse := &audioSystem{backend: soundServerBackend, caps: []audioCapture{
		{id: "hdmi.monitor", name: "Monitor of HDMI", monitor: true},
		{id: "usb_mic", name: "USB Microphone"},
		{id: "speakers.monitor", name: "Monitor of Speakers", monitor: true, ofDefaultSink: true},
		{id: "builtin_mic", name: "Built-in Audio Analog Stereo", isDefault: true},
	}}
	onlyMonitors := &audioSystem{backend: soundServerBackend, caps: []audioCapture{
		{id: "a.monitor", name: "Monitor of A", monitor: true, isDefault: true},
		{id: "b.monitor", name: "Monitor of B", monitor: true},
	}}
	empty := &audioSystem{backend: soundServerBackend}
	alsa := &audioSystem{backend: "alsa", caps: []audioCapture{
		{id: "hw:0,0", name: "HDA Intel PCH"},
		{id: "default", name: "Default Capture Device", isDefault: true},
	}}
	for _, tc := range []struct {
		what    string
		sys     *audioSystem
		name    string
		monitor bool
		want    string // chosen ID, or "" for ErrNoDevice
		errHas  []string
	}{
		{"default mic", pulse, "", false, "builtin_mic", nil},
		{"default monitor", pulse, "", true, "speakers.monitor", nil},
		{"by ID", pulse, "usb_mic", false, "usb_mic", nil},
		{"by name", pulse, "USB Microphone", false, "usb_mic", nil},
		{"by name, any case", pulse, "usb microphone", false, "usb_mic", nil},
		{"a monitor by ID", pulse, "hdmi.monitor", false, "hdmi.monitor", nil},
		{"a name wins over Monitor", pulse, "usb_mic", true, "usb_mic", nil},
		{"missing name", pulse, "nope", false, "", []string{`"nope"`, "offers 4", "usb_mic (\"USB Microphone\")", "hdmi.monitor"}},
		{"first monitor when none is the default output's", onlyMonitors, "", true, "a.monitor", nil},
		{"no mic among monitors", onlyMonitors, "", false, "", []string{noMicOnlyMonitors, "a.monitor"}},
		{"server with nothing", empty, "", false, "", []string{noCaptureOnServer}},
		{"server with nothing, monitor", empty, "", true, "", []string{noMonitorSource}},
		{"server with nothing, named", empty, "x", false, "", []string{`"x"`, "offers none"}},
		{"ALSA default", alsa, "", false, "default", nil},
		{"ALSA by ID", alsa, "hw:0,0", false, "hw:0,0", nil},
		{"ALSA has no monitor", alsa, "", true, "", []string{noMonitorALSA}},
	} {
		c, err := tc.sys.choose(tc.name, tc.monitor)
		if tc.want != "" {
			if err != nil || c.id != tc.want {
				t.Errorf("%s: got %q, %v; want %q", tc.what, c.id, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, ErrNoDevice) {
			t.Errorf("%s: got %q, %v; want ErrNoDevice", tc.what, c.id, err)
			continue
		}
		for _, s := range tc.errHas {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", tc.what, err, s)
			}
		}
	}
}

// TestAudioReasonsSortByKind: each reason names its kind the way app's
// device list files them (microphone reasons say "microphone", monitor
// reasons "monitor" and never "microphone" or "sound server").
func TestAudioReasonsSortByKind(t *testing.T) {
	for _, r := range []string{noSoundServer, noMicOnlyMonitors, noCaptureOnServer} {
		if !strings.Contains(r, "microphone") {
			t.Errorf("%q does not say microphone", r)
		}
	}
	for _, r := range []string{noMonitorServer, noMonitorALSA, noMonitorSource} {
		if !strings.Contains(r, "monitor") || strings.Contains(r, "microphone") || strings.Contains(r, "sound server") {
			t.Errorf("%q: want monitor, and neither microphone nor sound server", r)
		}
	}
}
