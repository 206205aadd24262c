package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
	"onair/publish/loopback"
)

// TestLiveOverRTMPT publishes with OnAir's own RTMPT client through nginx,
// an HTTP and HTTPS reverse proxy, to the loopback server's RTMPT
// endpoint, the way a tunnelled stream crosses a web front; FFmpeg's
// clients read each stream back, over rtmpt:// (its RTMPT client) and
// rtmp://.
func TestLiveOverRTMPT(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	certDir := t.TempDir()
	if _, _, err := loopback.SelfSignedCert(certDir); err != nil {
		t.Fatal(err)
	}
	px, err := peer.StartNginxProxy(t.TempDir(), srv.HTTPAddr(),
		filepath.Join(certDir, "loopback-cert.pem"), filepath.Join(certDir, "loopback-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	defer px.Stop()
	for _, c := range []struct {
		name, to, readBack string
		extra              []string
	}{
		{"rtmpt", "rtmpt://" + px.HTTPAddr() + "/live/tun", "rtmpt://" + srv.HTTPAddr() + "/live/tun", nil},
		{"rtmpts", "rtmpts://" + px.HTTPSAddr() + "/live/tuns", "rtmp://" + srv.RTMPAddr() + "/live/tuns", []string{"--insecure"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			lctx, stop := context.WithCancel(ctx)
			defer stop()
			args := append([]string{"--to", c.to, "--size", "320x240", "--preset", "ultrafast", "--keyint", "1s"}, c.extra...)
			_, stderr, code := runLiveAsync(lctx, args...)
			time.Sleep(1500 * time.Millisecond) // the reader joins at a keyframe
			p, perr := peer.FFprobe(ctx, c.readBack)
			stop()
			if c := <-code; c != 0 {
				t.Fatalf("exit %d: %s\nnginx: %s", c, stderr.String(), px.ErrorLog())
			}
			if perr != nil {
				t.Fatalf("%v\nonair: %s", perr, stderr.String())
			}
			v, okv := p.Stream("video")
			a, oka := p.Stream("audio")
			if !okv || v.CodecName != "h264" || v.Width != 320 || !oka || a.CodecName != "aac" {
				t.Errorf("streams read back: %+v", p.Streams)
			}
			if strings.Contains(stderr.String(), "dropped") {
				t.Logf("onair: %s", stderr.String())
			}
		})
	}
}
