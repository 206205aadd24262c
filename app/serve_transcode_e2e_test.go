package app

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/app/engine"
	"onair/internal/peer"
)

// TestServeTranscode: `onair serve --transcode 240p` with `onair live`
// publishing 640×360: ffprobe reads the master playlist's two variants;
// a list it cannot read stops the command with a message naming it.
func TestServeTranscode(t *testing.T) {
	var stderr bytes.Buffer
	err := runServe(context.Background(), []string{"--transcode", "99p,360p"}, &bytes.Buffer{}, &stderr)
	if err == nil || !strings.Contains(err.Error(), `--transcode: bad rendition list: "99p": height 99`) {
		t.Errorf("--transcode 99p,360p: %v", err)
	}
	rtmpAddr, httpAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- runServe(ctx, []string{"--rtmp", rtmpAddr, "--http", httpAddr, "--transcode", "240p", "--log-level", "warn"}, &out, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("onair serve: %v", err)
		}
	}()
	waitFor(t, 5*time.Second, "onair serve did not start", func() bool { return strings.Contains(out.String(), "all variants") })
	b, err := engine.Start(context.Background(), engine.Config{
		Video: "testsrc", Audio: "tone", Width: 640, Height: 360, FPS: 30, VideoBitrate: 1_000_000,
		AudioBitrate: 96_000, Preset: "ultrafast", KeyInterval: time.Second,
		URLs: []string{"rtmp://" + rtmpAddr + "/live/preview"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pctx, pcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer pcancel()
	master := "http://" + httpAddr + "/live/preview/master.m3u8"
	var sizes []string
	for pctx.Err() == nil {
		p, err := peer.FFprobe(pctx, master)
		sizes = sizes[:0]
		if err == nil {
			for _, s := range p.Streams {
				if s.CodecType == "video" && s.CodecName == "h264" {
					sizes = append(sizes, fmt.Sprintf("%dx%d", s.Width, s.Height))
				}
			}
		}
		slices.Sort(sizes)
		sizes = slices.Compact(sizes)
		if len(sizes) == 2 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if want := []string{"426x240", "640x360"}; !slices.Equal(sizes, want) {
		t.Errorf("%s: video %v, want %v", master, sizes, want)
	}
	if !regexp.MustCompile(`transcoding every stream to \[240p\]`).MatchString(out.String()) {
		t.Errorf("onair serve did not say it transcodes:\n%s", out.String())
	}
}
