package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// rgbAt is the colour of pixel (x, y) of a w-wide rgb24 picture.
func rgbAt(raw []byte, w, x, y int) [3]int {
	i := 3 * (y*w + x)
	return [3]int{int(raw[i]), int(raw[i+1]), int(raw[i+2])}
}

func near(c, want [3]int, tol int) bool {
	for i := range c {
		if d := c[i] - want[i]; d < -tol || d > tol {
			return false
		}
	}
	return true
}

// TestLiveScreen puts a known picture on an X screen (Xvfb, its root
// window painted by ImageMagick: red, green, blue and white quarters),
// captures it with `onair live --video screen`, publishes to nginx-rtmp and
// decodes with the ffmpeg CLI: each quarter shows its colour where the
// letterbox puts it (a 16:10 screen in a 16:9 output: bars left and right),
// and a region capture shows only its quarter.
func TestLiveScreen(t *testing.T) {
	for _, p := range [][2]string{{"Xvfb", "xvfb"}, {"display", "imagemagick"}, {"ffmpeg", "ffmpeg"}} {
		if _, err := peer.Require(p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	display := startXvfb(t) // 1280x800
	png := filepath.Join(t.TempDir(), "quad.png")
	if out, err := exec.Command("convert", "-size", "640x400", "xc:red", "-size", "640x400", "xc:lime", "+append",
		"(", "-size", "640x400", "xc:blue", "-size", "640x400", "xc:white", "+append", ")", "-append", png).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v: %s", err, out)
	}
	paint := exec.Command("display", "-window", "root", png)
	paint.Env = append(os.Environ(), "DISPLAY="+display)
	out, _ := paint.CombinedOutput() // it sets the root background, then exits (status 1 under Xvfb)
	t.Logf("display -window root: %s", bytes.TrimSpace(out))

	bin := buildBinary(t)
	ng := startNginx(t, 0)
	const w, h = 640, 360
	for _, c := range []struct {
		name, video string
		// picture area in the output, and the colour expected at the
		// centre of each quarter of it (or of all of it).
		area  image.Rectangle
		quads [][3]int
	}{
		// 1280x800 letterboxed into 640x360: 576x360, 32 px bars.
		{"whole screen", "screen", image.Rect(32, 0, 608, 360), [][3]int{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}}},
		// The bottom-left quarter alone, 640x400 into 640x360: 576x360 again.
		{"region", "screen+0,400,640,400", image.Rect(32, 0, 608, 360), [][3]int{{0, 0, 255}, {0, 0, 255}, {0, 0, 255}, {0, 0, 255}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := ng.URL("live", strings.ReplaceAll(c.name, " ", "-"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "live", "--video", c.video, "--audio", "none", "--size", fmt.Sprintf("%dx%d", w, h),
				"--fps", "15", "--keyint", "1s", "--vbitrate", "1500k", "--to", url, "--duration", "12s", "--stats-json")
			cmd.Env = append(os.Environ(), "DISPLAY="+display)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			time.Sleep(2 * time.Second)
			raw, err := peer.FFmpeg(ctx, "-i", url, "-frames:v", "3", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
			if err != nil {
				t.Fatalf("%v\nonair: %s", err, stderr.String())
			}
			if len(raw) < 3*w*h*3 {
				t.Fatalf("decoded %d bytes, want 3 frames of %dx%d", len(raw), w, h)
			}
			last := raw[2*w*h*3 : 3*w*h*3]
			a := c.area
			centres := []image.Point{
				{a.Min.X + a.Dx()/4, a.Min.Y + a.Dy()/4}, {a.Min.X + 3*a.Dx()/4, a.Min.Y + a.Dy()/4},
				{a.Min.X + a.Dx()/4, a.Min.Y + 3*a.Dy()/4}, {a.Min.X + 3*a.Dx()/4, a.Min.Y + 3*a.Dy()/4},
			}
			for i, p := range centres {
				if got := rgbAt(last, w, p.X, p.Y); !near(got, c.quads[i], 40) {
					t.Errorf("at %v: colour %v, want %v", p, got, c.quads[i])
				}
			}
			for _, p := range []image.Point{{a.Min.X / 2, h / 2}, {(a.Max.X + w) / 2, h / 2}} {
				if got := rgbAt(last, w, p.X, p.Y); !near(got, [3]int{0, 0, 0}, 24) {
					t.Errorf("letterbox bar at %v: colour %v, want black", p, got)
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("onair live: %v: %s", err, stderr.String())
			}
			if t.Failed() {
				t.Logf("onair: %s\nstats: %s", stderr.String(), stdout.String())
			}
			final := lastJSON(t, stdout.String())
			// The constant-rate stage drops a frame that comes too late
			// for its slot (and repeats one in its place): a few, when the
			// 2 cores also run other tests.
			if final["dropped"].(float64) > 9 || final["frames_sent"].(float64) < 150 {
				t.Errorf("final line: %v (want at most 5%% dropped, about 180 frames in 12 s at 15 fps)", final)
			}
		})
	}
}

// toneFreq is the frequency of the strongest of the given candidates in
// mono float samples (Goertzel), and its level relative to full scale.
func toneFreq(samples []float64, rate float64, candidates []float64) (best, level float64) {
	for _, f := range candidates {
		k := 2 * math.Cos(2*math.Pi*f/rate)
		var s1, s2 float64
		for _, x := range samples {
			s1, s2 = x+k*s1-s2, s1
		}
		p := math.Sqrt(s1*s1+s2*s2-k*s1*s2) * 2 / float64(len(samples))
		if p > level {
			best, level = f, p
		}
	}
	return best, level
}

// medianToneLevel is the median of hz's amplitude (toneFreq) over the
// 100 ms windows of samples at 48 kHz.
func medianToneLevel(samples []float64, hz float64) float64 {
	var levels []float64
	for i := 0; i+4800 <= len(samples); i += 4800 {
		_, l := toneFreq(samples[i:i+4800], 48000, []float64{hz})
		levels = append(levels, l)
	}
	if len(levels) == 0 {
		return 0
	}
	slices.Sort(levels)
	return levels[len(levels)/2]
}

// lastJSON parses the last line of --stats-json output.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last stats line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

// TestLiveFile streams a clip made by the ffmpeg CLI (3 s, 320x240 at 25
// fps with a 440 Hz tone) with --video file: --audio file for longer than
// the clip: nginx-rtmp carries H.264 and AAC at the output size, the audio
// decoded by the ffmpeg CLI is the clip's 440 Hz, and the stream goes on
// past the clip's end without drops.
func TestLiveFile(t *testing.T) {
	if _, err := peer.Require("ffmpeg", "ffmpeg"); err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if _, err := peer.FFmpeg(context.Background(), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=f=440:sample_rate=44100", "-t", "3", "-c:v", "libx264", "-preset", "ultrafast",
		"-c:a", "aac", "-y", clip); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	ng := startNginx(t, 0)
	url := ng.URL("live", "file")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "live", "--video", "file:"+clip, "--audio", "file", "--size", "640x360",
		"--fps", "25", "--keyint", "1s", "--vbitrate", "1000k", "--to", url, "--duration", "15s", "--stats-json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond)
	p, err := peer.FFprobe(ctx, url, "-read_intervals", "%+2")
	if err != nil {
		t.Fatalf("%v\nonair: %s", err, stderr.String())
	}
	if v, ok := p.Stream("video"); !ok || v.CodecName != "h264" || v.Width != 640 || v.Height != 360 {
		t.Errorf("video stream: %+v", v)
	}
	if a, ok := p.Stream("audio"); !ok || a.CodecName != "aac" || a.SampleRate != "48000" {
		t.Errorf("audio stream: %+v", a)
	}
	// Two seconds of the audio, from past the clip's first end (the file
	// loops at 3 s): the tone is still the clip's.
	time.Sleep(1500 * time.Millisecond)
	raw, err := peer.FFmpeg(ctx, "-i", url, "-vn", "-t", "2", "-f", "f32le", "-ac", "1", "-ar", "48000", "-")
	if err != nil {
		t.Fatalf("%v\nonair: %s", err, stderr.String())
	}
	samples := make([]float64, len(raw)/4)
	for i := range samples {
		samples[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
	}
	if len(samples) < 48000 {
		t.Fatalf("decoded %d samples, want 2 s", len(samples))
	}
	if f, level := toneFreq(samples, 48000, []float64{220, 330, 400, 440, 480, 550, 880, 1000}); f != 440 || level < 0.05 {
		t.Errorf("decoded audio: strongest %v Hz at %.3f, want the clip's 440 Hz", f, level)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("onair live: %v: %s", err, stderr.String())
	}
	final := lastJSON(t, stdout.String())
	// 15 s at 25 fps is 375 frames; the clip played five times. (15 s,
	// not less: nginx-rtmp keeps a player that comes after the stream
	// ended waiting for it for ever, and on a loaded machine the probes
	// above may take seconds.) A few late frames may be dropped (and
	// repeated) by the constant-rate stage when the 2 cores also run
	// other tests: up to 20 were seen with the browser tests of
	// publish/loopback beside this one.
	if final["dropped"].(float64) > 30 || final["frames_sent"].(float64) < 318 {
		t.Errorf("final line: %v (want at most 8%% dropped and about 375 frames)", final)
	}
}

// TestNoCamera: on a machine without a camera (this one, and CI), `onair
// devices` says so, and `--video camera` fails at once with a clear message
// and exit status 1.
func TestNoCamera(t *testing.T) {
	if m, _ := filepath.Glob("/dev/video*"); len(m) > 0 {
		t.Fatalf("this test expects a machine without a camera; found %v", m)
	}
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"devices"}, &out, &errOut); code != 0 {
		t.Fatalf("onair devices: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Cameras") || !strings.Contains(out.String(), "no camera found") {
		t.Errorf("onair devices says:\n%s", out.String())
	}
	out.Reset()
	errOut.Reset()
	start := time.Now()
	code := Run(context.Background(), []string{"live", "--video", "camera", "--to", "rtmp://127.0.0.1:1/live/x"}, &out, &errOut)
	msg := errOut.String()
	if code != 1 || !strings.Contains(msg, "no camera found") || strings.Count(strings.TrimSpace(msg), "\n") > 0 {
		t.Errorf("--video camera: exit %d, stderr %q; want 1 and one line saying no camera found", code, msg)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to fail", d)
	}
	errOut.Reset()
	code = Run(context.Background(), []string{"live", "--video", "camera:HD Webcam", "--to", "rtmp://127.0.0.1:1/live/x"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "camera") {
		t.Errorf("--video camera:NAME: exit %d, stderr %q", code, errOut.String())
	}
}

// TestLiveMonitorAndMic captures audio through a real sound server (a
// PulseAudio daemon of the test's own): `--audio monitor` records what
// another process (pacat) plays into the null sink, a 660 Hz tone, and
// `--audio mic` the default microphone, into which pacat plays 880 Hz. Each is published as AAC to nginx-rtmp, and the audio the ffmpeg
// CLI decodes has that frequency.
func TestLiveMonitorAndMic(t *testing.T) {
	if _, err := peer.Require("ffmpeg", "ffmpeg"); err != nil {
		t.Fatal(err)
	}
	pa, err := peer.StartPulse(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Stop()
	dir := t.TempDir()
	for _, tone := range []struct {
		hz   int
		sink string
	}{{660, peer.PulseSink}, {880, peer.PulseMicSink}} {
		raw := filepath.Join(dir, fmt.Sprintf("%d.raw", tone.hz))
		if _, err := peer.FFmpeg(context.Background(), "-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:sample_rate=48000", tone.hz),
			"-t", "40", "-ac", "2", "-f", "s16le", "-y", raw); err != nil {
			t.Fatal(err)
		}
		play, err := pa.Play(tone.sink, raw)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = play.Process.Kill(); _ = play.Wait() }()
	}

	bin := buildBinary(t)
	ng := startNginx(t, 0)
	for _, c := range []struct {
		audio, mix string
		hz         []float64 // tones that must be there
	}{{"monitor", "", []float64{660}}, {"mic", "", []float64{880}}, {"mic", "monitor@-3", []float64{660, 880}}} {
		t.Run(c.audio+c.mix, func(t *testing.T) {
			url := ng.URL("live", c.audio)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{"live", "--video", "testsrc", "--audio", c.audio, "--size", "320x240",
				"--fps", "15", "--vbitrate", "300k", "--keyint", "1s", "--to", url, "--duration", "10s", "--stats-json"}
			if c.mix != "" {
				args = append(args, "--mix", c.mix)
			}
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = pa.Env()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			time.Sleep(2500 * time.Millisecond)
			raw, err := peer.FFmpeg(ctx, "-i", url, "-vn", "-t", "2", "-f", "f32le", "-ac", "1", "-ar", "48000", "-")
			if err != nil {
				t.Fatalf("%v\nonair: %s\npulseaudio: %s", err, stderr.String(), pa.Log())
			}
			samples := make([]float64, len(raw)/4)
			for i := range samples {
				samples[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			}
			if len(samples) < 48000 {
				t.Fatalf("decoded %d samples, want 2 s", len(samples))
			}
			// Skip the first half second: the monitor may start silent.
			// Each tone's level is the median over 100 ms windows: one
			// window over all of it adds coherently, and a glitch of the
			// sound server's on a loaded machine (pacat late, a phase
			// jump) then cancels most of it although the tone is there
			// (a CI run read 0.017 while onair's meter showed the tone
			// steady at -21 dBFS throughout).
			for _, hz := range []float64{440, 550, 660, 770, 880, 1000} {
				level := medianToneLevel(samples[24000:], hz)
				want := slices.Contains(c.hz, hz)
				if want && level < 0.02 || !want && level > 0.01 {
					t.Errorf("decoded audio: %v Hz at %.3f; want tones at %v only", hz, level, c.hz)
				} else if want {
					t.Logf("%v Hz at %.3f", hz, level)
				}
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("onair live: %v: %s", err, stderr.String())
			}
			if t.Failed() {
				t.Logf("onair: %s\nstats: %s", stderr.String(), stdout.String())
			}
			final := lastJSON(t, stdout.String())
			if final["audio_kbps"].(float64) < 50 {
				t.Errorf("final line: %v (audio not sent)", final)
			}
		})
	}
}
