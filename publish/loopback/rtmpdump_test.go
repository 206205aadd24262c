package loopback

import (
	"bytes"
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
// rtmp://, rtmpt:// (tunnelled in HTTP, on the HTTP port), rtmpe://
// (encrypted: librtmp asks for type 6 as Flash Player 10, and gets type 8,
// XTEA-signed) and rtmpte:// (both); ffprobe reads H.264 and AAC from
// what it wrote, and librtmp did not complain about the handshake.
func TestRtmpdumpPlays(t *testing.T) {
	bin, err := peer.Require("rtmpdump", "rtmpdump")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/dump", 7*time.Second)
	waitStream(t, s, "dump")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// All four at once (--live: until the publisher ends), checked after.
	type run struct {
		url, out string
		cmd      *exec.Cmd
		msg      bytes.Buffer
	}
	var runs []*run
	for _, url := range []string{"rtmp://" + s.RTMPAddr() + "/live/dump", "rtmpt://" + s.HTTPAddr() + "/live/dump",
		"rtmpe://" + s.RTMPAddr() + "/live/dump", "rtmpte://" + s.HTTPAddr() + "/live/dump"} {
		r := &run{url: url, out: filepath.Join(t.TempDir(), "dump.flv")}
		r.cmd = exec.CommandContext(ctx, bin, "-r", url, "--live", "-o", r.out)
		r.cmd.Stdout, r.cmd.Stderr = &r.msg, &r.msg
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for _, r := range runs {
		t.Run(strings.SplitN(r.url, ":", 2)[0], func(t *testing.T) {
			err := r.cmd.Wait()
			msg := r.msg.String()
			if err != nil && !strings.Contains(msg, "Download complete") {
				t.Fatalf("rtmpdump: %v\n%s", err, msg)
			}
			if strings.Contains(msg, "signature does not match") {
				t.Errorf("librtmp complained about the handshake:\n%s", msg)
			}
			st, err := os.Stat(r.out)
			if err != nil || st.Size() < 10_000 {
				t.Fatalf("rtmpdump wrote %v (%v):\n%s", st, err, msg)
			}
			p, err := peer.FFprobe(ctx, r.out)
			if err != nil {
				t.Fatal(err)
			}
			v, okv := p.Stream("video")
			a, oka := p.Stream("audio")
			if !okv || v.CodecName != "h264" || !oka || a.CodecName != "aac" {
				t.Fatalf("%s: %+v, want h264 and aac", r.out, p.Streams)
			}
			t.Logf("%s: rtmpdump wrote %d bytes: %s %dx%d, %s", r.url, st.Size(), v.CodecName, v.Width, v.Height, a.CodecName)
		})
	}
}
