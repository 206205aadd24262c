package app

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
	"onair/publish/loopback"
)

// startTCServer starts the RTMFP reference's server, or skips the test
// with the reason when the reference is not built (make test says so).
func startTCServer(t *testing.T) *peer.TCServer {
	t.Helper()
	s, err := peer.StartTCServer()
	if errors.Is(err, peer.ErrNoRTMFPPeer) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// TestLiveOverRTMFPToTCServer: `onair live --to rtmfp://…` publishes the
// test source to the RTMFP reference's server (zenomt/rtmfp-cpp's
// tcserver, named by its certificate's fingerprint), and the ffmpeg CLI plays it back from there over RTMP: H.264
// 640×360 and AAC, the timecode stripe readable in decoded pictures.
func TestLiveOverRTMFPToTCServer(t *testing.T) {
	tcs := startTCServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	fp, err := tcs.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	// The server named by its certificate's fingerprint, not by the URI.
	_, stderr, code := runLiveAsync(lctx, "--to", "rtmfp://"+tcs.RTMFPAddr+"/live/cam?fingerprint="+fp, "--size", "640x360", "--fps", "25",
		"--vbitrate", "800k", "--keyint", "1s", "--stats-json")
	url := "rtmp://" + tcs.RTMPAddr + "/live/cam"
	time.Sleep(1500 * time.Millisecond)
	p, err := peer.FFprobe(ctx, url, "-read_intervals", "%+2")
	if err != nil {
		t.Fatalf("%v\nonair: %s\ntcserver: %s", err, stderr.String(), tcs.Log())
	}
	if v, ok := p.Stream("video"); !ok || v.CodecName != "h264" || v.Width != 640 || v.Height != 360 {
		t.Errorf("video stream: %+v", v)
	}
	if a, ok := p.Stream("audio"); !ok || a.CodecName != "aac" || a.SampleRate != "48000" {
		t.Errorf("audio stream: %+v", a)
	}
	checkStripesWithFFmpeg(ctx, t, url, 640, 360)
	stop()
	waitLiveExit(t, code, stderr)
}

// TestPlayOverRTMFPFromTCServer: the ffmpeg CLI publishes over RTMP to the
// RTMFP reference's server, and `onair play rtmfp://…` plays the stream
// from it over RTMFP: pictures at the stream's rate, H.264 and AAC.
func TestPlayOverRTMFPFromTCServer(t *testing.T) {
	tcs := startTCServer(t)
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pctx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	pub := exec.CommandContext(pctx, bin, "-hide_banner", "-nostdin", "-v", "error", "-re",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-f", "flv", "rtmp://"+tcs.RTMPAddr+"/live/ff")
	var puberr syncBuffer
	pub.Stderr = &puberr
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stopPub(); _ = pub.Wait() }()
	time.Sleep(1500 * time.Millisecond)

	var stdout, stderr syncBuffer
	code := Run(ctx, []string{"play", "rtmfp://" + tcs.RTMFPAddr + "/live/ff", "--duration", "4s", "--stats-json", "--null-audio"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s\nffmpeg: %s", code, stderr.String(), puberr.String())
	}
	last := lastJSON(t, stdout.String())
	t.Logf("final line: %v", last)
	if v, _ := last["video"].(string); !strings.HasPrefix(v, "h264 640x360") {
		t.Errorf("video %q", v)
	}
	if a, _ := last["audio"].(string); !strings.HasPrefix(a, "aac 48000Hz") {
		t.Errorf("audio %q", a)
	}
	// tcserver gives a new subscriber the last keyframe, then no video
	// until the next one (up to the 1 s GOP later): 70 of the 100.
	if f := num(last["frames"]); f < 70 {
		t.Errorf("%v pictures in 4 s of a 25 fps stream", f)
	}
	if ff := num(last["first_frame_ms"]); ff <= 0 || ff > 1000 {
		t.Errorf("first picture after %v ms", ff)
	}
}

// TestRTMFPUnderLoss: `onair live` publishes over RTMFP through a bad
// path (2 % of datagrams lost each way, 50 ms each way, some reordered)
// to the loopback server, and `onair play` watches it for 30 s: the
// stream stays live, the losses are repaired or the late pictures
// abandoned (and counted in the stats), and glass to glass stays within
// 300 ms at the 95th percentile.
func TestRTMFPUnderLoss(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RTMFPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	relay, err := peer.StartUDPRelay(srv.RTMFPAddr(), peer.Impairment{Loss: 0.02, Delay: 50 * time.Millisecond, Reorder: 0.05, Jitter: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	stdout, stderr, code := runLiveAsync(lctx, "--to", "rtmfp://"+relay.Addr()+"/live/cam", "--size", "640x360", "--fps", "30",
		"--vbitrate", "800k", "--keyint", "1s", "--preset", "ultrafast", "--stats-json")
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	if _, err := srv.Hub().WaitLive(wctx, "cam"); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var pout, perr syncBuffer
	if c := Run(ctx, []string{"play", "rtmp://" + srv.RTMPAddr() + "/live/cam", "--duration", "30s", "--stats-json", "--null-audio"}, &pout, &perr); c != 0 {
		t.Fatalf("play: exit %d: %s", c, perr.String())
	}
	stop()
	waitLiveExit(t, code, stderr)
	play, live := lastJSON(t, pout.String()), lastJSON(t, stdout.String())
	t.Logf("player: %v", play)
	t.Logf("publisher: reconnects %v, dropped %v, rtmfp %v; the relay lost %d datagrams", live["reconnects"], live["dropped"], live["rtmfp"], relay.Lost())
	if p95 := num(play["latency_ms_p95"]); !(p95 > 0 && p95 <= 300) {
		t.Errorf("glass to glass p95 %v ms, want ≤ 300", p95)
	}
	if f := num(play["frames"]); f < 0.9*30*30 {
		t.Errorf("%v pictures shown in 30 s of a 30 fps stream", f)
	}
	if num(live["reconnects"]) != 0 {
		t.Errorf("the publisher reconnected %v times", live["reconnects"])
	}
	r, ok := live["rtmfp"].(map[string]any)
	if !ok {
		t.Fatalf("the publisher's stats have no rtmfp figures: %v", live)
	}
	for _, k := range []string{"rtt_ms", "lost", "retransmits", "abandoned"} {
		if _, ok := r[k]; !ok {
			t.Errorf("rtmfp figures lack %q: %v", k, r)
		}
	}
	if num(r["lost"]) == 0 || num(r["retransmits"]) == 0 || num(r["rtt_ms"]) < 90 {
		t.Errorf("over a path losing 2 %% with 100 ms round trips the session says %v", r)
	}
}
