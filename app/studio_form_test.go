package app

import (
	"os"
	"strings"
	"testing"
	"time"

	"onair/app/engine"
)

// defaultForm is what a fresh Studio shows.
func defaultForm() studioForm {
	return studioForm{
		video: "testsrc", audio: "tone", pointer: true, size: sizePresets[1].label, custom: "1280x720",
		fps: "30", vbitrate: "2500k", abitrate: "128k", preset: "veryfast", keyint: "2s",
		server: "rtmp://127.0.0.1:1935/live", key: "preview",
	}
}

func TestStudioFormConfig(t *testing.T) {
	base := engine.Config{
		Video: "testsrc", Audio: "tone", Width: 1280, Height: 720, FPS: 30, VideoBitrate: 2_500_000,
		AudioBitrate: 128_000, Preset: "veryfast", Profile: "high", KeyInterval: 2 * time.Second,
		URLs: []string{"rtmp://127.0.0.1:1935/live/preview"},
	}
	for _, c := range []struct {
		name string
		edit func(*studioForm)
		want func(*engine.Config) // nil: an error
		err  string
	}{
		{"defaults", func(*studioForm) {}, func(*engine.Config) {}, ""},
		{"overlay and no pointer", func(f *studioForm) { f.title, f.clock, f.pointer = "  Live  ", true, false },
			func(c *engine.Config) { c.OverlayText, c.OverlayClock, c.HideCursor = "Live", true, true }, ""},
		{"sd preset", func(f *studioForm) { f.size = sizePresets[0].label },
			func(c *engine.Config) { c.Width, c.Height = 640, 480 }, ""},
		{"custom size", func(f *studioForm) { f.size, f.custom = "Custom", "854x480" },
			func(c *engine.Config) { c.Width, c.Height = 854, 480 }, ""},
		{"rates", func(f *studioForm) { f.fps, f.vbitrate, f.abitrate, f.preset = " 29.97 ", "6M", "96k", "ultrafast" },
			func(c *engine.Config) {
				c.FPS, c.VideoBitrate, c.AudioBitrate, c.Preset = 29.97, 6_000_000, 96_000, "ultrafast"
			}, ""},
		{"keyint seconds", func(f *studioForm) { f.keyint = "0.5" },
			func(c *engine.Config) { c.KeyInterval = 500 * time.Millisecond }, ""},
		{"media file", func(f *studioForm) { f.video, f.audio, f.filePath = "file:", "file", " /clip.mp4 " },
			func(c *engine.Config) { c.Video, c.Audio = "file:/clip.mp4", "file" }, ""},
		{"audio of a file, other video", func(f *studioForm) { f.audio, f.filePath = "file", "/song.mp3" },
			func(c *engine.Config) { c.Audio = "file:/song.mp3" }, ""},
		{"camera and mic", func(f *studioForm) {
			f.video, f.audio, f.filePath = "camera:/dev/video0", "mic:alsa_input.x", "/unused.mp4"
		},
			func(c *engine.Config) { c.Video, c.Audio = "camera:/dev/video0", "mic:alsa_input.x" }, ""},
		{"server with a slash, key spaces", func(f *studioForm) { f.server, f.key = " rtmps://live.example.com/app/ ", " sk-1 " },
			func(c *engine.Config) { c.URLs = []string{"rtmps://live.example.com/app/sk-1"} }, ""},
		{"no key", func(f *studioForm) { f.key = "" },
			func(c *engine.Config) { c.URLs = []string{"rtmp://127.0.0.1:1935/live"} }, ""},
		{"insecure", func(f *studioForm) { f.insecure = true }, func(c *engine.Config) { c.Insecure = true }, ""},
		{"bad size", func(f *studioForm) { f.size, f.custom = "Custom", "big" }, nil, `size "big"`},
		{"bad fps", func(f *studioForm) { f.fps = "fast" }, nil, `frame rate "fast"`},
		{"bad video bitrate", func(f *studioForm) { f.vbitrate = "lots" }, nil, `bitrate "lots"`},
		{"bad audio bitrate", func(f *studioForm) { f.abitrate = "0" }, nil, `bitrate "0"`},
		{"bad preset", func(f *studioForm) { f.preset = "" }, nil, `preset ""`},
		{"bad keyint", func(f *studioForm) { f.keyint = "2 min" }, nil, `keyframe interval "2 min"`},
		{"keyint too long", func(f *studioForm) { f.keyint = "61s" }, nil, "keyframe interval"},
		{"no server", func(f *studioForm) { f.server = "  " }, nil, "no destination"},
		{"first bad field", func(f *studioForm) { f.fps, f.server = "0", "" }, nil, "frame rate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := defaultForm()
			c.edit(&f)
			got, err := f.config()
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := base
			want.URLs = append([]string(nil), base.URLs...)
			c.want(&want)
			if got.Video != want.Video || got.Audio != want.Audio || got.OverlayText != want.OverlayText ||
				got.OverlayClock != want.OverlayClock || got.HideCursor != want.HideCursor ||
				got.Width != want.Width || got.Height != want.Height || got.FPS != want.FPS ||
				got.VideoBitrate != want.VideoBitrate || got.AudioBitrate != want.AudioBitrate ||
				got.Preset != want.Preset || got.Profile != want.Profile || got.KeyInterval != want.KeyInterval ||
				strings.Join(got.URLs, " ") != strings.Join(want.URLs, " ") || got.Insecure != want.Insecure ||
				got.Preview != nil || got.Logger != nil {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestStudioFormStreamName(t *testing.T) {
	for _, c := range []struct {
		name, server, key, loop, want string
	}{
		{"loopback", "rtmp://127.0.0.1:1935/live", "preview", "127.0.0.1:1935", "preview"},
		{"loopback with slash and spaces", " rtmp://127.0.0.1:1935/live/ ", " sk ", "127.0.0.1:1935", "sk"},
		{"another server", "rtmp://live.example.com/app", "preview", "127.0.0.1:1935", ""},
		{"another app", "rtmp://127.0.0.1:1935/other", "preview", "127.0.0.1:1935", ""},
		{"no loopback", "rtmp://127.0.0.1:1935/live", "preview", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := studioForm{server: c.server, key: c.key}
			if got := f.streamName(c.loop); got != c.want {
				t.Errorf("streamName(%q) with server %q: %q, want %q", c.loop, c.server, got, c.want)
			}
		})
	}
}

func TestParseKeyint(t *testing.T) {
	for in, want := range map[string]time.Duration{"2s": 2 * time.Second, "500ms": 500 * time.Millisecond, "3": 3 * time.Second, " 1.5 ": 1500 * time.Millisecond,
		"0.1": 100 * time.Millisecond, "1m": time.Minute} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseKeyint(in); err != nil || got != want {
				t.Errorf("%q: %v %v", in, got, err)
			}
		})
	}
	for _, in := range []string{"", "0", "2 s", "5m", "x", "50ms", "61s"} {
		t.Run("bad "+in, func(t *testing.T) {
			if _, err := parseKeyint(in); err == nil {
				t.Errorf("%q: no error", in)
			}
		})
	}
}

// TestStudioFormRecordConfig: recording when not live needs no
// destination; the form's other settings apply, and its errors too.
func TestStudioFormRecordConfig(t *testing.T) {
	f := defaultForm()
	f.server, f.key = "", ""
	want, err := defaultForm().config()
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.recordConfig("/videos/a.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if got.Record != "/videos/a.mp4" || len(got.URLs) != 0 || got.Width != want.Width || got.Preset != want.Preset ||
		got.Video != want.Video || got.KeyInterval != want.KeyInterval {
		t.Errorf("record config %+v", got)
	}
	f.fps = "fast"
	if _, err := f.recordConfig("/videos/a.mp4"); err == nil || !strings.Contains(err.Error(), `frame rate "fast"`) {
		t.Errorf("a bad frame rate: %v", err)
	}
}

func TestRecordName(t *testing.T) {
	at := time.Date(2026, 12, 5, 7, 30, 12, 0, time.Local)
	if got := recordName(at); got != "onair-2026-12-05_07-30-12.mp4" {
		t.Errorf("recordName: %q", got)
	}
	g := &gui{opts: guiOptions{RecordDir: t.TempDir()}}
	first := g.recordPath(at)
	if err := os.WriteFile(first, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if second := g.recordPath(at); second != strings.TrimSuffix(first, ".mp4")+"-2.mp4" {
		t.Errorf("a second recording in the same second: %s (first %s)", second, first)
	}
}
