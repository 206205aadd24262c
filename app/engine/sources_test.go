package engine

import (
	"strings"
	"testing"
)

func TestParseVideoSpec(t *testing.T) {
	for _, c := range []struct {
		name, in, want, err string
	}{
		{"testsrc", "testsrc", "testsrc", ""},
		{"camera", "camera", "camera", ""},
		{"camera named", "camera:HD Webcam C920", "camera:HD Webcam C920", ""},
		{"camera empty name", "camera:", "", "camera name"},
		{"screen", "screen", "screen", ""},
		{"screen numbered", "screen:1", "screen:1", ""},
		{"screen region", "screen+0,0,640,480", "screen+0,0,640,480", ""},
		{"file", "file:/tmp/a b.mp4", "file:/tmp/a b.mp4", ""},
		{"file empty path", "file:", "", "name the file"},
		{"file no path", "file", "", "name the file"},
		{"testsrc with arg", "testsrc:1", "", "want testsrc"},
		{"unknown", "webcam", "", "want testsrc, camera"},
		{"empty", "", "", "want testsrc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseVideoSpec(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
				}
				return
			}
			if err != nil || got.String() != c.want {
				t.Errorf("%q: %v, %v; want %s", c.in, got, err, c.want)
			}
		})
	}
}

func TestParseAudioSpec(t *testing.T) {
	for _, c := range []struct {
		name, in, want, err string
	}{
		{"tone", "tone", "tone", ""},
		{"none", "none", "none", ""},
		{"monitor", "monitor", "monitor", ""},
		{"mic", "mic", "mic", ""},
		{"mic named", "mic:Built-in Audio", "mic:Built-in Audio", ""},
		{"mic empty name", "mic:", "", "device name"},
		{"file of the video", "file", "file", ""},
		{"file", "file:/x.mp3", "file:/x.mp3", ""},
		{"tone with arg", "tone:440", "", "want tone"},
		{"unknown", "speaker", "", "want tone, none, mic"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseAudioSpec(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
				}
				return
			}
			if err != nil || got.String() != c.want {
				t.Errorf("%q: %v, %v; want %s", c.in, got, err, c.want)
			}
		})
	}
}

func TestResolveAudioFile(t *testing.T) {
	v, _ := parseVideoSpec("file:/clip.mp4")
	a, _ := parseAudioSpec("file")
	if a, err := resolveAudioFile(v, a); err != nil || a.Arg != "/clip.mp4" {
		t.Errorf("--audio file with --video file: got %v, %v", a, err)
	}
	v, _ = parseVideoSpec("testsrc")
	if _, err := resolveAudioFile(v, a); err == nil || !strings.Contains(err.Error(), "--audio file:PATH") {
		t.Errorf("--audio file with testsrc: %v", err)
	}
}
