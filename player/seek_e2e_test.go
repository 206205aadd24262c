package player

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/internal/peer"
	"onair/publish/loopback"
)

// grabSink keeps a copy of the luma plane of the first picture presented
// after arm whose time is near the target, and when it came. Pictures far
// from it are the ones shown before the seek took effect (Seek returns at
// once; the reader does it): not what the seek shows.
type grabSink struct {
	mu     sync.Mutex
	armed  bool
	near   time.Duration // the target
	got    chan struct{}
	pts    time.Duration
	at     time.Time
	w, h   int
	luma   []byte
	frames int
}

// seekNear is how far from the target a picture may be and count.
const seekNear = 2 * time.Second

func (s *grabSink) arm(target time.Duration) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.near, s.got = true, target, make(chan struct{})
	return s.got
}

func (s *grabSink) Present(f *media.VideoFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames++
	if !s.armed || f.PTS < s.near-seekNear || f.PTS > s.near+seekNear {
		return
	}
	s.armed = false
	s.pts, s.at, s.w, s.h = f.PTS, time.Now(), f.Width, f.Height
	s.luma = make([]byte, 0, f.Width*f.Height)
	for y := 0; y < f.Height; y++ {
		row := f.Planes[0][y*f.Strides[0]:]
		s.luma = append(s.luma, row[:f.Width]...)
	}
	close(s.got)
}

// grabbed waits for the armed picture: its PTS, luma plane and the time
// from `from` to its presentation.
func (s *grabSink) grabbed(t *testing.T, got chan struct{}, from time.Time, within time.Duration) (time.Duration, []byte, time.Duration) {
	t.Helper()
	select {
	case <-got:
	case <-time.After(within):
		t.Fatalf("no picture presented within %v", within)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pts, s.luma, s.at.Sub(from)
}

// ffmpegPictures is the luma planes (w×h) of the ffmpeg CLI's picture at
// pts in path and of the one before it, found by their index among the
// file's pictures as ffprobe lists them.
func ffmpegPictures(t *testing.T, path string, pts time.Duration, w, h int) (at, before []byte) {
	t.Helper()
	bin, err := peer.Require("ffprobe", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	idx := -1
	for i, l := range strings.Fields(string(out)) {
		sec, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if err == nil && math.Abs(sec-pts.Seconds()) < 0.002 {
			idx = i
			break
		}
	}
	if idx < 1 {
		t.Fatalf("%s has no picture at %v (ffprobe lists %d)", filepath.Base(path), pts, len(strings.Fields(string(out))))
	}
	raw := filepath.Join(t.TempDir(), fmt.Sprintf("at%d.yuv", pts.Milliseconds()))
	ffmpeg(t, "-v", "error", "-i", path, "-vf", fmt.Sprintf("select=eq(n\\,%d)+eq(n\\,%d)", idx-1, idx), "-vsync", "0",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	size := w * h * 3 / 2
	if len(b) != 2*size {
		t.Fatalf("ffmpeg's pictures %d and %d: %d bytes, want 2 of %dx%d", idx-1, idx, len(b), w, h)
	}
	return b[size : size+w*h], b[:w*h]
}

// differing is the share of pixels that differ by more than 2 levels.
func differing(a, b []byte) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 1
	}
	n := 0
	for i := range a {
		if d := int(a[i]) - int(b[i]); d > 2 || d < -2 {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// seekClip is a 30 s clip, 640x360 at 30 fps, x264 veryfast (B-frames)
// with a keyframe every gop frames, and AAC. x264's default interval,
// OBS's too, is 250: a seek to 20 s then decodes from 16.7 s.
func seekClip(t *testing.T, path string, gop int, extra ...string) string {
	t.Helper()
	args := []string{"-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "30", "-c:v", "libx264", "-preset", "veryfast", "-g", fmt.Sprint(gop), "-pix_fmt", "yuv420p", "-c:a", "aac"}
	ffmpeg(t, append(append(args, extra...), path)...)
	return path
}

// checkSeekPicture: the picture shown after a seek to at is the one the
// ffmpeg CLI shows at at (± tolerance in time, for a server that seeks to
// a keyframe), and not its neighbour.
func checkSeekPicture(t *testing.T, what, clip string, pts time.Duration, luma []byte, at, tolerance time.Duration) {
	t.Helper()
	if pts < at-tolerance-time.Millisecond || pts > at+tolerance+34*time.Millisecond {
		t.Errorf("%s: first picture after the seek to %v is at %v", what, at, pts)
	}
	want, prev := ffmpegPictures(t, clip, pts, 640, 360)
	d, dn := differing(luma, want), differing(want, prev)
	t.Logf("%s: seek to %v shows %v; pixels differing from ffmpeg's picture there %.4f%%, its neighbour's %.2f%%",
		what, at, pts, d*100, dn*100)
	if d > 0.001 || dn < 0.01 {
		t.Errorf("%s: the picture at %v differs from ffmpeg's in %.3f%% of its pixels (the frame before it: %.2f%%)", what, pts, d*100, dn*100)
	}
}

// TestSeekAccuracy seeks in a file: the first picture shown is the frame at
// the target, as the ffmpeg CLI extracts it; seeking back, seeking while
// paused (the target picture shows, paused) and starting at a position
// (Config.Start) do the same; seeking past the end ends playback cleanly.
func TestSeekAccuracy(t *testing.T) {
	clip := seekClip(t, filepath.Join(t.TempDir(), "seek.mp4"), 250)
	sink := &grabSink{}
	p, err := openPlayer(t, context.Background(), Config{URL: clip, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, p, 3, 3*time.Second)
	if !p.Seekable() || p.Live() {
		t.Fatalf("a file: Seekable %v, Live %v", p.Seekable(), p.Live())
	}
	if err := p.JumpToLive(); !errors.Is(err, ErrNotLive) {
		t.Errorf("JumpToLive on a file = %v, want ErrNotLive", err)
	}
	for _, at := range []time.Duration{20 * time.Second, 5 * time.Second} {
		got := sink.arm(at)
		start := time.Now()
		if err := p.Seek(at); err != nil {
			t.Fatal(err)
		}
		pts, luma, took := sink.grabbed(t, got, start, 3*time.Second)
		t.Logf("seek to %v: picture after %v", at, took.Round(time.Millisecond))
		time.Sleep(300 * time.Millisecond)
		if pos := p.Stats().Position; pos < at+200*time.Millisecond || pos > at+500*time.Millisecond {
			t.Errorf("position %v 300 ms after the picture at %v", pos, at)
		}
		checkSeekPicture(t, "file", clip, pts, luma, at, 0)
	}
	// Paused: the picture at the target shows, and playback stays paused.
	p.SetPaused(true)
	time.Sleep(100 * time.Millisecond)
	got := sink.arm(12 * time.Second)
	if err := p.Seek(12 * time.Second); err != nil {
		t.Fatal(err)
	}
	pts, luma, _ := sink.grabbed(t, got, time.Now(), 3*time.Second)
	checkSeekPicture(t, "file, paused", clip, pts, luma, 12*time.Second, 0)
	n := p.Stats().Frames
	time.Sleep(300 * time.Millisecond)
	if st := p.Stats(); st.Frames != n || st.State != StatePaused {
		t.Errorf("after a seek while paused: %d pictures more, state %v; want none, paused", st.Frames-n, st.State)
	}
	p.SetPaused(false)
	waitFrames(t, p, n+5, 2*time.Second)
	// Past the end: playback ends, cleanly.
	if err := p.Seek(31 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, p, 3*time.Second); err != nil {
		t.Errorf("Wait after seeking past the end = %v, want nil", err)
	}
	if st := p.Stats(); st.Dropped != 0 || st.State != StateEnded {
		t.Errorf("after seeking past the end: dropped %d, state %v; want 0, ended", st.Dropped, st.State)
	}

	// Config.Start.
	sink2 := &grabSink{}
	got = sink2.arm(10 * time.Second)
	start := time.Now()
	p2, err := openPlayer(t, context.Background(), Config{URL: clip, Sink: sink2, Start: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pts, luma, _ = sink2.grabbed(t, got, start, 3*time.Second)
	checkSeekPicture(t, "file, Start", clip, pts, luma, 10*time.Second, 0)
	p2.Close()
}

// TestVOD plays recordings that nginx-rtmp serves (its play directive), an
// MP4 and an FLV with a keyframe index: duration from onMetaData, seek
// (NetStream.seek: the picture at the target within a second), pause on
// the server, a start position, a missing file, and the end.
func TestVOD(t *testing.T) {
	ng, err := peer.StartNginx(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ng.Stop)
	// nginx starts a seek at the next keyframe: one a second. It ignores
	// MP4 edit lists, which FFmpeg writes to start a stream with B-frames
	// at 0: without one both read the same timestamps (two frame times
	// later), and the pictures compare.
	mp4 := seekClip(t, filepath.Join(ng.Dir, "vod", "clip.mp4"), 30, "-use_editlist", "0")
	ffmpeg(t, "-v", "error", "-i", mp4, "-c", "copy", "-flvflags", "add_keyframe_index", filepath.Join(ng.Dir, "vod", "clip.flv"))

	checkVOD(t, func(string) string { return mp4 }, func(name string) string { return ng.URL("vod", name) }, []string{"clip.mp4", "clip.flv"}, time.Second)
	t.Run("live cannot seek", func(t *testing.T) {
		livePublish(t, ng.URL("live", "cam"))
		var p *Player
		deadline := time.Now().Add(10 * time.Second)
		for {
			var err error
			p, err = openPlayer(t, context.Background(), Config{URL: ng.URL("live", "cam"), OpenTimeout: 3 * time.Second})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		err := p.Seek(5 * time.Second)
		if !errors.Is(err, ErrNotSeekable) || !p.Live() {
			t.Errorf("Seek on a live stream = %v (live %v), want ErrNotSeekable", err, p.Live())
		}
		t.Logf("seeking a live stream: %v", err)
		if err := p.JumpToLive(); err != nil {
			t.Errorf("JumpToLive = %v", err)
		}
	})
}

// checkVOD plays the recordings names from a server over RTMP: the
// duration, seeks (the picture shown is ffmpeg's at the target in the file
// ref(name), give or take tolerance), pause, the end, a start position (in
// names[0]) and a missing recording.
func checkVOD(t *testing.T, ref func(name string) string, url func(name string) string, names []string, tolerance time.Duration) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sink := &grabSink{}
			p, err := openPlayer(t, context.Background(), Config{URL: url(name), Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			waitFrames(t, p, 3, 5*time.Second)
			st := p.Stats()
			if !p.Seekable() || p.Live() || st.Duration < 29*time.Second || st.Duration > 31*time.Second {
				t.Fatalf("Seekable %v, Live %v, Duration %v: want a 30 s recording", p.Seekable(), p.Live(), st.Duration)
			}
			for _, at := range []time.Duration{20 * time.Second, 4 * time.Second} {
				got := sink.arm(at)
				start := time.Now()
				if err := p.Seek(at); err != nil {
					t.Fatal(err)
				}
				pts, luma, took := sink.grabbed(t, got, start, 3*time.Second)
				t.Logf("seek to %v over RTMP: picture after %v", at, took.Round(time.Millisecond))
				within(t, "time from Seek to the picture", took, 0, time.Second)
				checkSeekPicture(t, name, ref(name), pts, luma, at, tolerance)
			}
			// Paused for longer than nothing arriving would be a stall.
			p.SetPaused(true)
			time.Sleep(200 * time.Millisecond)
			n := p.Stats().Frames
			time.Sleep(time.Second)
			if st := p.Stats(); st.Frames != n || st.State != StatePaused {
				t.Errorf("paused: %d pictures more, state %v", st.Frames-n, st.State)
			}
			p.SetPaused(false)
			waitFrames(t, p, n+10, 3*time.Second)
			// The end: a seek close to it, then the recording ends.
			if err := p.Seek(29 * time.Second); err != nil {
				t.Fatal(err)
			}
			if err := waitEnd(t, p, 5*time.Second); err != nil {
				t.Errorf("Wait at the end of the recording = %v, want nil", err)
			}
			if st := p.Stats(); st.Dropped != 0 {
				t.Errorf("dropped %d playing a recording (late pictures %d, audio %d, queues %d)", st.Dropped, p.lateDropped.Load(), p.audioDropped.Load(), p.queueDrops())
			}
		})
	}
	t.Run("start", func(t *testing.T) {
		sink := &grabSink{}
		got := sink.arm(15 * time.Second)
		start := time.Now()
		p, err := openPlayer(t, context.Background(), Config{URL: url(names[0]), Sink: sink, Start: 15 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		pts, luma, _ := sink.grabbed(t, got, start, 5*time.Second)
		checkSeekPicture(t, "start", ref(names[0]), pts, luma, 15*time.Second, tolerance)
		p.Close()
	})
	t.Run("not found", func(t *testing.T) {
		_, err := openPlayer(t, context.Background(), Config{URL: url("nope.mp4"), OpenTimeout: 5 * time.Second})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Open of a missing recording = %v, want ErrNotFound", err)
		}
	})
}

// TestLoopbackVOD plays recordings on demand from OnAir's own server
// (`onair serve --vod DIR`): an MP4 with an edit list in a subfolder
// (rtmp://…/vod/sub/clip.mp4, which librtmp and FFmpeg send as app
// vod/sub) and its FLV copy without a keyframe index. The server seeks to
// the keyframe at or before the target and the player skips to it: the
// picture is ffmpeg's at the target itself.
func TestLoopbackVOD(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	seekClip(t, filepath.Join(dir, "sub", "clip.mp4"), 30)
	ffmpeg(t, "-v", "error", "-i", filepath.Join(dir, "sub", "clip.mp4"), "-c", "copy", filepath.Join(dir, "clip.flv"))
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", VODDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url := func(name string) string { return "rtmp://" + srv.RTMPAddr() + "/vod/" + name }
	// FFmpeg's FLV muxer moves the times by the B-frame delay: the FLV
	// file is its own reference.
	ref := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	checkVOD(t, ref, url, []string{"sub/clip.mp4", "clip.flv"}, 0)
}
