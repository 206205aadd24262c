package engine

import (
	"fmt"
	"strings"
)

// sourceSpec is one --video, --audio or --pip value taken apart: the kind
// of source and what follows its colon (a device name, a screen and
// region, a file path).
type sourceSpec struct {
	Kind string
	Arg  string
}

func (s sourceSpec) String() string {
	if s.Arg == "" {
		return s.Kind
	}
	if s.Kind == "screen" {
		return s.Kind + s.Arg
	}
	return s.Kind + ":" + s.Arg
}

// VideoSpecHelp and AudioSpecHelp are the forms Config.Video (and PiP)
// and Config.Audio (and Mix) take, for a flag's or a form's help.
const (
	VideoSpecHelp = "testsrc, camera[:NAME], screen[:N][+X,Y,W,H] or file:PATH"
	AudioSpecHelp = "tone, none, mic[:NAME], monitor or file[:PATH]"
)

// parseVideoSpec reads a --video (or --pip) value.
func parseVideoSpec(v string) (sourceSpec, error) {
	kind, arg, hasArg := strings.Cut(v, ":")
	switch {
	case kind == "testsrc" && !hasArg:
		return sourceSpec{Kind: kind}, nil
	case kind == "camera":
		if hasArg && arg == "" {
			return sourceSpec{}, fmt.Errorf("video source %q: a camera name after the colon, or none at all (want %s)", v, VideoSpecHelp)
		}
		return sourceSpec{Kind: kind, Arg: arg}, nil
	case strings.HasPrefix(v, "screen"):
		// screen, screen:1, screen+0,0,640,480, screen:1+0,0,640,480: the
		// rest is checked by capture.ParseScreenSpec.
		return sourceSpec{Kind: "screen", Arg: strings.TrimPrefix(v, "screen")}, nil
	case kind == "file":
		if arg == "" {
			return sourceSpec{}, fmt.Errorf("video source %q: name the file, as file:PATH", v)
		}
		return sourceSpec{Kind: kind, Arg: arg}, nil
	}
	return sourceSpec{}, fmt.Errorf("video source %q: want %s", v, VideoSpecHelp)
}

// parseAudioSpec reads an --audio value.
func parseAudioSpec(v string) (sourceSpec, error) {
	kind, arg, hasArg := strings.Cut(v, ":")
	switch {
	case (kind == "tone" || kind == "none" || kind == "monitor") && !hasArg:
		return sourceSpec{Kind: kind}, nil
	case kind == "mic":
		if hasArg && arg == "" {
			return sourceSpec{}, fmt.Errorf("audio source %q: a device name after the colon, or none at all (want %s)", v, AudioSpecHelp)
		}
		return sourceSpec{Kind: kind, Arg: arg}, nil
	case kind == "file":
		if hasArg && arg == "" {
			return sourceSpec{}, fmt.Errorf("audio source %q: name the file, as file:PATH, or say file for the audio of --video file:PATH", v)
		}
		return sourceSpec{Kind: kind, Arg: arg}, nil
	}
	return sourceSpec{}, fmt.Errorf("audio source %q: want %s", v, AudioSpecHelp)
}

// resolveAudioFile gives `--audio file` the path of `--video file:PATH`.
func resolveAudioFile(video, audio sourceSpec) (sourceSpec, error) {
	if audio.Kind != "file" || audio.Arg != "" {
		return audio, nil
	}
	if video.Kind != "file" {
		return audio, fmt.Errorf("audio source file: says to take the audio of the video file, but the video source is %s; give --audio file:PATH", video)
	}
	audio.Arg = video.Arg
	return audio, nil
}
