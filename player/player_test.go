package player

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/fakeclock"
	"onair/internal/media"
)

// fakeAudioClock is an audioClock whose answer the test sets.
type fakeAudioClock struct {
	mu  sync.Mutex
	pts time.Duration
	ok  bool
}

func (f *fakeAudioClock) set(pts time.Duration, ok bool) {
	f.mu.Lock()
	f.pts, f.ok = pts, ok
	f.mu.Unlock()
}

func (f *fakeAudioClock) Clock() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pts, f.ok
}

// near reports whether got is within tol of want.
func near(got, want, tol time.Duration) bool {
	d := got - want
	return d >= -tol && d <= tol
}

// fakePlayClock is a play clock on a manual fake wall clock.
func fakePlayClock(audio audioClock) (*playClock, *fakeclock.Clock) {
	clk := fakeclock.New(fakeclock.Epoch())
	c := newPlayClock(audio)
	c.now = clk.Now
	return c, clk
}

// TestPlayClockWall: without audio the clock runs on the wall clock from
// its anchor, stops while paused, and runs at the speed asked (on a fake
// wall clock: every time is exact).
func TestPlayClockWall(t *testing.T) {
	c, clk := fakePlayClock(nil)
	if _, ok := c.Now(); ok || c.Anchored() {
		t.Fatal("a new clock runs before it was anchored")
	}
	c.Anchor(5 * time.Second)
	if !c.Anchored() {
		t.Fatal("Anchored false after Anchor")
	}
	clk.Advance(100 * time.Millisecond)
	now, ok := c.Now()
	if !ok || now != 5100*time.Millisecond {
		t.Errorf("100 ms after Anchor(5s): %v %v", now, ok)
	}

	// Paused: the time stands still, and carries on from there after.
	c.SetPaused(true)
	at, _ := c.Now()
	if at != 5100*time.Millisecond {
		t.Errorf("paused at %v, want 5.1s", at)
	}
	clk.Advance(100 * time.Millisecond)
	if still, _ := c.Now(); still != at {
		t.Errorf("paused clock moved from %v to %v", at, still)
	}
	c.SetPaused(true) // twice: no effect
	c.SetPaused(false)
	clk.Advance(50 * time.Millisecond)
	if now, _ := c.Now(); now != at+50*time.Millisecond {
		t.Errorf("50 ms after resuming at %v: %v", at, now)
	}

	// Speed 2: 100 ms of wall time is 200 ms of media.
	c.Anchor(time.Second)
	c.SetSpeed(2)
	clk.Advance(100 * time.Millisecond)
	if now, _ := c.Now(); now != 1200*time.Millisecond {
		t.Errorf("at speed 2, 100 ms after 1s: %v", now)
	}
	// Changing the speed keeps the time reached, and the new speed runs
	// from there.
	before, _ := c.Now()
	c.SetSpeed(1)
	if now, _ := c.Now(); now != before {
		t.Errorf("SetSpeed jumped the clock from %v to %v", before, now)
	}
	clk.Advance(100 * time.Millisecond)
	if now, _ := c.Now(); now != before+100*time.Millisecond {
		t.Errorf("at speed 1, 100 ms after %v: %v", before, now)
	}
	// Anchoring again jumps (a seek).
	c.Anchor(42 * time.Second)
	if now, _ := c.Now(); now != 42*time.Second {
		t.Errorf("after Anchor(42s): %v", now)
	}
}

// TestPlayClockRealTime: by default the clock runs on the real monotonic
// clock (the player's end-to-end tests run it in real time too).
func TestPlayClockRealTime(t *testing.T) {
	c := newPlayClock(nil)
	c.Anchor(5 * time.Second)
	time.Sleep(100 * time.Millisecond)
	now, ok := c.Now()
	if !ok || !near(now, 5100*time.Millisecond, 30*time.Millisecond) {
		t.Errorf("100 ms after Anchor(5s): %v %v", now, ok)
	}
}

// TestPlayClockAudioLeads: when the audio output knows its clock, that is
// the time; when it stops knowing (an underrun), the wall clock carries on
// from the last audio time; pause holds the time whatever the audio says.
func TestPlayClockAudioLeads(t *testing.T) {
	a := &fakeAudioClock{}
	c, clk := fakePlayClock(a)
	if _, ok := c.Now(); ok {
		t.Fatal("clock runs with neither an anchor nor audio")
	}
	a.set(3*time.Second, true)
	if now, ok := c.Now(); !ok || now != 3*time.Second {
		t.Errorf("Now = %v %v, want the audio clock's 3s", now, ok)
	}
	if !c.Anchored() {
		t.Error("the audio clock did not anchor the clock")
	}
	// The audio clock overrides an anchor, even one far from it.
	c.Anchor(10 * time.Second)
	a.set(3500*time.Millisecond, true)
	if now, _ := c.Now(); now != 3500*time.Millisecond {
		t.Errorf("Now = %v, want the audio clock's 3.5s", now)
	}
	// The audio clock is lost: the wall clock carries on from 3.5 s.
	a.set(0, false)
	clk.Advance(80 * time.Millisecond)
	if now, ok := c.Now(); !ok || now != 3580*time.Millisecond {
		t.Errorf("80 ms after the audio clock stopped at 3.5s: %v %v", now, ok)
	}
	// Paused: audio is ignored, time stands.
	a.set(4*time.Second, true)
	c.Now()
	c.SetPaused(true)
	a.set(9*time.Second, true)
	clk.Advance(50 * time.Millisecond)
	if now, _ := c.Now(); now != 4*time.Second {
		t.Errorf("paused at 4s with audio saying 9s: %v", now)
	}
	c.SetPaused(false)
	if now, _ := c.Now(); now != 9*time.Second {
		t.Errorf("resumed: %v, want the audio clock's 9s", now)
	}
}

// TestParseSource: every scheme the player plays, what it is taken for,
// and what it is refused with.
func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "clip.mp4")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.mp4")
	for _, c := range []struct {
		url   string
		kind  sourceKind
		err   error
		shown string // "" = do not check
	}{
		{url: "rtmp://example.com/live/KEY123", kind: kindRTMP, shown: "rtmp://example.com/live/****"},
		{url: "rtmps://example.com:443/app/KEY123", kind: kindRTMP, shown: "rtmps://example.com:443/app/****"},
		{url: "rtmpt://example.com/live/KEY123", kind: kindRTMP, shown: "rtmpt://example.com/live/****"},
		{url: "RTMP://example.com/live/KEY123", kind: kindRTMP},
		{url: "http://example.com/live/s.m3u8", kind: kindHLS, shown: "http://example.com/live/s.m3u8"},
		{url: "https://example.com/live/s.M3U8?token=T0K", kind: kindHLS, shown: "https://example.com/live/s.M3U8?token=****"},
		{url: "http://example.com/live/s.flv", kind: kindHTTP},
		{url: "https://example.com/live/s.flv?auth=T0K", kind: kindHTTP, shown: "https://example.com/live/s.flv?auth=****"},
		{url: "rtsp://user:PASSWD@example.com:8554/cam", kind: kindRTSP, shown: "rtsp://****@example.com:8554/cam"},
		{url: "srt://example.com:9000?streamid=T0K", kind: kindSRT, shown: "srt://example.com:9000?streamid=****"},
		{url: file, kind: kindFile, shown: file},
		{url: "  " + file + " ", kind: kindFile},
		{url: "file://" + file, kind: kindFile, shown: file},
		{url: missing, err: ErrNotFound},
		{url: "file://" + missing, err: ErrNotFound},
		{url: "ftp://example.com/x.mp4", err: ErrUnsupportedURL},
		{url: "gopher://example.com/live/KEY123", err: ErrUnsupportedURL},
		{url: "", err: ErrUnsupportedURL},
		{url: "rtmp:///live/KEY123", err: ErrUnsupportedURL},
		{url: "http://exa mple.com/x.m3u8", err: ErrUnsupportedURL},
	} {
		s, err := parseSource(c.url)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("parseSource(%q) = %v, want %v", c.url, err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), "KEY123") {
				t.Errorf("parseSource(%q): the error shows the stream key: %v", c.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseSource(%q): %v", c.url, err)
			continue
		}
		if s.kind != c.kind {
			t.Errorf("parseSource(%q).kind = %v, want %v", c.url, s.kind, c.kind)
		}
		if c.shown != "" && s.shown != c.shown {
			t.Errorf("parseSource(%q).shown = %q, want %q", c.url, s.shown, c.shown)
		}
		if s.live() != (c.kind != kindFile) {
			t.Errorf("parseSource(%q).live() = %v", c.url, s.live())
		}
		if c.kind == kindFile && s.url != "file:"+file {
			t.Errorf("parseSource(%q).url = %q, want file:%s", c.url, s.url, file)
		}
		for _, secret := range []string{"KEY123", "T0K", "PASSWD"} {
			if strings.Contains(s.shown, secret) {
				t.Errorf("parseSource(%q).shown = %q shows %s", c.url, s.shown, secret)
			}
		}
	}
}

func TestStateAndLatencyNames(t *testing.T) {
	want := []string{"opening", "buffering", "playing", "paused", "ended", "error"}
	for i, w := range want {
		if got := State(i).String(); got != w {
			t.Errorf("State(%d) = %q, want %q", i, got, w)
		}
	}
	for _, c := range []struct {
		in   string
		want Latency
		ok   bool
	}{{"low", LatencyLow, true}, {"", LatencyLow, true}, {"normal", LatencyNormal, true}, {"fast", 0, false}} {
		got, err := ParseLatency(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseLatency(%q) = %v %v", c.in, got, err)
		}
		if c.ok && got.String() != map[Latency]string{LatencyLow: "low", LatencyNormal: "normal"}[got] {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

// TestImageAndWritePNG: pictures with padded rows and odd sizes convert to
// Go images pixel for pixel, and WritePNG writes what Image gives.
func TestImageAndWritePNG(t *testing.T) {
	const w, h = 5, 3
	// YUV 4:2:0 with strides wider than the rows (as FFmpeg pads them).
	yuv := media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatYUV420P, Strides: [3]int{16, 8, 8}}
	yuv.Planes[0] = make([]byte, 16*h)
	yuv.Planes[1] = make([]byte, 8*2)
	yuv.Planes[2] = make([]byte, 8*2)
	for y := 0; y < h; y++ {
		for x := 0; x < 16; x++ {
			yuv.Planes[0][y*16+x] = byte(16 + 40*x + 10*y) // padding too, which must not show
		}
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 8; x++ {
			yuv.Planes[1][y*8+x] = byte(100 + 20*x)
			yuv.Planes[2][y*8+x] = byte(200 - 30*y)
		}
	}
	img, err := Image(&yuv)
	if err != nil {
		t.Fatal(err)
	}
	yc, ok := img.(*image.YCbCr)
	if !ok || yc.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("Image = %T %v, want a %dx%d *image.YCbCr", img, img.Bounds(), w, h)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			want := color.YCbCr{Y: byte(16 + 40*x + 10*y), Cb: byte(100 + 20*(x/2)), Cr: byte(200 - 30*(y/2))}
			if got := yc.YCbCrAt(x, y); got != want {
				t.Errorf("pixel %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "yuv.png")
	if err := WritePNG(path, &yuv); err != nil {
		t.Fatal(err)
	}
	back := decodePNG(t, path)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r0, g0, b0, _ := yc.At(x, y).RGBA()
			r1, g1, b1, a1 := back.At(x, y).RGBA()
			if r0>>8 != r1>>8 || g0>>8 != g1>>8 || b0>>8 != b1>>8 || a1 != 0xffff {
				t.Errorf("PNG pixel %d,%d differs from the image", x, y)
			}
		}
	}

	// RGBA with padded rows.
	rgba := media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatRGBA, Strides: [3]int{32}}
	rgba.Planes[0] = make([]byte, 32*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			copy(rgba.Planes[0][y*32+4*x:], []byte{byte(50 * x), byte(80 * y), 7, 255})
		}
	}
	path = filepath.Join(t.TempDir(), "rgba.png")
	if err := WritePNG(path, &rgba); err != nil {
		t.Fatal(err)
	}
	back = decodePNG(t, path)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			want := color.NRGBA{R: byte(50 * x), G: byte(80 * y), B: 7, A: 255}
			if got := color.NRGBAModel.Convert(back.At(x, y)); got != want {
				t.Errorf("RGBA PNG pixel %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}

	// A format it cannot convert, and a file it cannot write.
	if _, err := Image(&media.VideoFrame{Width: w, Height: h}); err == nil {
		t.Error("Image of a frame without a known format succeeded")
	}
	if err := WritePNG("/nonexistent/dir/x.png", &rgba); err == nil {
		t.Error("WritePNG into a missing directory succeeded")
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if img.Bounds() != image.Rect(0, 0, 5, 3) {
		t.Fatalf("%s is %v", path, img.Bounds())
	}
	return img
}
