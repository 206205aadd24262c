package player

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/leaktest"
	"onair/internal/media"
	"onair/internal/peer"
	"onair/internal/urlmask"
	"onair/publish/loopback"
)

// ---------------------------------------------------------------- helpers

var quietFFmpeg sync.Once

// quiet keeps FFmpeg's own log to errors: the corrupt-file tests make it
// talkative.
func quiet() {
	quietFFmpeg.Do(func() { astiav.SetLogLevel(astiav.LogLevelError) })
}

// countSink counts the pictures it is given and remembers their size; snap,
// when set, is called with the first picture (inside Present, while the
// frame is valid).
type countSink struct {
	frames atomic.Int64
	mu     sync.Mutex
	w, h   int
	format media.PixelFormat
	pts    []time.Duration
	at     []time.Time // when each picture was presented
	snap   func(f *media.VideoFrame)
}

func (s *countSink) Present(f *media.VideoFrame) {
	n := s.frames.Add(1)
	s.mu.Lock()
	s.w, s.h, s.format = f.Width, f.Height, f.Format
	s.pts = append(s.pts, f.PTS)
	s.at = append(s.at, time.Now())
	snap := s.snap
	s.mu.Unlock()
	if n == 1 && snap != nil {
		snap(f)
	}
}

func (s *countSink) size() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w, s.h
}

// maxGap is the longest time between two pictures presented in [from, to].
func (s *countSink) maxGap(from, to time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gap time.Duration
	prev := from
	for _, at := range s.at {
		if at.Before(from) || at.After(to) {
			continue
		}
		gap = max(gap, at.Sub(prev))
		prev = at
	}
	return max(gap, to.Sub(prev))
}

// ffmpeg runs the ffmpeg CLI (a missing one fails the test with an install
// hint).
func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := peer.FFmpeg(ctx, append([]string{"-y"}, args...)...); err != nil {
		t.Fatal(err)
	}
}

var (
	encodersOnce sync.Once
	encoders     string
	encodersErr  error
)

// hasEncoder reports whether this ffmpeg build has the encoder name.
func hasEncoder(t *testing.T, name string) bool {
	t.Helper()
	encodersOnce.Do(func() {
		out, err := peer.FFmpeg(context.Background(), "-encoders")
		encoders, encodersErr = string(out), err
	})
	if encodersErr != nil {
		t.Fatal(encodersErr)
	}
	for _, l := range strings.Split(encoders, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == name {
			return true
		}
	}
	return false
}

// Test clips: 320x240 at 25 fps, a 440 Hz tone at 48 kHz.
const (
	clipFPS  = 25
	clipSize = "320x240"
)

// makeClip writes a clip of dur seconds with the ffmpeg CLI; vcodec "" makes
// an audio-only file, acodec "" a video-only one. extra go before the
// output name.
func makeClip(t *testing.T, path string, dur float64, vcodec, acodec string, extra ...string) string {
	t.Helper()
	var a []string
	if vcodec != "" {
		a = append(a, "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=%d", clipSize, clipFPS))
	}
	if acodec != "" {
		a = append(a, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000")
	}
	a = append(a, "-t", strconv.FormatFloat(dur, 'f', -1, 64))
	if vcodec != "" {
		a = append(a, "-c:v", vcodec, "-pix_fmt", "yuv420p", "-g", strconv.Itoa(clipFPS))
		switch vcodec {
		case "libx264":
			a = append(a, "-preset", "ultrafast", "-bf", "0")
		case "libx265":
			a = append(a, "-preset", "ultrafast", "-x265-params", "log-level=error")
		case "mpeg4":
			a = append(a, "-q:v", "5")
		}
	}
	if acodec != "" {
		a = append(a, "-c:a", acodec, "-ar", "48000")
	}
	a = append(a, extra...)
	ffmpeg(t, append(a, path)...)
	return path
}

// openPlayer opens cfg (null audio, the test's logger) and closes it when
// the test ends.
func openPlayer(t *testing.T, ctx context.Context, cfg Config) (*Player, error) {
	t.Helper()
	quiet()
	cfg.NullAudio = true
	if cfg.Logger == nil {
		cfg.Logger = aoLogger(t)
	}
	p, err := Open(ctx, cfg)
	if err == nil {
		t.Cleanup(p.Close)
	}
	return p, err
}

// waitEnd waits for p to end within d and returns Wait's answer.
func waitEnd(t *testing.T, p *Player, d time.Duration) error {
	t.Helper()
	select {
	case <-p.Done():
		return p.Wait()
	case <-time.After(d):
		t.Fatalf("playback did not end within %v: %+v", d, p.Stats())
		return nil
	}
}

// waitFrames waits until p presented at least n pictures.
func waitFrames(t *testing.T, p *Player, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.Stats().Frames < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d pictures presented after %v, want %d: %+v", p.Stats().Frames, within, n, p.Stats())
		}
		select {
		case <-p.Done():
			t.Fatalf("playback ended with %d pictures, want %d: %v", p.Stats().Frames, n, p.Wait())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// within fails t unless lo <= x <= hi.
func within[T int64 | float64 | time.Duration](t *testing.T, what string, x, lo, hi T) {
	t.Helper()
	if x < lo || x > hi {
		t.Errorf("%s = %v, want %v..%v", what, x, lo, hi)
	}
}

// ---------------------------------------------------------------- files

// TestPlayFiles plays 2-second clips of several containers and codecs at
// real-time pace to the end.
func TestPlayFiles(t *testing.T) {
	dir := t.TempDir()
	mp3 := "aac"
	if hasEncoder(t, "libmp3lame") {
		mp3 = "libmp3lame"
	}
	audioName := map[string]string{"aac": "aac", "libmp3lame": "mp3"}
	for _, c := range []struct {
		name, file     string
		vcodec, acodec string
		video          string // expected Stats().Video prefix; "" for none
		needs          string // an encoder that may be absent (the one allowed skip)
		noAudio        bool   // Config.NoAudio: the wall clock paces the pictures
	}{
		{name: "mp4 h264 aac", file: "a.mp4", vcodec: "libx264", acodec: "aac", video: "h264 320x240"},
		{name: "flv h264 aac", file: "a.flv", vcodec: "libx264", acodec: "aac", video: "h264 320x240"},
		{name: "ts h264 " + audioName[mp3], file: "a.ts", vcodec: "libx264", acodec: mp3, video: "h264 320x240"},
		{name: "mkv mpeg4 " + audioName[mp3], file: "a.mkv", vcodec: "mpeg4", acodec: mp3, video: "mpeg4 320x240"},
		{name: "mkv hevc aac", file: "hevc.mkv", vcodec: "libx265", acodec: "aac", video: "hevc 320x240", needs: "libx265"},
		{name: "m4a aac audio only", file: "a.m4a", acodec: "aac"},
		{name: "mp4 h264 video only", file: "v.mp4", vcodec: "libx264", video: "h264 320x240"},
		{name: "mp4 h264 aac, NoAudio", file: "noaudio.mp4", vcodec: "libx264", acodec: "aac", video: "h264 320x240", noAudio: true},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.needs != "" && !hasEncoder(t, c.needs) {
				t.Skipf("this ffmpeg has no %s encoder: the %s case cannot be made", c.needs, c.name)
			}
			path := makeClip(t, filepath.Join(dir, c.file), 2, c.vcodec, c.acodec)
			sink := &countSink{}
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p, err := openPlayer(t, ctx, Config{URL: path, Sink: sink, NoAudio: c.noAudio})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !p.Seekable() {
				t.Error("a file is not seekable")
			}
			if err := waitEnd(t, p, 10*time.Second); err != nil {
				t.Errorf("Wait = %v, want nil at the end of a file", err)
			}
			wall := time.Since(start)
			st := p.Stats()
			t.Logf("%s: %v, %d frames, video %q audio %q, dropped %d, concealed %d, first frame %v",
				c.name, wall.Round(time.Millisecond), st.Frames, st.Video, st.Audio, st.Dropped, st.Concealed, st.FirstFrame)
			within(t, "wall time", wall, 1600*time.Millisecond, 3500*time.Millisecond)
			if st.State != StateEnded {
				t.Errorf("state %v, want ended", st.State)
			}
			if st.Duration < 1900*time.Millisecond || st.Duration > 2200*time.Millisecond {
				t.Errorf("Duration %v, want about 2 s", st.Duration)
			}
			if c.acodec != "" && !c.noAudio {
				wantAudio := audioName[c.acodec] + " 48000Hz 1ch"
				if st.Audio != wantAudio {
					t.Errorf("Stats().Audio = %q, want %q", st.Audio, wantAudio)
				}
				if st.AudioBackend != "null" {
					t.Errorf("AudioBackend %q, want null", st.AudioBackend)
				}
			} else if st.Audio != "" {
				t.Errorf("Stats().Audio = %q without audio", st.Audio)
			}
			if c.video == "" {
				if st.Video != "" || st.Frames != 0 {
					t.Errorf("audio-only file: video %q, %d frames", st.Video, st.Frames)
				}
				return
			}
			if !strings.HasPrefix(st.Video, c.video) {
				t.Errorf("Stats().Video = %q, want %q…", st.Video, c.video)
			}
			want := int64(2 * clipFPS)
			within(t, "frames presented", st.Frames, want*9/10, want*11/10)
			if n := sink.frames.Load(); n != st.Frames {
				t.Errorf("the sink got %d pictures, Stats says %d", n, st.Frames)
			}
			if w, h := sink.size(); w != 320 || h != 240 || sink.format != media.PixelFormatYUV420P {
				t.Errorf("sink pictures %dx%d %v, want 320x240 yuv420p", w, h, sink.format)
			}
			// The pictures come in PTS order.
			sink.mu.Lock()
			for i := 1; i < len(sink.pts); i++ {
				if sink.pts[i] <= sink.pts[i-1] {
					t.Errorf("picture %d PTS %v after %v", i, sink.pts[i], sink.pts[i-1])
					break
				}
			}
			sink.mu.Unlock()
			if st.FirstFrame <= 0 || st.FirstFrame > time.Second {
				t.Errorf("FirstFrame %v, want 0..1s", st.FirstFrame)
			}
		})
	}
}

// TestSeek: a seek to 3 s in a 4-second file ends playback about a second
// later, having skipped the pictures in between.
func TestSeek(t *testing.T) {
	path := makeClip(t, filepath.Join(t.TempDir(), "seek.mp4"), 4, "libx264", "aac")
	sink := &countSink{}
	p, err := openPlayer(t, context.Background(), Config{URL: path, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, p, 5, 3*time.Second)
	if err := p.Seek(3 * time.Second); err != nil {
		t.Fatalf("Seek: %v", err)
	}
	seeked := time.Now()
	time.Sleep(150 * time.Millisecond)
	if pos := p.Stats().Position; pos < 2900*time.Millisecond || pos > 3500*time.Millisecond {
		t.Errorf("150 ms after Seek(3s) the position is %v", pos)
	}
	if err := waitEnd(t, p, 5*time.Second); err != nil {
		t.Errorf("Wait = %v", err)
	}
	after := time.Since(seeked)
	st := p.Stats()
	t.Logf("ended %v after the seek, %d frames, dropped %d", after.Round(time.Millisecond), st.Frames, st.Dropped)
	within(t, "time from Seek(3s) to the end of a 4 s file", after, 600*time.Millisecond, 1800*time.Millisecond)
	// About 5 pictures before, 25 after; without the seek there are 100.
	within(t, "frames presented", st.Frames, 20, 50)
	sink.mu.Lock()
	pts := append([]time.Duration(nil), sink.pts...)
	sink.mu.Unlock()
	if last := pts[len(pts)-1]; last < 3900*time.Millisecond {
		t.Errorf("the last picture is at %v, want the end of the file (~3.96 s)", last)
	}
	// Once a picture from 3 s shows, no picture from before the seek does.
	for i := range pts {
		if pts[i] >= 3*time.Second {
			for _, q := range pts[i:] {
				if q < 3*time.Second {
					t.Errorf("a picture from %v shows after the seek: %v", q, pts)
					break
				}
			}
			break
		}
	}
	// Skipping what a seek jumps over is not a loss.
	if st.Dropped != 0 {
		t.Errorf("Dropped = %d after a seek in a file, want 0 (late pictures %d, late audio %d)",
			st.Dropped, p.lateDropped.Load(), p.audioDropped.Load())
	}
	if st.State != StateEnded {
		t.Errorf("state %v, want ended", st.State)
	}
}

// TestPause: no picture is presented while paused; playback then goes on
// where it was, and the whole file still plays.
func TestPause(t *testing.T) {
	path := makeClip(t, filepath.Join(t.TempDir(), "pause.mp4"), 2, "libx264", "aac")
	sink := &countSink{}
	start := time.Now()
	p, err := openPlayer(t, context.Background(), Config{URL: path, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, p, 10, 3*time.Second)
	p.SetPaused(true)
	if !p.Paused() {
		t.Error("Paused() false after SetPaused(true)")
	}
	time.Sleep(60 * time.Millisecond) // a picture already due may still show
	st0 := p.Stats()
	if st0.State != StatePaused {
		t.Errorf("state %v while paused", st0.State)
	}
	time.Sleep(500 * time.Millisecond)
	st1 := p.Stats()
	if st1.Frames != st0.Frames {
		t.Errorf("frames went from %d to %d during a 500 ms pause", st0.Frames, st1.Frames)
	}
	if st1.Position != st0.Position {
		t.Errorf("position went from %v to %v during the pause", st0.Position, st1.Position)
	}
	p.SetPaused(false)
	time.Sleep(200 * time.Millisecond)
	if st := p.Stats(); st.Frames <= st1.Frames || st.State != StatePlaying {
		t.Errorf("200 ms after resuming: %d frames (was %d), state %v", st.Frames, st1.Frames, st.State)
	}
	if err := waitEnd(t, p, 6*time.Second); err != nil {
		t.Errorf("Wait = %v", err)
	}
	wall := time.Since(start)
	st := p.Stats()
	t.Logf("%v, %d frames, dropped %d", wall.Round(time.Millisecond), st.Frames, st.Dropped)
	within(t, "wall time of 2 s with a 560 ms pause", wall, 2200*time.Millisecond, 4000*time.Millisecond)
	within(t, "frames presented", st.Frames, 45, 55)
}

// TestSnapshot: WritePNG of a presented picture writes a PNG of its size,
// from a YUV sink and from an RGBA sink.
func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := makeClip(t, filepath.Join(dir, "snap.mp4"), 1, "libx264", "")
	for _, format := range []media.PixelFormat{media.PixelFormatYUV420P, media.PixelFormatRGBA} {
		format := format
		t.Run(format.String(), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(dir, format.String()+".png")
			var werr error
			wrote := make(chan struct{})
			sink := &countSink{snap: func(f *media.VideoFrame) {
				werr = WritePNG(out, f)
				close(wrote)
			}}
			p, err := openPlayer(t, context.Background(), Config{URL: path, Sink: sink, SinkFormat: format})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-wrote:
			case <-time.After(5 * time.Second):
				t.Fatal("no picture presented within 5 s")
			}
			p.Close()
			if werr != nil {
				t.Fatalf("WritePNG: %v", werr)
			}
			if sink.format != format {
				t.Errorf("the sink got %v pictures, asked for %v", sink.format, format)
			}
			checkPNG(t, out, 320, 240)
		})
	}
}

// checkPNG decodes a PNG file and checks its size and that it is a picture
// (not one flat colour).
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, w, h) {
		t.Fatalf("%s is %v, want %dx%d", path, got, w, h)
	}
	colours := map[[4]uint32]bool{}
	for y := 0; y < h; y += 7 {
		for x := 0; x < w; x += 7 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r >> 8, g >> 8, b >> 8, a >> 8}] = true
			if a != 0xffff {
				t.Fatalf("%s: pixel %d,%d is not opaque", path, x, y)
			}
		}
	}
	if len(colours) < 10 {
		t.Errorf("%s has %d colours: not the test picture", path, len(colours))
	}
}

// ---------------------------------------------------------------- corrupt

// TestCorruptFiles: data that is not media fails Open with ErrCorrupt;
// damaged media plays what it can, or fails clearly, but never hangs.
func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()

	t.Run("random bytes", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"random.bin", "random.mp4"} {
			b := make([]byte, 256<<10)
			rand.New(rand.NewSource(int64(len(name)))).Read(b)
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err := openPlayer(t, context.Background(), Config{URL: path})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: Open = %v, want ErrCorrupt", name, err)
			}
			within(t, name+": time to refuse", time.Since(start), 0, 2*time.Second)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(dir, "empty.mp4")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := openPlayer(t, context.Background(), Config{URL: path}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Open = %v, want ErrCorrupt", err)
		}
	})

	// damaged plays a damaged file: it either plays to the end (some
	// pictures, Wait nil) or fails with ErrCorrupt, in bounded time.
	damaged := func(t *testing.T, path string) (Stats, bool) {
		t.Helper()
		sink := &countSink{}
		p, err := openPlayer(t, context.Background(), Config{URL: path, Sink: sink, OpenTimeout: 5 * time.Second})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open = %v, want success or ErrCorrupt", err)
			}
			t.Logf("Open: %v", err)
			return Stats{}, false
		}
		err = waitEnd(t, p, 10*time.Second)
		st := p.Stats()
		t.Logf("Wait = %v; %d frames, concealed %d, dropped %d", err, st.Frames, st.Concealed, st.Dropped)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("Wait = %v, want nil or ErrCorrupt", err)
		}
		if err == nil && st.Frames == 0 {
			t.Error("played to the end without a picture")
		}
		return st, true
	}
	t.Run("mp4 truncated at 60%", func(t *testing.T) {
		t.Parallel()
		for _, faststart := range []bool{false, true} {
			name := "trunc.mp4"
			var extra []string
			if faststart {
				name, extra = "trunc-faststart.mp4", []string{"-movflags", "+faststart"}
			}
			path := makeClip(t, filepath.Join(dir, name), 2, "libx264", "aac", extra...)
			truncate(t, path, 0.6)
			st, opened := damaged(t, path)
			if faststart && (!opened || st.Frames == 0) {
				// The index is at the front: the first 60% is playable.
				t.Errorf("faststart MP4 cut at 60%%: opened %v, %d frames; want the first part played", opened, st.Frames)
			}
		}
	})
	t.Run("ts with garbage in the middle", func(t *testing.T) {
		t.Parallel()
		path := makeClip(t, filepath.Join(dir, "garbage.ts"), 3, "libx264", "aac")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Overwrite 40%..50% of the file.
		lo, hi := len(b)*4/10, len(b)*5/10
		rand.New(rand.NewSource(1)).Read(b[lo:hi])
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		st, opened := damaged(t, path)
		if !opened {
			t.Fatal("a TS damaged in the middle did not open")
		}
		// 75 pictures in all; about 30 before the damage. Playing on past
		// it shows in the count or in concealed errors.
		if st.Frames < 45 && st.Concealed == 0 {
			t.Errorf("%d frames, %d concealed: playback did not go on past the damage", st.Frames, st.Concealed)
		}
		if st.Frames < 40 {
			t.Errorf("%d frames of 75 with 10%% of the file destroyed", st.Frames)
		}
	})
}

func truncate(t *testing.T, path string, frac float64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(fi.Size())*frac)); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------- live

// livePublish pushes testsrc2 640x360 at 30 fps with a sine tone, x264
// zerolatency with a keyframe a second, to url with the ffmpeg CLI, until
// the test ends (or is killed).
func livePublish(t *testing.T, url string) *exec.Cmd {
	t.Helper()
	return livePublishAudio(t, url, "aac")
}

// livePublishAudio is livePublish with another audio encoder.
func livePublishAudio(t *testing.T, url, acodec string) *exec.Cmd {
	t.Helper()
	return livePublishWith(t, url, "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-c:a", acodec)
}

// livePublishOBS publishes as OBS Studio does by default: x264 veryfast
// with B-frames and lookahead, a keyframe every 250 frames, AAC.
func livePublishOBS(t *testing.T, url string) *exec.Cmd {
	t.Helper()
	return livePublishWith(t, url, "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "250", "-c:a", "aac", "-b:a", "160k")
}

// livePublishWith is livePublish with the given encoders and settings.
func livePublishWith(t *testing.T, url string, codecs ...string) *exec.Cmd {
	t.Helper()
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-hide_banner", "-nostdin", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"}
	args = append(append(args, codecs...), "-pix_fmt", "yuv420p", "-t", "120", "-f", "flv", url)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) })
	return cmd
}

// startNginxLive starts nginx-rtmp with the ffmpeg CLI publishing stream
// name, and waits until nginx has written HLS segments of it.
func startNginxLive(t *testing.T, name string, segments int) *peer.Nginx {
	t.Helper()
	ng, err := peer.StartNginx(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ng.Stop)
	livePublish(t, ng.URL("live", name))
	playlist := filepath.Join(ng.Dir, "hls", name+".m3u8")
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(playlist)
		if strings.Count(string(b), "#EXTINF") >= segments {
			return ng
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx wrote no HLS playlist with %d segments for %s within 15 s: %q\n%s", segments, name, b, ng.ErrorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkLive plays url for about 3 s: pictures arrive at about 30 fps and
// the tracks are described.
func checkLive(t *testing.T, cfg Config) *Player {
	t.Helper()
	return checkLiveAfter(t, cfg, 500*time.Millisecond)
}

// checkLiveAfter is checkLive, measuring from settle after the first
// frame (the join to the live edge done).
func checkLiveAfter(t *testing.T, cfg Config, settle time.Duration) *Player {
	t.Helper()
	sink := &countSink{}
	cfg.Sink = sink
	p, err := openPlayer(t, context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open %s: %v", urlmask.Mask(cfg.URL), err)
	}
	// A live stream's tracks come from its sequence headers and metadata,
	// known once open — not from whichever packets arrive first (a
	// stream once opened as audio only behind such a publisher). FFmpeg's
	// own FLV demuxer (FFmpegRTMP, kept for comparisons) still adds a
	// track at its first packet; the player then sets it up.
	if st := p.Stats(); !cfg.FFmpegRTMP && (!strings.HasPrefix(st.Video, "h264") || st.Audio == "") {
		t.Errorf("%s: tracks on opening: video %q, audio %q, want both", urlmask.Mask(cfg.URL), st.Video, st.Audio)
	}
	waitFrames(t, p, 1, 5*time.Second)
	time.Sleep(settle) // past the join
	s0 := p.Stats()
	f0, t0, a0 := s0.Frames, time.Now(), p.audio.Stats().Played
	time.Sleep(2 * time.Second)
	st := p.Stats()
	t1 := time.Now()
	fps := float64(st.Frames-f0) / t1.Sub(t0).Seconds()
	gap := sink.maxGap(t0, t1)
	audio := time.Duration(p.audio.Stats().Played-a0) * time.Second / (outRate * outChannels)
	t.Logf("%s: first frame %v, %.1f fps, longest gap %v, audio played %v in %v, %d frames, dropped %d (%d while joining; %s), skipped %d pictures and %d audio blocks, buffer %v, video %q, audio %q",
		urlmask.Mask(cfg.URL), st.FirstFrame.Round(time.Millisecond), fps, gap.Round(time.Millisecond), audio.Round(time.Millisecond),
		t1.Sub(t0).Round(time.Millisecond), st.Frames, st.Dropped, s0.Dropped, dropBreakdown(p), st.Skipped, st.SkippedAudio, st.Buffer, st.Video, st.Audio)
	// Smooth: a picture at least every few frame times, not in bursts, and
	// the sound plays along (the null device takes it in real time). HLS
	// comes a segment at a time, and FFmpeg's demuxer fetches the next
	// one only after a playlist reload: on a loaded machine one wait of up
	// to half a segment (~560 ms here) shows between segments, so HLS is
	// allowed one such gap in the 2 s (a buffer that hides it is LL-HLS
	// work, issue 14).
	// The sound lost to such a gap is the gap itself and the late audio
	// dropped after it (below): up to about 1.2 s of the 2 s.
	// RTMPT carries the stream in HTTP replies, one request at a time: on
	// a loaded machine (a CI run with other packages' encoders beside it)
	// one reply came 205 ms after the one before it, and the 9 pictures
	// and audio blocks that then came late were dropped. Allowed a little
	// more than plain RTMP.
	hls := strings.HasSuffix(cfg.URL, ".m3u8")
	tunnel := strings.HasPrefix(cfg.URL, "rtmpt")
	minFPS, maxGap, minAudio := 25.0, 200*time.Millisecond, 1700*time.Millisecond
	switch {
	case hls:
		minFPS, maxGap, minAudio = 18, 700*time.Millisecond, 800*time.Millisecond
	case tunnel:
		maxGap = 300 * time.Millisecond
	}
	within(t, "fps", fps, minFPS, 35)
	within(t, "longest time between two pictures", gap, 0, maxGap)
	within(t, "audio played in 2 s", audio, minAudio, 2300*time.Millisecond)
	// Nothing is lost on loopback once joined; a few pictures may be late
	// on a loaded machine (the race detector on 2 cores, other packages'
	// encoders beside it). While joining, a machine that decodes the
	// server's GOP cache slowly may drop late pictures of it: never more
	// than that GOP (a second here).
	// After HLS's wait between segments, the audio that came late is
	// dropped (seen: 34 blocks of 20 ms after a 560 ms wait).
	maxJoined, maxAll := int64(6), int64(30)
	switch {
	case hls:
		maxJoined, maxAll = 50, 60
	case tunnel:
		maxJoined = 15
	case cfg.FFmpegRTMP:
		// FFmpeg's RTMP client starts slowly (a second or two to the
		// first picture) and then delivers what it held in a burst: under
		// -race on a loaded machine, 24 audio blocks of it came too late
		// and were dropped once joined (two CI runs saw this).
		maxJoined = 30
	}
	within(t, "dropped once joined", st.Dropped-s0.Dropped, 0, maxJoined)
	within(t, "dropped in all", st.Dropped, 0, maxAll)
	if !strings.Contains(st.Video, "h264 640x360") {
		t.Errorf("Stats().Video = %q, want h264 640x360", st.Video)
	}
	if wantAudio := map[bool]string{false: "aac 48000Hz", true: "mp3 48000Hz"}[strings.HasSuffix(cfg.URL, "/mp3")]; !strings.HasPrefix(st.Audio, wantAudio) {
		t.Errorf("Stats().Audio = %q, want %s", st.Audio, wantAudio)
	}
	if st.State != StatePlaying {
		t.Errorf("state %v, want playing", st.State)
	}
	if w, h := sink.size(); w != 640 || h != 360 {
		t.Errorf("the sink got %dx%d pictures", w, h)
	}
	if p.Seekable() || !errors.Is(p.Seek(time.Second), ErrNotSeekable) {
		t.Error("a live stream is seekable")
	}
	if st.Bytes <= 0 {
		t.Errorf("Bytes = %d", st.Bytes)
	}
	return p
}

// dropBreakdown says where a player's drops came from, for the logs.
func dropBreakdown(p *Player) string {
	var vq, aq int64
	vt, at := p.tracks()
	if vt != nil {
		vq = vt.in.Dropped()
	}
	if at != nil {
		aq = at.in.Dropped()
	}
	return fmt.Sprintf("late pictures %d, late audio %d, video queue %d, audio queue %d",
		p.lateDropped.Load(), p.audioDropped.Load(), vq, aq)
}

// TestLive plays a stream the ffmpeg CLI publishes to nginx-rtmp: over RTMP
// with OnAir's client and with FFmpeg's, over nginx's HLS, and records it.
func TestLive(t *testing.T) {
	ng := startNginxLive(t, "cam", 2)
	hls := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(ng.Dir, "hls"))))
	t.Cleanup(hls.Close)

	t.Run("rtmp", func(t *testing.T) {
		t.Parallel()
		p := checkLive(t, Config{URL: ng.URL("live", "cam")})
		// Joining waits for a keyframe: one a second.
		if st := p.Stats(); st.FirstFrame > 1500*time.Millisecond {
			t.Errorf("first frame after %v over RTMP on loopback", st.FirstFrame)
		}
		p.Close()
		if err := p.Wait(); err != nil {
			t.Errorf("Wait after Close = %v, want nil", err)
		}
	})
	t.Run("rtmp ffmpeg client", func(t *testing.T) {
		t.Parallel()
		checkLive(t, Config{URL: ng.URL("live", "cam"), FFmpegRTMP: true})
	})
	t.Run("hls", func(t *testing.T) {
		t.Parallel()
		checkLive(t, Config{URL: hls.URL + "/cam.m3u8"})
	})
	for _, ext := range []string{"flv", "mp4"} {
		ext := ext
		t.Run("record "+ext, func(t *testing.T) {
			t.Parallel()
			rec := filepath.Join(t.TempDir(), "rec."+ext)
			p, err := openPlayer(t, context.Background(), Config{URL: ng.URL("live", "cam"), Record: rec})
			if err != nil {
				t.Fatal(err)
			}
			waitFrames(t, p, 1, 5*time.Second)
			time.Sleep(3 * time.Second)
			p.Close()
			checkRecording(t, rec, 2)
		})
	}
}

// checkRecording: ffprobe reads h264 and aac from path, at least minDur
// seconds of it.
func checkRecording(t *testing.T, path string, minDur float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pr, err := peer.FFprobe(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := pr.Stream("video")
	a, oka := pr.Stream("audio")
	if !okv || v.CodecName != "h264" || v.Width != 640 || v.Height != 360 || !oka || a.CodecName != "aac" {
		t.Errorf("%s: streams %+v, want h264 640x360 and aac", filepath.Base(path), pr.Streams)
	}
	bin, err := peer.Require("ffprobe", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe duration: %v", err)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || d < minDur {
		t.Errorf("%s: duration %q, want >= %v s", filepath.Base(path), out, minDur)
	}
	// A real decode of the whole file.
	if _, err := peer.FFmpeg(ctx, "-i", path, "-f", "null", "-"); err != nil {
		t.Errorf("%s does not decode: %v", filepath.Base(path), err)
	}
	t.Logf("%s: %.2f s, %+v", filepath.Base(path), d, pr.Streams)
}

// waitLoopbackStream waits until the loopback server has stream name with
// video.
func waitLoopbackStream(t *testing.T, s *loopback.Server, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Hub().WaitLive(ctx, name); err != nil {
		t.Fatalf("stream %q did not come up on the loopback server: %v", name, err)
	}
}

// TestLoopback plays from OnAir's own server what the ffmpeg CLI publishes
// there: HTTP-FLV, RTMP, RTMPT and HLS; a stream that is not there is not
// found.
func TestLoopback(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: aoLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	livePublish(t, "rtmp://"+srv.RTMPAddr()+"/live/lb")
	waitLoopbackStream(t, srv, "lb")

	t.Run("http-flv", func(t *testing.T) {
		t.Parallel()
		checkLive(t, Config{URL: "http://" + srv.HTTPAddr() + "/live/lb.flv"})
	})
	t.Run("rtmp", func(t *testing.T) {
		t.Parallel()
		checkLive(t, Config{URL: "rtmp://" + srv.RTMPAddr() + "/live/lb"})
	})
	t.Run("hls", func(t *testing.T) {
		t.Parallel()
		checkLive(t, Config{URL: "http://" + srv.HTTPAddr() + "/live/lb/index.m3u8"})
	})
	t.Run("rtmpt", func(t *testing.T) { // RTMP in HTTP, OnAir's client
		t.Parallel()
		checkLive(t, Config{URL: "rtmpt://" + srv.HTTPAddr() + "/live/lb"})
	})
	t.Run("rtmpe", func(t *testing.T) { // encrypted, OnAir's client (FFmpeg here has none)
		t.Parallel()
		checkLive(t, Config{URL: "rtmpe://" + srv.RTMPAddr() + "/live/lb"})
	})
	t.Run("rtmpte", func(t *testing.T) { // encrypted in HTTP
		t.Parallel()
		checkLive(t, Config{URL: "rtmpte://" + srv.HTTPAddr() + "/live/lb"})
	})
	t.Run("rtmpt ffmpeg", func(t *testing.T) { // and FFmpeg's
		t.Parallel()
		checkLive(t, Config{URL: "rtmpt://" + srv.HTTPAddr() + "/live/lb", FFmpegRTMP: true})
	})
	t.Run("rtmp mp3", func(t *testing.T) { // legacy FLV audio without a sequence header
		t.Parallel()
		livePublishAudio(t, "rtmp://"+srv.RTMPAddr()+"/live/mp3", "libmp3lame")
		waitLoopbackStream(t, srv, "mp3")
		checkLive(t, Config{URL: "rtmp://" + srv.RTMPAddr() + "/live/mp3"}) // checks mp3 for a name of mp3
	})
	t.Run("long gop", func(t *testing.T) {
		// Issue 12's two bugs, behind a publisher with OBS's defaults:
		// B-frames put the newest picture's time ~100 ms ahead of what
		// can be decoded and of the audio sent with it; a clock anchored
		// there found every AAC block late, dropped all of them (~47 a
		// second) and played silent. Joining mid-GOP skips up to 8 s of
		// the server's GOP cache: counted as skipped, not dropped.
		t.Parallel()
		livePublishOBS(t, "rtmp://"+srv.RTMPAddr()+"/live/obs")
		waitLoopbackStream(t, srv, "obs")
		for _, url := range []string{"rtmp://" + srv.RTMPAddr() + "/live/obs", "http://" + srv.HTTPAddr() + "/live/obs.flv"} {
			p := checkLiveAfter(t, Config{URL: url}, 1500*time.Millisecond)
			st := p.Stats()
			p.Close()
			if st.Skipped == 0 {
				t.Errorf("%s: skipped = 0: joining a 250-frame GOP skips to the live edge", url)
			}
			time.Sleep(700 * time.Millisecond) // join at another point of the GOP
		}
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		for _, url := range []string{
			"rtmp://" + srv.RTMPAddr() + "/live/nope",
			"http://" + srv.HTTPAddr() + "/live/nope.flv",
		} {
			start := time.Now()
			_, err := openPlayer(t, context.Background(), Config{URL: url, OpenTimeout: 3 * time.Second})
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: Open = %v, want ErrNotFound", url, err)
			}
			within(t, url+": time to refuse", time.Since(start), 0, 2*time.Second)
		}
	})
}

// ---------------------------------------------------------------- errors

// silentServer accepts TCP connections and never answers; it closes them
// when the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// TestOpenErrors: each way of not reaching a stream gives its error, in
// bounded time.
func TestOpenErrors(t *testing.T) {
	port, err := peer.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	refused := fmt.Sprintf("rtmp://127.0.0.1:%d/live/KEY123", port)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	silent := silentServer(t)
	clip := makeClip(t, filepath.Join(t.TempDir(), "rec-src.mp4"), 1, "libx264", "aac")
	subtitles := filepath.Join(t.TempDir(), "only.srt")
	if err := os.WriteFile(subtitles, []byte("1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nWorld\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name    string
		cfg     Config
		want    error
		maxTime time.Duration
	}{
		{"rtmp refused", Config{URL: refused}, ErrUnreachable, 2 * time.Second},
		{"rtmp refused, ffmpeg client", Config{URL: refused, FFmpegRTMP: true}, ErrUnreachable, 2 * time.Second},
		{"http-flv refused", Config{URL: fmt.Sprintf("http://127.0.0.1:%d/live/x.flv", port)}, ErrUnreachable, 2 * time.Second},
		{"hls 404", Config{URL: notFound.URL + "/live/x.m3u8"}, ErrNotFound, 2 * time.Second},
		{"http-flv 404", Config{URL: notFound.URL + "/live/x.flv"}, ErrNotFound, 2 * time.Second},
		{"rtmp silent", Config{URL: "rtmp://" + silent + "/live/KEY123", OpenTimeout: time.Second}, ErrUnreachable, 2 * time.Second},
		{"rtmp silent, ffmpeg client", Config{URL: "rtmp://" + silent + "/live/KEY123", OpenTimeout: time.Second, FFmpegRTMP: true}, ErrUnreachable, 2 * time.Second},
		{"http-flv silent", Config{URL: "http://" + silent + "/live/x.flv", OpenTimeout: time.Second}, ErrUnreachable, 2 * time.Second},
		{"hls silent", Config{URL: "http://" + silent + "/live/x.m3u8", OpenTimeout: time.Second}, ErrUnreachable, 2 * time.Second},
		{"bad scheme", Config{URL: "ftp://127.0.0.1/x.mp4"}, ErrUnsupportedURL, 100 * time.Millisecond},
		{"no such file", Config{URL: "/nonexistent/clip.mp4"}, ErrNotFound, 100 * time.Millisecond},
		{"no audio or video track", Config{URL: subtitles}, ErrUnsupportedCodec, time.Second},
		{"record: unknown extension", Config{URL: clip, Record: filepath.Join(t.TempDir(), "x.avi")}, ErrRecord, time.Second},
		{"record: no such directory", Config{URL: clip, Record: "/nonexistent/dir/x.mp4"}, ErrRecord, time.Second},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			_, err := openPlayer(t, context.Background(), c.cfg)
			el := time.Since(start)
			t.Logf("%v: %v", el.Round(time.Millisecond), err)
			if !errors.Is(err, c.want) {
				t.Errorf("Open = %v, want %v", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "KEY123") {
				t.Errorf("the error shows the stream key: %v", err)
			}
			within(t, "time to fail", el, 0, c.maxTime)
		})
	}
}

// TestOpenCancel: cancelling Open's context ends a hanging open at once.
func TestOpenCancel(t *testing.T) {
	silent := silentServer(t)
	for _, cfg := range []Config{
		{URL: "rtmp://" + silent + "/live/x"},
		{URL: "rtmp://" + silent + "/live/x", FFmpegRTMP: true},
		{URL: "http://" + silent + "/live/x.flv"},
	} {
		before := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		p, err := openPlayer(t, ctx, cfg)
		el := time.Since(start)
		if err == nil {
			p.Close()
			t.Errorf("%s: Open succeeded on a server that never answers", cfg.URL)
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Open = %v, want context.Canceled", cfg.URL, err)
		}
		within(t, cfg.URL+": Open returned after the cancel", el-200*time.Millisecond, 0, 500*time.Millisecond)
		goroutinesBack(t, before)
	}
}

// goroutinesBack fails t unless the goroutine count comes back to n within
// 3 s.
func goroutinesBack(t *testing.T, n int) {
	t.Helper()
	leaktest.Check(t, n, 3*time.Second)
}

// TestCloseWhilePlaying: Close returns within 2 s while a live stream or a
// file plays, Wait then says nil, and nothing is left running.
func TestCloseWhilePlaying(t *testing.T) {
	ng := startNginxLive(t, "cl", 1)
	file := makeClip(t, filepath.Join(t.TempDir(), "close.mp4"), 4, "libx264", "aac")
	for _, cfg := range []Config{
		{URL: ng.URL("live", "cl")},
		{URL: ng.URL("live", "cl"), FFmpegRTMP: true},
		{URL: file},
		{URL: ng.URL("live", "cl"), Record: filepath.Join(t.TempDir(), "cl.mp4")},
	} {
		before := runtime.NumGoroutine()
		quiet()
		cfg.NullAudio, cfg.Logger, cfg.Sink = true, aoLogger(t), &countSink{}
		p, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", cfg.URL, err)
		}
		waitFrames(t, p, 1, 5*time.Second)
		time.Sleep(time.Second)
		start := time.Now()
		closed := make(chan struct{})
		go func() { p.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: Close did not return within 2 s", cfg.URL)
		}
		t.Logf("%s: Close took %v", urlmask.Mask(cfg.URL), time.Since(start).Round(time.Millisecond))
		if err := p.Wait(); err != nil {
			t.Errorf("%s: Wait after Close = %v, want nil", cfg.URL, err)
		}
		p.Close() // twice is safe
		_ = p.Stats()
		goroutinesBack(t, before)
	}
}

// TestStateAfterClose: once closed, a player no longer says it plays.
func TestStateAfterClose(t *testing.T) {
	path := makeClip(t, filepath.Join(t.TempDir(), "state.mp4"), 2, "libx264", "aac")
	p, err := openPlayer(t, context.Background(), Config{URL: path, Sink: &countSink{}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, p, 5, 3*time.Second)
	if st := p.Stats(); st.State != StatePlaying {
		t.Errorf("state %v while playing", st.State)
	}
	p.Close()
	if st := p.Stats(); st.State != StateEnded || st.Err != nil {
		t.Errorf("state %v (err %v) after Close, want ended", st.State, st.Err)
	}
}

// TestStall: a live stream that stops arriving ends playback with
// ErrStalled after Config.StallTimeout, and the state says error.
// StallTimeout is 2 s: FFmpeg's rtmp takes it as its connect timeout too,
// and 1 s was short when the 2 cores run other tests.
func TestStall(t *testing.T) {
	ng, err := peer.StartNginx(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ng.Stop)
	for _, ffmpegRTMP := range []bool{false, true} {
		name := "stall" + strconv.FormatBool(ffmpegRTMP)
		pub := livePublish(t, ng.URL("live", name))
		time.Sleep(500 * time.Millisecond) // let it publish before we play
		p, err := openPlayer(t, context.Background(), Config{URL: ng.URL("live", name), FFmpegRTMP: ffmpegRTMP,
			StallTimeout: 2 * time.Second, Sink: &countSink{}})
		if err != nil {
			t.Fatal(err)
		}
		waitFrames(t, p, 10, 5*time.Second)
		_ = pub.Process.Kill() // nginx keeps the viewer connected, silent
		killed := time.Now()
		err = waitEnd(t, p, 8*time.Second)
		t.Logf("ffmpeg client %v: ended %v after the publisher stopped: %v", ffmpegRTMP, time.Since(killed).Round(time.Millisecond), err)
		if !errors.Is(err, ErrStalled) {
			t.Errorf("ffmpeg client %v: Wait = %v, want ErrStalled", ffmpegRTMP, err)
		}
		within(t, "time to notice the stall", time.Since(killed), 1900*time.Millisecond, 5*time.Second)
		if st := p.Stats(); st.State != StateError || !errors.Is(st.Err, ErrStalled) {
			t.Errorf("ffmpeg client %v: state %v, Err %v; want error, ErrStalled", ffmpegRTMP, st.State, st.Err)
		}
	}
}
