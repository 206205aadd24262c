package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestServeRecordCrash: `onair serve --record DIR` records what the
// ffmpeg CLI publishes; killed with SIGKILL mid-stream, its file (MP4 and
// FLV) still plays in ffprobe and holds all but at most a second of what
// was published until the kill.
func TestServeRecordCrash(t *testing.T) {
	bin := buildBinary(t)
	ff, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"mp4", "flv"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rtmpAddr, httpAddr := freeAddr(t), freeAddr(t)
			srv := exec.Command(bin, "serve", "--rtmp", rtmpAddr, "--http", httpAddr, "--record", dir, "--record-format", format)
			var stderr syncBuffer
			srv.Stderr = &stderr
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
			pub := exec.Command(ff, "-hide_banner", "-nostdin", "-v", "error",
				"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
				"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
				"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
				"-c:a", "aac", "-t", "30", "-f", "flv", "rtmp://"+rtmpAddr+"/live/crash")
			// The server listens once its status answers.
			waitFor(t, 10*time.Second, "onair serve does not answer", func() bool {
				resp, err := http.Get("http://" + httpAddr + "/api/streams")
				if err == nil {
					resp.Body.Close()
				}
				return err == nil
			})
			if err := pub.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = pub.Process.Kill(); _ = pub.Wait() })
			var live time.Time
			waitFor(t, 10*time.Second, "the stream never showed in /api/streams", func() bool {
				resp, err := http.Get("http://" + httpAddr + "/api/streams")
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				var v struct{ Streams []struct{ Name string } }
				_ = json.NewDecoder(resp.Body).Decode(&v)
				for _, s := range v.Streams {
					if s.Name == "crash" {
						live = time.Now()
						return true
					}
				}
				return false
			})
			time.Sleep(5 * time.Second)
			_ = srv.Process.Kill() // SIGKILL: no chance to close the file
			published := time.Since(live).Seconds()
			_ = srv.Wait()
			files, _ := filepath.Glob(filepath.Join(dir, "crash", "crash-*."+format))
			if len(files) != 1 {
				t.Fatalf("files %v, want one; server said:\n%s", files, stderr.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			m, err := peer.ProbeFile(ctx, files[0])
			if err != nil {
				t.Fatal(err)
			}
			end := max(m.End["video"], m.End["audio"])
			t.Logf("%s after SIGKILL: %.2f s of %.2f s published, %v packets, decoded %v", filepath.Base(files[0]), end, published, m.Packets, m.Decoded)
			if m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" || !m.Plays() {
				t.Errorf("codecs %v, decoded %v of %v packets", m.Codecs, m.Decoded, m.Packets)
			}
			if end < published-1.2 {
				t.Errorf("the file holds %.2f s of %.2f s published: a crash lost more than a second", end, published)
			}
			if !strings.Contains(stderr.String(), "recording every stream into") {
				t.Errorf("serve did not say it records: %s", stderr.String())
			}
			// The recording a crash ended plays on demand from a server
			// started on the folder: over RTMP, and as HLS (every picture).
			rtmp2, http2 := freeAddr(t), freeAddr(t)
			vodSrv := exec.Command(bin, "serve", "--rtmp", rtmp2, "--http", http2, "--vod", dir)
			var vodErr syncBuffer
			vodSrv.Stderr = &vodErr
			if err := vodSrv.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = vodSrv.Process.Kill(); _ = vodSrv.Wait() })
			waitFor(t, 10*time.Second, "onair serve --vod does not answer", func() bool {
				resp, err := http.Get("http://" + http2 + "/api/streams")
				if err == nil {
					resp.Body.Close()
				}
				return err == nil
			})
			name := "crash/" + filepath.Base(files[0])
			p, err := peer.FFprobe(ctx, "rtmp://"+rtmp2+"/vod/"+name)
			if v, ok := p.Stream("video"); err != nil || !ok || v.CodecName != "h264" {
				t.Errorf("ffprobe of rtmp://…/vod/%s: %v, %+v\n%s", name, err, p, vodErr.String())
			}
			h, err := peer.FFprobe(ctx, "http://"+http2+"/vod/"+name+"/index.m3u8", "-count_frames")
			if err != nil {
				t.Fatal(err)
			}
			v, _ := h.Stream("video")
			t.Logf("on demand: HLS of %s has %s pictures", name, v.NbReadFrames)
			if n, _ := strconv.Atoi(v.NbReadFrames); float64(n) < (end-0.5)*25 {
				t.Errorf("HLS of %s: %s pictures, the file holds %.2f s at 25 fps", name, v.NbReadFrames, end)
			}
			if !strings.Contains(vodErr.String(), "on demand, the files in") {
				t.Errorf("serve --vod did not say where: %s", vodErr.String())
			}
		})
	}
}
