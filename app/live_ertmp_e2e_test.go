package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
	"onair/publish/loopback"
)

// playLast runs `onair play URL` for d with --stats-json and returns its
// last (final) line.
func playLast(t *testing.T, url string, d time.Duration) map[string]any {
	t.Helper()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	code := Run(ctx, []string{"play", url, "--duration", d.String(), "--stats-json", "--null-audio"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("onair play %s: exit %d: %s", url, code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last stats line %q: %v", lines[len(lines)-1], err)
	}
	t.Logf("onair play %s: %s", url, lines[len(lines)-1])
	return last
}

// checkEnhancedPlay checks that a player decoded HEVC and Opus and read the
// test signal from the pictures.
func checkEnhancedPlay(t *testing.T, m map[string]any, minFrames float64) {
	t.Helper()
	checkPlayCodecs(t, m, "hevc", minFrames)
}

// checkPlayCodecs checks that a player decoded video (640x360) and Opus
// and read the test signal from the pictures.
func checkPlayCodecs(t *testing.T, m map[string]any, video string, minFrames float64) {
	t.Helper()
	if v, _ := m["video"].(string); !strings.HasPrefix(v, video+" 640x360") {
		t.Errorf("video %q, want %s 640x360", v, video)
	}
	if a, _ := m["audio"].(string); !strings.HasPrefix(a, "opus 48000Hz 2ch") {
		t.Errorf("audio %q, want opus 48000Hz 2ch", a)
	}
	if f := num(m["frames"]); f < minFrames {
		t.Errorf("%v frames shown, want at least %v", f, minFrames)
	}
	if _, ok := m["latency_ms_p50"]; !ok {
		t.Error("no latency figure: the test stripe was not read from the HEVC pictures")
	}
	if u := num(m["undecodable"]); u > 2 {
		t.Errorf("%v pictures with an unreadable stripe", u)
	}
}

// TestLiveEnhancedRTMP: `onair live --vcodec hevc --acodec opus` pushes
// Enhanced RTMP (FourCC hvc1 and Opus tags) to a third-party E-RTMP server,
// gortmplib's (MediaMTX's RTMP code), which parses H265 and Opus tracks
// from it; `onair play` then plays the stream back from that server (tags
// written by gortmplib) with HEVC and Opus decoded. gortmplib's server
// does not announce E-RTMP in its connect reply, so the publisher is told
// to trust it; without that, and against nginx-rtmp, which knows nothing
// of E-RTMP, publishing fails before it starts, saying why.
func TestLiveEnhancedRTMP(t *testing.T) {
	srv, err := peer.StartGoRTMP()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	url := "rtmp://" + srv.Addr() + "/live/ev"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	_, stderr, code := runLiveAsync(lctx, "--to", url, "--vcodec", "hevc", "--acodec", "opus", "--trust-enhanced",
		"--size", "640x360", "--preset", "ultrafast", "--keyint", "1s")
	time.Sleep(1500 * time.Millisecond)
	last := playLast(t, url, 4*time.Second)
	stop()
	if c := <-code; c != 0 {
		t.Fatalf("onair live: exit %d: %s", c, stderr.String())
	}
	pubs, errs := srv.Publishes()
	t.Logf("gortmplib received %+v (errors %v)", pubs, errs)
	if len(pubs) != 1 {
		t.Fatalf("gortmplib saw %d publishes, want 1 (errors %v)\nonair: %s", len(pubs), errs, stderr.String())
	}
	p := pubs[0]
	slices.Sort(p.Codecs)
	if p.Path != "/live/ev" || strings.Join(p.Codecs, ",") != "H265,Opus" {
		t.Errorf("publish %+v: want H265 and Opus at /live/ev", p)
	}
	// 30 fps and 100 Opus frames a second for about 5.5 s.
	if p.Video < 120 || p.Audio < 400 {
		t.Errorf("gortmplib read %d HEVC pictures and %d Opus frames in about 5.5 s", p.Video, p.Audio)
	}
	checkEnhancedPlay(t, last, 60)

	// Not trusted: gortmplib does not announce E-RTMP.
	var out, errOut syncBuffer
	c := Run(ctx, []string{"live", "--to", url, "--vcodec", "hevc", "--size", "320x240", "--preset", "ultrafast", "--duration", "2s"}, &out, &errOut)
	if c == 0 || !strings.Contains(errOut.String(), "does not announce Enhanced RTMP") || !strings.Contains(errOut.String(), "--trust-enhanced") {
		t.Errorf("HEVC to a server that does not announce E-RTMP: exit %d, stderr %q; want a failure that says so", c, errOut.String())
	}
}

// TestLiveEnhancedToNginx: nginx-rtmp has no Enhanced RTMP; publishing
// Opus to it fails with a clear line, and H.264/AAC still goes through.
func TestLiveEnhancedToNginx(t *testing.T) {
	ng := startNginx(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	c := Run(ctx, []string{"live", "--to", ng.URL("live", "op"), "--acodec", "opus", "--size", "320x240", "--preset", "ultrafast", "--duration", "2s"}, &out, &errOut)
	msg := errOut.String()
	if c == 0 || !strings.Contains(msg, "publishing Opus needs it") || !strings.Contains(msg, "Publish H.264 and AAC instead") {
		t.Errorf("Opus to nginx-rtmp: exit %d, stderr %q; want a failure that says why", c, msg)
	}
	if strings.Count(strings.TrimSpace(msg), "\n") > 2 {
		t.Errorf("more than a line or two of error: %q", msg)
	}
}

// TestServeRelaysEnhanced: the loopback server announces E-RTMP, takes
// HEVC + Opus from `onair live` (no trust needed) and relays the enhanced
// tags to OnAir's player over RTMP and HTTP-FLV; its status API names the
// codecs.
func TestServeRelaysEnhanced(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "rtmp://" + srv.RTMPAddr() + "/live/ev"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	_, stderr, code := runLiveAsync(lctx, "--to", url, "--vcodec", "hevc", "--acodec", "opus",
		"--size", "640x360", "--preset", "ultrafast", "--keyint", "1s")
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = srv.Hub().WaitLive(wctx, "ev")
	wcancel()
	if err != nil {
		stop()
		t.Fatalf("the HEVC stream did not come up: %v\n%s", err, stderr.String())
	}
	checkEnhancedPlay(t, playLast(t, url, 3*time.Second), 50)
	checkEnhancedPlay(t, playLast(t, "http://"+srv.HTTPAddr()+"/live/ev.flv", 3*time.Second), 50)
	for _, s := range srv.Hub().Streams() {
		if s.Name != "ev" {
			continue
		}
		if s.Video == nil || s.Video.Codec != "hevc" || s.Video.Width != 640 || s.Audio == nil || s.Audio.Codec != "opus" || s.Audio.Channels != 2 {
			t.Errorf("status of the stream: video %+v audio %+v, want hevc 640x360 and opus 2 ch", s.Video, s.Audio)
		}
	}
	stop()
	if c := <-code; c != 0 {
		t.Fatalf("onair live: exit %d: %s", c, stderr.String())
	}
}

// TestRecordEnhancedFLV: `onair live --record x.flv` with HEVC and Opus
// writes enhanced FLV tags, and `onair play x.flv` reads them with OnAir's
// own FLV demuxer (FFmpeg 5.1's cannot): both tracks decode, at the file's
// pace, to the end.
func TestRecordEnhancedFLV(t *testing.T) {
	path := t.TempDir() + "/ev.flv"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	if c := Run(ctx, []string{"live", "--record", path, "--vcodec", "hevc", "--acodec", "opus", "--size", "640x360",
		"--preset", "ultrafast", "--keyint", "1s", "--duration", "3s"}, &out, &errOut); c != 0 {
		t.Fatalf("onair live --record: exit %d: %s", c, errOut.String())
	}
	start := time.Now()
	last := playLast(t, path, 10*time.Second)
	if took := time.Since(start); took < 2500*time.Millisecond {
		t.Errorf("a 3 s file played in %v: not at its pace", took)
	}
	if last["state"] != "ended" {
		t.Errorf("state %v at the end of the file", last["state"])
	}
	checkEnhancedPlay(t, last, 80)
}

// TestLiveAV1: `onair live --vcodec av1` (SVT-AV1) pushes av01 tags with
// an av1C built from the encoder's sequence header; gortmplib's server
// parses an AV1 track from them and plays it back; OnAir's player decodes
// it, from there and through the loopback server.
func TestLiveAV1(t *testing.T) {
	srv, err := peer.StartGoRTMP()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	loop, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer loop.Close()
	url, lurl := "rtmp://"+srv.Addr()+"/live/av", "rtmp://"+loop.RTMPAddr()+"/live/av"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	_, stderr, code := runLiveAsync(lctx, "--to", url, "--to", lurl, "--vcodec", "av1", "--acodec", "opus", "--trust-enhanced",
		"--size", "640x360", "--preset", "ultrafast", "--keyint", "1s")
	time.Sleep(1500 * time.Millisecond)
	// gortmplib starts a player at the next keyframe (one a second) and
	// only then does the stream flow: on a loaded machine that took 2.2 s.
	fromPeer := playLast(t, url, 4*time.Second)
	fromLoop := playLast(t, lurl, 3*time.Second)
	stop()
	if c := <-code; c != 0 {
		t.Fatalf("onair live: exit %d: %s", c, stderr.String())
	}
	pubs, errs := srv.Publishes()
	t.Logf("gortmplib received %+v (errors %v)", pubs, errs)
	if len(pubs) != 1 || strings.Join(pubs[0].Codecs, ",") != "AV1,Opus" || pubs[0].Video < 100 {
		t.Errorf("gortmplib read %+v: want an AV1 and an Opus track, 100 pictures or more", pubs)
	}
	checkPlayCodecs(t, fromPeer, "av1", 30)
	checkPlayCodecs(t, fromLoop, "av1", 40)
	for _, s := range loop.Hub().Streams() {
		if s.Name == "av" && (s.Video == nil || s.Video.Codec != "av1" || s.Video.Width != 640 || s.Video.Height != 360) {
			t.Errorf("the loopback describes the video as %+v, want av1 640x360", s.Video)
		}
	}
}
