package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestLiveOverRTMPE publishes the test source with `onair live --to
// rtmpe://` to a third-party RTMPE server, gortmplib's (MediaMTX's RTMP
// code), which reads H.264 and AAC from the deciphered stream: the
// handshake was encrypted (C0 6) and the server understood every message
// after it.
func TestLiveOverRTMPE(t *testing.T) {
	srv, err := peer.StartGoRTMP()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	_, stderr, code := runLiveAsync(lctx, "--to", "rtmpe://"+srv.Addr()+"/live/enc", "--size", "320x240",
		"--preset", "ultrafast", "--keyint", "1s")
	time.Sleep(3 * time.Second)
	stop()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
	pubs, errs := srv.Publishes()
	t.Logf("gortmplib received %+v (errors %v)", pubs, errs)
	if len(pubs) == 0 {
		t.Fatalf("no publish reached gortmplib (errors %v)\nonair: %s", errs, stderr.String())
	}
	// gortmplib pads the shared DH secret with leading zeros where
	// librtmp and FFmpeg put trailing ones: one session in 256 then
	// garbles and OnAir reconnects. The last session must be whole.
	p := pubs[len(pubs)-1]
	slices.Sort(p.Codecs)
	if p.Type != 6 || p.Path != "/live/enc" || strings.Join(p.Codecs, ",") != "H264,MPEG4Audio" {
		t.Errorf("publish %+v: want type 6 to /live/enc with H264 and MPEG4Audio", p)
	}
	if p.Video < 40 || p.Audio < 60 {
		t.Errorf("in about 3 s gortmplib read %d video and %d audio frames", p.Video, p.Audio)
	}
}
