package engine

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/peer"
	"onair/publish/loopback"
)

// TestDBRSeveralDestinations: two destinations on one encoder, one of
// them limited to 500 kbit/s. The encoder follows the other one and keeps
// its bitrate; the slow one drops video up to keyframes and stays about a
// second behind, without reconnecting; the fast one loses nothing.
func TestDBRSeveralDestinations(t *testing.T) {
	before := runtime.NumGoroutine()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	th, err := peer.StartThrottle(srv.RTMPAddr(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := Start(ctx, Config{
		Video: "testsrc", Audio: "tone", Width: 320, Height: 240, FPS: 25, Preset: "ultrafast",
		KeyInterval: time.Second, VideoBitrate: 2_000_000,
		URLs: []string{"rtmp://" + srv.RTMPAddr() + "/live/fast", "rtmp://" + th.Addr() + "/live/slow"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	time.Sleep(time.Second)
	th.SetRate(62_500)
	var worstSlow, worstFast time.Duration
	var s Sample
	for end := time.Now().Add(8 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		s = b.Sample()
		if s.VideoBitrateTarget != 2_000_000 {
			t.Fatalf("target %d with one destination keeping up, want the configured 2000000: %+v", s.VideoBitrateTarget, s.Outputs)
		}
		worstFast = max(worstFast, s.Outputs[0].QueueSpan)
		if s.At > 4*time.Second { // the slow one has settled
			worstSlow = max(worstSlow, s.Outputs[1].QueueSpan)
		}
	}
	fast, slow := s.Outputs[0], s.Outputs[1]
	t.Logf("fast: %d frames sent, %d dropped, queue at most %v; slow: %d frames sent, %d dropped, queue at most %v",
		fast.FramesSent, fast.Dropped, worstFast, slow.FramesSent, slow.Dropped, worstSlow)
	if fast.Dropped != 0 || worstFast > 500*time.Millisecond {
		t.Errorf("fast destination: %d dropped, queue up to %v", fast.Dropped, worstFast)
	}
	if slow.Dropped == 0 || slow.FramesSent == 0 {
		t.Errorf("slow destination: %d frames sent, %d dropped; want some of each", slow.FramesSent, slow.Dropped)
	}
	if worstSlow > 3*time.Second {
		t.Errorf("slow destination up to %v behind, want near the second it drops at", worstSlow)
	}
	if s.Reconnects != 0 || s.State != "live" {
		t.Errorf("state %s, %d reconnects", s.State, s.Reconnects)
	}
	b.Close()
	th.Close()
	srv.Close()
	leaktest.Check(t, before, 5*time.Second)
}
