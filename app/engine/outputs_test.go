package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/media"
	"onair/internal/peer"
	"onair/publish/loopback"
	"onair/publish/record"
)

// small is a light broadcast of the test source and tone.
func small() Config {
	return Config{Video: "testsrc", Audio: "tone", Width: 320, Height: 240, FPS: 25, Preset: "ultrafast",
		KeyInterval: time.Second}
}

// waitSample polls Sample until cond holds.
func waitSample(t *testing.T, b *Broadcast, within time.Duration, what string, cond func(Sample) bool) Sample {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := b.Sample()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s; sample %+v, recording %+v", within, what, s, s.Recording)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkFile: the file holds H.264 and AAC that decode (ffprobe), and
// lasts at least least. (Not the ffmpeg CLI: its null muxer complains of
// the capture's uneven timestamps on a loaded machine.)
func checkFile(t *testing.T, path string, least time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := peer.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Plays() || m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" || m.End["video"] < least.Seconds() {
		t.Fatalf("%s: %+v; want h264 and aac that decode, video lasting at least %v", path, m, least)
	}
}

// TestRecordOnly: no destination, a recording: it runs, says
// "recording", and the file plays.
func TestRecordOnly(t *testing.T) {
	before := runtime.NumGoroutine()
	path := filepath.Join(t.TempDir(), "only.mkv")
	cfg := small()
	cfg.Record = path
	b, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := waitSample(t, b, 15*time.Second, "3 s recorded", func(s Sample) bool {
		return s.Recording != nil && s.Recording.Duration >= 3*time.Second
	})
	if s.State != "recording" || s.FramesSent < 60 || s.Recording.Path != path || s.Recording.Bytes == 0 ||
		s.Recording.Err != nil || len(s.Outputs) != 0 {
		t.Errorf("sample %+v, recording %+v", s, s.Recording)
	}
	b.Close()
	checkFile(t, path, 3*time.Second)
	leaktest.Check(t, before, 5*time.Second)

	cfg.Record = ""
	if _, err := Start(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "--to URL, or --record FILE") {
		t.Errorf("neither destination nor recording: %v", err)
	}
}

// TestRecordWhileLive: streaming to the loopback server and recording
// start and stop independently; a recording that cannot start (an
// unwritable folder, a full disk) says why and the stream goes on.
func TestRecordWhileLive(t *testing.T) {
	before := runtime.NumGoroutine()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	first := filepath.Join(dir, "first.mp4")
	cfg := small()
	cfg.URLs = []string{"rtmp://" + srv.RTMPAddr() + "/live/one"}
	cfg.Record = first
	b, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := srv.Hub().WaitLive(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	waitSample(t, b, 10*time.Second, "live and recording 2 s", func(s Sample) bool {
		return s.State == "live" && s.Recording != nil && s.Recording.Duration >= 2*time.Second
	})
	if err := b.StartRecording(filepath.Join(dir, "second.mkv")); !errors.Is(err, ErrRecording) {
		t.Errorf("a second recording: %v", err)
	}

	// End the stream, keep recording.
	if err := b.RemoveDestination(1); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveDestination(1); !errors.Is(err, ErrNoDestination) {
		t.Errorf("removing it again: %v", err)
	}
	s := b.Sample()
	waitSample(t, b, 10*time.Second, "recording on alone", func(n Sample) bool {
		return n.State == "recording" && len(n.Outputs) == 0 && n.Recording.Duration >= s.Recording.Duration+time.Second
	})
	// Go live again while recording.
	id, err := b.AddDestination(ctx, "rtmp://"+srv.RTMPAddr()+"/live/two")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Hub().WaitLive(ctx, "two"); err != nil {
		t.Fatal(err)
	}
	// Stop recording, keep streaming.
	if err := b.StopRecording(); err != nil {
		t.Fatal(err)
	}
	if err := b.StopRecording(); !errors.Is(err, ErrNotRecording) {
		t.Errorf("stopping again: %v", err)
	}
	s = waitSample(t, b, 10*time.Second, "live to the second destination", func(s Sample) bool {
		return s.State == "live" && len(s.Outputs) == 1 && s.Outputs[0].ID == id && s.Recording == nil
	})
	if s.Outputs[0].Dropped != 0 {
		t.Errorf("the destination added while running counts %d drops: it starts at a keyframe", s.Outputs[0].Dropped)
	}
	checkFile(t, first, 3*time.Second)

	// Recordings that cannot start: the stream goes on.
	unwritable, cleanup, err := peer.UnwritableDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if err := b.StartRecording(filepath.Join(unwritable, "x.mp4")); !errors.Is(err, record.ErrCreate) {
		t.Errorf("an unwritable folder: %v", err)
	}
	full := filepath.Join(dir, "full.flv")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	if err := b.StartRecording(full); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("a full disk: %v", err)
	}
	waitSample(t, b, 5*time.Second, "still live, a second more sent", func(n Sample) bool {
		return n.State == "live" && n.FramesSent >= s.FramesSent+25 && n.Recording == nil
	})
	b.Close()
	if _, err := b.AddDestination(ctx, "rtmp://"+srv.RTMPAddr()+"/live/three"); !errors.Is(err, ErrClosed) {
		t.Errorf("adding after Close: %v", err)
	}
	if err := b.StartRecording(filepath.Join(dir, "late.mp4")); !errors.Is(err, ErrClosed) {
		t.Errorf("recording after Close: %v", err)
	}
	srv.Close()
	leaktest.Check(t, before, 5*time.Second)
}

type packetLog []*media.Packet

func (l *packetLog) Push(p *media.Packet) { *l = append(*l, p) }

// TestFromKey: a destination added while running gets packets from the
// first video keyframe on, audio included.
func TestFromKey(t *testing.T) {
	var got packetLog
	f := &fromKey{next: &got}
	in := []*media.Packet{
		{Codec: media.CodecAAC}, {Codec: media.CodecH264}, {Codec: media.CodecAAC},
		{Codec: media.CodecH264, Key: true}, {Codec: media.CodecAAC}, {Codec: media.CodecH264},
	}
	for _, p := range in {
		f.Push(p)
	}
	if len(got) != 3 || got[0] != in[3] || got[1] != in[4] || got[2] != in[5] {
		t.Errorf("passed %d packets, want the last 3", len(got))
	}
}

// TestOutputsLater: a broadcast started with no output runs ("idle");
// two destinations added at once connect each on its own, a refused one
// failing without touching the other; removing the live one leaves it
// idle again.
func TestOutputsLater(t *testing.T) {
	before := runtime.NumGoroutine()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := small()
	cfg.OutputsLater = true
	b, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	waitSample(t, b, 10*time.Second, "frames in while idle", func(s Sample) bool {
		return s.State == "idle" && s.FramesIn > 10 && len(s.Outputs) == 0
	})
	refused := freeAddr(t)
	type result struct {
		id  int
		err error
	}
	live, failed := make(chan result, 1), make(chan result, 1)
	go func() {
		id, err := b.AddDestination(ctx, "rtmp://"+srv.RTMPAddr()+"/live/later")
		live <- result{id, err}
	}()
	go func() {
		id, err := b.AddDestination(ctx, "rtmp://"+refused+"/live/nobody")
		failed <- result{id, err}
	}()
	if r := <-failed; r.err == nil || !strings.Contains(r.err.Error(), "refused") {
		t.Errorf("the refused destination: id %d, %v", r.id, r.err)
	}
	r := <-live
	if r.err != nil {
		t.Fatal(r.err)
	}
	if _, err := srv.Hub().WaitLive(ctx, "later"); err != nil {
		t.Fatal(err)
	}
	waitSample(t, b, 10*time.Second, "live to the one destination", func(s Sample) bool {
		return s.State == "live" && len(s.Outputs) == 1 && s.Outputs[0].ID == r.id && s.FramesSent > 10
	})
	if err := b.RemoveDestination(r.id); err != nil {
		t.Fatal(err)
	}
	waitSample(t, b, 5*time.Second, "idle again", func(s Sample) bool { return s.State == "idle" && len(s.Outputs) == 0 })
	b.Close()
	srv.Close()
	leaktest.Check(t, before, 5*time.Second)
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
