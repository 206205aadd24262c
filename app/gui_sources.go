package app

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"

	"fyne.io/fyne/v2/widget"

	"onair/capture"
)

// sourceChoice is one entry of the Studio's source pickers: what the
// streamer reads, and the source spec (as --video/--audio take it).
type sourceChoice struct{ label, spec string }

const (
	fileVideoLabel = "Media file (path below)"
	fileAudioLabel = "Audio of the media file"
)

// sourceChoices builds the pickers' entries from the devices found; the
// test source and tone come first, a media file last. missing says, in
// words, which kinds were not found.
func sourceChoices(devs []capture.Device) (video, audio []sourceChoice) {
	video = []sourceChoice{{"Test source", "testsrc"}}
	audio = []sourceChoice{{"Test tone", "tone"}, {"None", "none"}}
	for _, d := range devs {
		def := ""
		if d.Default {
			def = " (default)"
		}
		switch d.Kind {
		case capture.KindScreen:
			video = append(video, sourceChoice{fmt.Sprintf("Screen %s — %s", d.ID, d.Detail), deviceSpec(d)})
		case capture.KindCamera:
			video = append(video, sourceChoice{"Camera: " + d.Name + def, deviceSpec(d)})
		case capture.KindMicrophone:
			audio = append(audio, sourceChoice{"Microphone: " + d.Name + def, deviceSpec(d)})
		case capture.KindMonitor:
			audio = append(audio, sourceChoice{"Desktop audio: " + d.Name, "mic:" + d.ID})
		}
	}
	video = append(video, sourceChoice{fileVideoLabel, "file:"})
	audio = append(audio, sourceChoice{fileAudioLabel, "file"})
	return video, audio
}

// listDevices finds every capture device; kinds with none are said in
// words (for the status line), never as a failure.
func listDevices(log *slog.Logger) ([]capture.Device, string) {
	var devs []capture.Device
	var why []string
	for _, list := range []func(*slog.Logger) ([]capture.Device, error){capture.ListVideoDevices, capture.ListAudioDevices} {
		d, err := list(log)
		if err != nil {
			if !errors.Is(err, capture.ErrNoDevice) {
				log.Warn("listing devices", "err", err)
			}
			why = append(why, strings.TrimPrefix(err.Error(), capture.ErrNoDevice.Error()+": "))
		}
		devs = append(devs, d...)
	}
	return devs, strings.Join(why, "; ")
}

func choiceLabels(cs []sourceChoice) []string {
	l := make([]string, len(cs))
	for i, c := range cs {
		l[i] = c.label
	}
	return l
}

// specOf is the spec of the choice labelled label ("" if none).
func specOf(cs []sourceChoice, label string) string {
	for _, c := range cs {
		if c.label == label {
			return c.spec
		}
	}
	return ""
}

// labelOf is the label of the choice whose spec is spec; the first
// choice when none has it (a device that went away).
func labelOf(cs []sourceChoice, spec string) string {
	for _, c := range cs {
		if c.spec == spec || (strings.HasPrefix(spec, "file:") && c.spec == "file:") {
			return c.label
		}
	}
	return cs[0].label
}

// setLevel shows an audio level on a VU bar: -60 dBFS empty, 0 full.
func setLevel(bar *widget.ProgressBar, peakDB float64) {
	v := math.Max(0, math.Min(1, (peakDB+60)/60))
	if bar.Value != v {
		bar.SetValue(v)
	}
}
