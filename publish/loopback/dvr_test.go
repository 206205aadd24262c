package loopback

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestRecording: with RecordDir, what the ffmpeg CLI publishes for 7 s is
// recorded as fragmented MP4 and as FLV, split into files of about 3 s at
// keyframes; ffprobe reads h264 and aac and every packet of each file
// decodes; together they hold the stream; /api/recordings lists them with
// the durations ffprobe finds.
func TestRecording(t *testing.T) {
	for _, format := range []string{RecordMP4, RecordFLV} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServer(t, Config{RecordDir: dir, RecordFormat: format, RecordSegment: 3 * time.Second})
			pub := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/rec", 7*time.Second)
			waitStream(t, s, "rec")
			_ = pub.Wait()
			// The publish ended: its last file is closed.
			var recs []Recording
			deadline := time.Now().Add(5 * time.Second)
			for {
				recs = apiRecordings(t, s)
				writing := false
				for _, r := range recs {
					writing = writing || r.Recording
				}
				if len(recs) > 0 && !writing {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("recordings after the publish ended: %+v", recs)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(recs) < 2 || len(recs) > 3 {
				t.Errorf("%d files for 7 s in 3 s segments, want 2 or 3: %+v", len(recs), recs)
			}
			var total float64
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, r := range recs {
				m, err := peer.ProbeFile(ctx, r.Path)
				if err != nil {
					t.Fatal(err)
				}
				if m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" || !m.Plays() {
					t.Errorf("%s: codecs %v, decoded %v of %v packets", r.Name, m.Codecs, m.Decoded, m.Packets)
				}
				end := max(m.End["video"], m.End["audio"])
				total += end
				t.Logf("%s: %.2f s (listed %.2f s), %d bytes, %v packets", r.Name, end, r.Seconds, r.Bytes, m.Packets)
				if r.Seconds < end-0.5 || r.Seconds > end+0.5 || r.Stream != "rec" || r.Bytes < 1000 {
					t.Errorf("%s listed as %+v; ffprobe finds %.2f s", r.Name, r, end)
				}
			}
			if total < 5.5 || total > 7.5 {
				t.Errorf("the files hold %.2f s of a 7 s publish", total)
			}
		})
	}
}

func apiRecordings(t *testing.T, s *Server) []Recording {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/api/recordings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Recordings []Recording }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Recordings
}

// TestRecordingToggle: a server that starts with recording off records
// nothing; turned on, a stream that is live is recorded from its next
// keyframe; turned off, its file is closed and plays.
func TestRecordingToggle(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Config{RecordDir: dir, RecordOff: true})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/tog", 8*time.Second)
	waitStream(t, s, "tog")
	time.Sleep(time.Second)
	if recs := apiRecordings(t, s); len(recs) != 0 || s.Recording() {
		t.Fatalf("recording off, yet %+v (Recording %v)", recs, s.Recording())
	}
	s.SetRecording(true)
	time.Sleep(3 * time.Second)
	recs := apiRecordings(t, s)
	if len(recs) != 1 || !recs[0].Recording {
		t.Fatalf("recording on: %+v", recs)
	}
	s.SetRecording(false)
	deadline := time.Now().Add(3 * time.Second)
	for recs = apiRecordings(t, s); len(recs) != 1 || recs[0].Recording; recs = apiRecordings(t, s) {
		if time.Now().After(deadline) {
			t.Fatalf("recording off: %+v", recs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := peer.ProbeFile(ctx, recs[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	end := max(m.End["video"], m.End["audio"])
	t.Logf("%s: %.2f s (listed %.2f s)", recs[0].Name, end, recs[0].Seconds)
	if end < 1.5 || end > 4.5 || !m.Plays() { // from the GOP cache's keyframe, up to a second before
		t.Errorf("3 s of recording (from the cached keyframe): %.2f s, plays %v", end, m.Plays())
	}
}
