package app

import (
	"strings"
	"testing"
)

func TestParseVideoSpec(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{"testsrc", "testsrc", ""},
		{"camera", "camera", ""},
		{"camera:HD Webcam C920", "camera:HD Webcam C920", ""},
		{"camera:", "", "camera name"},
		{"screen", "screen", ""},
		{"screen:1", "screen:1", ""},
		{"screen+0,0,640,480", "screen+0,0,640,480", ""},
		{"file:/tmp/a b.mp4", "file:/tmp/a b.mp4", ""},
		{"file:", "", "name the file"},
		{"file", "", "name the file"},
		{"testsrc:1", "", "want testsrc"},
		{"webcam", "", "want testsrc, camera"},
		{"", "", "want testsrc"},
	} {
		got, err := parseVideoSpec(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%q: %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

func TestParseAudioSpec(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{"tone", "tone", ""},
		{"none", "none", ""},
		{"monitor", "monitor", ""},
		{"mic", "mic", ""},
		{"mic:Built-in Audio", "mic:Built-in Audio", ""},
		{"mic:", "", "device name"},
		{"file", "file", ""},
		{"file:/x.mp3", "file:/x.mp3", ""},
		{"tone:440", "", "want tone"},
		{"speaker", "", "want tone, none, mic"},
	} {
		got, err := parseAudioSpec(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%q: %v, %v; want %s", c.in, got, err, c.want)
		}
	}
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
