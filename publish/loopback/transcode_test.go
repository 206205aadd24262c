package loopback

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/peer"
)

// publish720p pushes a 1280×720 30 fps H.264 (1 s GOP, no B-frames) +
// AAC test stream with the ffmpeg CLI for dur.
func publish720p(t *testing.T, url string, dur time.Duration) {
	t.Helper()
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-hide_banner", "-nostdin", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-bf", "0", "-b:v", "2500k",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-t", fmt.Sprint(dur.Seconds()), "-f", "flv", url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

// watchSource reads stream name over RTMP until ctx ends, counting video
// frames.
func watchSource(ctx context.Context, t *testing.T, addr, name string, wg *sync.WaitGroup, frames *atomic.Int64) {
	c, err := dialPlay(ctx, addr, name)
	if err != nil {
		t.Errorf("viewer of %s: %v", name, err)
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.Close()
		for {
			m, err := c.ReadMedia(ctx)
			if err != nil {
				return
			}
			if m.TypeID == 9 && len(m.Payload) > 1 && m.Payload[1] == 1 {
				frames.Add(1)
			}
		}
	}()
}

// keyTimes collects the DTS of the keyframes of stream name for d.
func keyTimes(t *testing.T, s *Server, name string, d time.Duration) []time.Duration {
	r, err := s.Hub().Play(name, "internal")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer s.Hub().Leave(name, r)
	var keys []time.Duration
	end := time.After(d)
	var buf []*Unit
	for {
		buf = r.Next(buf)
		for _, u := range buf {
			if u.Kind == KindVideo && u.Key && !u.Header {
				keys = append(keys, u.DTS)
			}
		}
		select {
		case <-end:
			return keys
		case <-r.Ready():
		}
	}
}

// TestTranscodeLadder: a 720p30 stream from the ffmpeg CLI with
// --transcode 480p,360p: ffprobe reads the master playlist's three
// variants (sizes, h264 + aac), the renditions over RTMP and HTTP-FLV;
// their keyframes fall where the source's do; the status API describes
// the ladder; the source's viewer loses nothing while it runs.
func TestTranscodeLadder(t *testing.T) {
	ladder, err := ParseLadder("480p,360p,720p")
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{Transcode: ladder})
	publish720p(t, "rtmp://"+s.RTMPAddr()+"/live/lad", 40*time.Second)
	waitStream(t, s, "lad")
	waitStream(t, s, "lad_480p")
	waitStream(t, s, "lad_360p")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	vctx, vcancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var srcFrames atomic.Int64
	watchSource(vctx, t, s.RTMPAddr(), "lad", &wg, &srcFrames)
	started := time.Now()

	// Keyframes: the renditions' at the source's times.
	var keys [3][]time.Duration
	var kwg sync.WaitGroup
	for i, name := range []string{"lad", "lad_480p", "lad_360p"} {
		kwg.Add(1)
		go func() {
			defer kwg.Done()
			keys[i] = keyTimes(t, s, name, 4*time.Second)
		}()
	}
	kwg.Wait()
	for i, k := range keys[1:] {
		common := 0
		for _, d := range k {
			if slices.Contains(keys[0], d) {
				common++
			} else if d > keys[0][0] && d < keys[0][len(keys[0])-1] {
				t.Errorf("rendition %d has a keyframe at %v where the source has none (source: %v)", i, d, keys[0])
			}
		}
		if common < 3 {
			t.Errorf("rendition %d: keyframes %v, source %v: want them aligned", i, k, keys[0])
		}
	}

	p, err := peer.FFprobe(ctx, "http://"+s.HTTPAddr()+"/live/lad/master.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	var sizes []string
	audio := 0
	for _, st := range p.Streams {
		switch st.CodecType {
		case "video":
			if st.CodecName != "h264" {
				t.Errorf("variant video codec %s", st.CodecName)
			}
			sizes = append(sizes, fmt.Sprintf("%dx%d", st.Width, st.Height))
		case "audio":
			if st.CodecName == "aac" {
				audio++
			}
		}
	}
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	if want := []string{"1280x720", "640x360", "854x480"}; !slices.Equal(sizes, want) || audio < 3 {
		t.Errorf("master playlist variants: video %v, %d AAC tracks; want %v and 3", sizes, audio, want)
	}
	for _, c := range []struct{ url, size string }{
		{"rtmp://" + s.RTMPAddr() + "/live/lad_480p", "854x480"},
		{"http://" + s.HTTPAddr() + "/live/lad_360p.flv", "640x360"},
	} {
		if _, err := peer.FFmpeg(ctx, "-i", c.url, "-frames:v", "30", "-f", "null", "-"); err != nil {
			t.Errorf("%s: decoding: %v", c.url, err)
		}
		p, err := peer.FFprobe(ctx, c.url)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := p.Stream("video")
		a, _ := p.Stream("audio")
		if got := fmt.Sprintf("%dx%d", v.Width, v.Height); got != c.size || a.CodecName != "aac" {
			t.Errorf("%s: %s %s, want %s aac", c.url, got, a.CodecName, c.size)
		}
	}

	vcancel()
	wg.Wait()
	watched := time.Since(started)
	var src *StreamInfo
	for _, st := range s.Streams() {
		if st.Name == "lad" {
			src = &st
		}
	}
	if src == nil || src.Transcode == nil {
		t.Fatalf("status: %+v", src)
	}
	tr := src.Transcode
	if len(tr.Renditions) != 2 || tr.Renditions[0].Width != 854 || tr.Renditions[1].Height != 360 ||
		len(tr.Dropped) != 0 || !slices.Equal(tr.Skipped, []string{"720p"}) {
		t.Errorf("ladder status: %+v", tr)
	}
	if src.Dropped != 0 {
		t.Errorf("the source's viewers dropped %d units while the ladder ran", src.Dropped)
	}
	// 30 fps: the source's viewer got them all (less a second of slack).
	if n, want := srcFrames.Load(), int64((watched.Seconds()-1)*30); n < want {
		t.Errorf("the source's viewer got %d frames in %v, want >= %d", n, watched.Round(time.Millisecond), want)
	}
	for _, g := range tr.Renditions {
		if g.Frames < int64(watched.Seconds()*30*0.9) {
			t.Errorf("rendition %s: %d frames in %v: not real time", g.Name, g.Frames, watched)
		}
	}
	t.Logf("keyframes: source %v, 480p %v, 360p %v; source viewer %d frames in %v; renditions %+v",
		keys[0], keys[1], keys[2], srcFrames.Load(), watched.Round(time.Millisecond), tr.Renditions)
	get(t, "http://"+s.HTTPAddr()+"/live/nope/master.m3u8", 404)
}

// TestTranscodeTooSlow: on a machine too slow for the whole ladder (each
// rendition takes 16 ms more per picture: two take 32 ms of a 33 ms frame
// before any encoding, one leaves half of it free even on a loaded
// machine), the largest rendition is dropped, with one warning, and the
// other goes on in real time; the source's viewer loses nothing.
func TestTranscodeTooSlow(t *testing.T) {
	var logs peer.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ladder, _ := ParseLadder("480p,360p")
	s := startServer(t, Config{Transcode: ladder, transcodeDelay: 16 * time.Millisecond, Logger: log})
	publish720p(t, "rtmp://"+s.RTMPAddr()+"/live/slow", 40*time.Second)
	waitStream(t, s, "slow")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var srcFrames atomic.Int64
	watchSource(ctx, t, s.RTMPAddr(), "slow", &wg, &srcFrames)
	var info TranscodeInfo
	for ctx.Err() == nil {
		info, _ = s.Transcode("slow")
		if len(info.Dropped) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Equal(info.Dropped, []string{"480p"}) {
		t.Fatalf("dropped %v, want [480p]", info.Dropped)
	}
	// The one left keeps real time from here.
	before := info.Renditions[0].Frames
	time.Sleep(5 * time.Second)
	info, _ = s.Transcode("slow")
	if len(info.Renditions) != 1 || info.Renditions[0].Name != "360p" || info.Renditions[0].Frames-before < 5*30*9/10 ||
		!slices.Equal(info.Dropped, []string{"480p"}) {
		t.Errorf("after the drop: %+v (360p had %d frames 5 s before)", info, before)
	}
	for _, st := range s.Streams() {
		if st.Name == "slow_480p" {
			t.Error("the dropped rendition's stream is still live")
		}
		if st.Name == "slow" && st.Dropped != 0 {
			t.Errorf("the source's viewer dropped %d units", st.Dropped)
		}
	}
	cancel()
	wg.Wait()
	if n := strings.Count(logs.String(), "cannot keep real time"); n != 1 {
		t.Errorf("%d warnings that the machine cannot keep real time, want 1:\n%s", n, logs.String())
	}
}
