package loopback

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestRtmpdumpPlays: rtmpdump (librtmp, the RTMP code of OBS and of many
// players) plays what the ffmpeg CLI publishes to the loopback server, over
// rtmp:// and over rtmpt:// (tunnelled in HTTP, on the HTTP port); ffprobe
// reads H.264 and AAC from what it wrote, and librtmp did not complain
// about the handshake.
func TestRtmpdumpPlays(t *testing.T) {
	bin, err := peer.Require("rtmpdump", "rtmpdump")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/dump", 7*time.Second)
	waitStream(t, s, "dump")
	for _, url := range []string{"rtmp://" + s.RTMPAddr() + "/live/dump", "rtmpt://" + s.HTTPAddr() + "/live/dump"} {
		url := url
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "dump.flv")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// --live: until the publisher ends.
			msg, err := exec.CommandContext(ctx, bin, "-r", url, "--live", "-o", out).CombinedOutput()
			if err != nil && !strings.Contains(string(msg), "Download complete") {
				t.Fatalf("rtmpdump: %v\n%s", err, msg)
			}
			if strings.Contains(string(msg), "signature does not match") {
				t.Errorf("librtmp complained about the handshake:\n%s", msg)
			}
			st, err := os.Stat(out)
			if err != nil || st.Size() < 10_000 {
				t.Fatalf("rtmpdump wrote %v (%v):\n%s", st, err, msg)
			}
			p, err := peer.FFprobe(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			v, okv := p.Stream("video")
			a, oka := p.Stream("audio")
			if !okv || v.CodecName != "h264" || !oka || a.CodecName != "aac" {
				t.Fatalf("%s: %+v, want h264 and aac", out, p.Streams)
			}
			t.Logf("%s: rtmpdump wrote %d bytes: %s %dx%d, %s", url, st.Size(), v.CodecName, v.Width, v.Height, a.CodecName)
		})
	}
}
