package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"onair/app/engine"
	"onair/internal/media"
	"onair/internal/peer"
	"onair/publish/loopback"
)

// TestServeRecordEnhanced: the loopback server records an Enhanced RTMP
// stream (HEVC + Opus from OnAir's engine) into fragmented MP4 and into
// FLV; ffprobe reads hevc and opus from the MP4 and every packet decodes.
func TestServeRecordEnhanced(t *testing.T) {
	dir := t.TempDir()
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RecordDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	b, err := engine.Start(context.Background(), engine.Config{
		Video: "testsrc", Audio: "tone", Width: 640, Height: 360, FPS: 30, VideoBitrate: 1_000_000,
		AudioBitrate: 96_000, Preset: "ultrafast", KeyInterval: time.Second,
		VideoCodec: media.CodecHEVC, AudioCodec: media.CodecOpus,
		URLs: []string{"rtmp://" + srv.RTMPAddr() + "/live/ex"},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	b.Close()
	waitFor(t, 5*time.Second, "the recording is not closed", func() bool {
		recs := srv.Recordings()
		return len(recs) == 1 && !recs[0].Recording
	})
	files, _ := filepath.Glob(filepath.Join(dir, "ex", "*.mp4"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := peer.ProbeFile(ctx, files[0])
	if err != nil {
		t.Fatal(err)
	}
	end := max(m.End["video"], m.End["audio"])
	t.Logf("%s: %.2f s, codecs %v, packets %v, decoded %v", filepath.Base(files[0]), end, m.Codecs, m.Packets, m.Decoded)
	if m.Codecs["video"] != "hevc" || m.Codecs["audio"] != "opus" || !m.Plays() || end < 2.5 {
		t.Errorf("recording of HEVC + Opus: codecs %v, %.2f s, decoded %v of %v", m.Codecs, end, m.Decoded, m.Packets)
	}
}
