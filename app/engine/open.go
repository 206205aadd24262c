package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"onair/capture"
	"onair/encode"
)

// Opening the sources a Config names, one demuxer per file, and the mixer
// between several audio sources and the encoder.

// openVideo makes the video source that spec names, at the output size
// and rate where the source can choose. A file opened for its video also
// delivers its audio when audio names the same file.
func (b *Broadcast) openVideo(spec, audio sourceSpec, files map[string]*capture.File) (capture.VideoSource, error) {
	cfg := b.cfg
	switch spec.Kind {
	case "testsrc":
		s, err := capture.NewTestVideo(capture.TestVideoConfig{
			Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Clock: b.clock, Logger: cfg.Logger,
			Buffers: rawQueueFrames + 2, // the queue, one being encoded, one being drawn
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "camera":
		s, err := capture.NewCamera(capture.CameraConfig{
			Name: spec.Arg, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "screen":
		sc, err := capture.ParseScreenSpec(spec.Arg)
		if err != nil {
			return nil, err
		}
		sc.FPS, sc.Clock, sc.Logger, sc.HideCursor = cfg.FPS, b.clock, cfg.Logger, cfg.HideCursor
		s, err := capture.NewScreen(sc)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "file":
		f, err := b.openFile(spec.Arg, true, audio.Kind == "file" && audio.Arg == spec.Arg, files)
		if err != nil {
			return nil, err
		}
		return f.VideoSource(), nil
	}
	return nil, fmt.Errorf("video source %s: want %s", spec, VideoSpecHelp)
}

// openAudio makes the audio source that spec names; nil for none.
func (b *Broadcast) openAudio(spec sourceSpec, files map[string]*capture.File) (capture.AudioSource, error) {
	cfg := b.cfg
	switch spec.Kind {
	case "none":
		return nil, nil
	case "tone":
		s, err := capture.NewTestTone(capture.TestToneConfig{
			SampleRate: 48000, Channels: 2, Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "mic", "monitor":
		s, err := capture.NewMic(capture.MicConfig{
			Name: spec.Arg, Monitor: spec.Kind == "monitor", SampleRate: 48000, Channels: 2,
			Clock: b.clock, Logger: cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	case "file":
		f, err := b.openFile(spec.Arg, false, true, files)
		if err != nil {
			return nil, err
		}
		return f.AudioSource(), nil
	}
	return nil, fmt.Errorf("audio source %s: want %s", spec, AudioSpecHelp)
}

// openMix puts a mixer between the audio sources and the encoder: the main
// source (at gain dB) and every --mix one, each with its own gain.
func (b *Broadcast) openMix(main sourceSpec, gain float64, files map[string]*capture.File) error {
	mx, err := encode.NewMixer(encode.MixerConfig{SampleRate: 48000, Channels: 2, Latency: 40 * time.Millisecond,
		Clock: b.clock, Logger: b.cfg.Logger})
	if err != nil {
		return err
	}
	b.mixer = mx
	type input struct {
		src  capture.AudioSource
		name string
		gain float64
	}
	var ins []input
	if b.asrc != nil {
		ins = append(ins, input{b.asrc, main.String(), gain})
	}
	for _, m := range b.cfg.Mix {
		spec, g, err := splitGain(m)
		if err != nil {
			return fmt.Errorf("--mix: %w", err)
		}
		as, err := parseAudioSpec(spec)
		if err != nil {
			return fmt.Errorf("--mix: %w", err)
		}
		if as.Kind == "none" {
			continue
		}
		src, err := b.openAudio(as, files)
		if err != nil {
			return fmt.Errorf("--mix %s: %w", m, err)
		}
		b.mixIn = append(b.mixIn, src)
		ins = append(ins, input{src, as.String(), g})
	}
	if b.asrc != nil {
		b.mixIn = append([]capture.AudioSource{b.asrc}, b.mixIn...)
	}
	for _, in := range ins {
		mi, err := mx.AddInput(in.name)
		if err != nil {
			return err
		}
		mi.SetGainDB(in.gain)
		b.mixPush = append(b.mixPush, mi.Push)
	}
	b.asrc = mx
	return nil
}

// startMix starts the mixer's sources, each into its input.
func (b *Broadcast) startMix() error {
	for i, src := range b.mixIn {
		if err := src.Start(b.mixPush[i]); err != nil {
			return err
		}
	}
	return nil
}

// splitGain takes a trailing @GAIN (dB) off an audio spec: "monitor@-6".
func splitGain(v string) (string, float64, error) {
	i := strings.LastIndex(v, "@")
	if i < 0 {
		return v, 0, nil
	}
	g, err := strconv.ParseFloat(strings.TrimSuffix(v[i+1:], "dB"), 64)
	if err != nil || g < -60 || g > 20 {
		return "", 0, fmt.Errorf("audio source %q: the gain after @ is in dB, from -60 to 20 (e.g. monitor@-6)", v)
	}
	return v[:i], g, nil
}

// openFile opens path once for all the views that use it: its video and
// audio come from one demuxer and stay in sync.
func (b *Broadcast) openFile(path string, video, audio bool, files map[string]*capture.File) (*capture.File, error) {
	if f, ok := files[path]; ok {
		return f, nil
	}
	f, err := capture.OpenFile(capture.FileConfig{
		Path: path, Loop: true, Video: video, Audio: audio, SampleRate: 48000, Channels: 2,
		Clock: b.clock, Logger: b.cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	files[path] = f
	b.files = append(b.files, f)
	return f, nil
}
