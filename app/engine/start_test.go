package engine

import (
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/level"
	"onair/internal/media"
	"onair/publish/loopback"
)

// TestStartToLoopback runs the whole chain into the loopback server: the
// test source under a title, a tone mixed with another, the preview tap.
// It goes live, Sample reads it, and Close leaves nothing running.
func TestStartToLoopback(t *testing.T) {
	before := runtime.NumGoroutine()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var previews atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Start(ctx, Config{
		Video: "testsrc", Audio: "tone@-6", Mix: []string{"tone@-20", "none"}, OverlayText: "engine",
		Width: 320, Height: 240, FPS: 25, Preset: "ultrafast", KeyInterval: time.Second,
		URLs:    []string{"rtmp://" + srv.RTMPAddr() + "/live/engine"},
		Preview: func(*media.VideoFrame) { previews.Add(1) },
	})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var s Sample
	for {
		s = b.Sample()
		if s.State == "live" && s.FramesSent >= 50 {
			break
		}
		if time.Now().After(deadline) {
			b.Close()
			srv.Close()
			t.Fatalf("not live with 50 frames sent within 10 s: %+v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !s.HasAudio || s.AudioPeak <= level.Floor || len(s.Outputs) != 1 || s.FramesIn < s.FramesSent || s.At <= 0 {
		t.Errorf("sample: %+v", s)
	}
	if n, most := previews.Load(), int64(s.At.Seconds()*previewFPS)+2; n == 0 || n > most {
		t.Errorf("%d previews in %v, want 1 to %d", n, s.At, most)
	}
	b.Close()
	b.Close() // a second Close does nothing
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
	leaktest.Check(t, before, 5*time.Second)
}

// TestStartFails: every mistake is an error from Start that says what is
// wrong (never the stream key), and nothing is left running.
func TestStartFails(t *testing.T) {
	const key = "SECRETKEY123"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "rtmp://" + l.Addr().String() + "/live/" + key
	l.Close()
	before := runtime.NumGoroutine()
	ok := Config{Video: "testsrc", Audio: "tone", Width: 320, Height: 240, FPS: 25, Preset: "ultrafast", URLs: []string{refused}}
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no destination", func(c *Config) { c.URLs = nil }, "no destination"},
		{"video", func(c *Config) { c.Video = "webcam" }, `video source "webcam"`},
		{"audio", func(c *Config) { c.Audio = "speaker" }, `audio source "speaker"`},
		{"gain", func(c *Config) { c.Audio = "tone@99" }, "the gain after @"},
		{"audio of no file", func(c *Config) { c.Audio = "file" }, "--audio file:PATH"},
		{"pip", func(c *Config) { c.PiP = "webcam" }, "--pip"},
		{"fit", func(c *Config) { c.Fit = "zoom" }, `fit "zoom"`},
		{"mix", func(c *Config) { c.Mix = []string{"tone@loud"} }, "--mix"},
		{"missing file", func(c *Config) { c.Video = "file:/nonexistent/clip.mp4" }, "/nonexistent/clip.mp4"},
		{"size", func(c *Config) { c.Width = 0 }, "width"},
		{"refused", func(c *Config) {}, "refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			b, err := Start(context.Background(), cfg)
			if err == nil {
				b.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("the stream key shows: %q", err)
			}
		})
	}
	leaktest.Check(t, before, 5*time.Second)
}
