package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"onair/capture"
)

// runDevices is `onair devices`: the cameras, screens, microphones and
// monitors (desktop audio) this machine offers, with the spec that selects
// each in `onair live --video/--audio`.
func runDevices(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the list as JSON")
	logLevel := fs.String("log-level", "warn", "log level on stderr: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair devices [--json]")
		fs.PrintDefaults()
	}
	if stop, err := parseFlags(fs, args); stop {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	var devs []capture.Device
	var why []string
	for _, list := range []func() ([]capture.Device, error){
		func() ([]capture.Device, error) { return capture.ListVideoDevices(log) },
		func() ([]capture.Device, error) { return capture.ListAudioDevices(log) },
	} {
		d, err := list()
		if err != nil && !errors.Is(err, capture.ErrNoDevice) {
			return err
		}
		if err != nil {
			why = append(why, strings.TrimPrefix(err.Error(), capture.ErrNoDevice.Error()+": "))
		}
		devs = append(devs, d...)
	}
	if *asJSON {
		type jd struct {
			Kind    string `json:"kind"`
			Spec    string `json:"spec"`
			Name    string `json:"name"`
			Default bool   `json:"default,omitempty"`
			Detail  string `json:"detail,omitempty"`
		}
		out := struct {
			Devices []jd     `json:"devices"`
			Missing []string `json:"missing,omitempty"`
		}{Devices: []jd{}, Missing: why}
		for _, d := range devs {
			out.Devices = append(out.Devices, jd{d.Kind.String(), deviceSpec(d), d.Name, d.Default, d.Detail})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprint(stdout, formatDevices(devs, why))
	return nil
}

// deviceSpec is what selects d in --video or --audio.
func deviceSpec(d capture.Device) string {
	switch d.Kind {
	case capture.KindCamera:
		return "camera:" + d.ID
	case capture.KindScreen:
		return "screen" + d.ID
	case capture.KindMicrophone:
		return "mic:" + d.ID
	case capture.KindMonitor:
		if d.Default {
			return "monitor"
		}
		return "mic:" + d.ID
	}
	return d.ID
}

// formatDevices is the devices list as a person reads it: a heading per
// kind, one line per device, and for a kind with none, why.
func formatDevices(devs []capture.Device, why []string) string {
	var b strings.Builder
	for _, k := range []struct {
		kind    capture.DeviceKind
		heading string
	}{
		{capture.KindCamera, "Cameras (--video, --pip)"},
		{capture.KindScreen, "Screens (--video)"},
		{capture.KindMicrophone, "Microphones (--audio)"},
		{capture.KindMonitor, "Desktop audio, monitors of the outputs (--audio)"},
	} {
		fmt.Fprintf(&b, "%s:\n", k.heading)
		n := 0
		for _, d := range devs {
			if d.Kind != k.kind {
				continue
			}
			n++
			def := ""
			if d.Default {
				def = " (default)"
			}
			fmt.Fprintf(&b, "  %-28s %s%s", deviceSpec(d), d.Name, def)
			if d.Detail != "" {
				fmt.Fprintf(&b, " — %s", d.Detail)
			}
			b.WriteByte('\n')
		}
		if n == 0 {
			reason := "none found"
			for _, w := range why {
				for _, part := range strings.Split(w, "; ") {
					if strings.Contains(part, k.kind.String()) || (k.kind == capture.KindScreen && strings.Contains(part, "display")) ||
						(k.kind == capture.KindMicrophone && strings.Contains(part, "sound server")) {
						reason = part
					}
				}
			}
			fmt.Fprintf(&b, "  %s\n", reason)
		}
	}
	return b.String()
}
