package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/internal/peer"
)

// Screens are tested against a real X server: each test starts its own
// Xvfb on a free display number and names it in ScreenConfig.Display (or
// sets DISPLAY for ListVideoDevices). Screen connects when it is made, not
// at process start, so the test binary needs no DISPLAY when it starts;
// that is why mediadevices' screen driver, which opens $DISPLAY in its
// init(), is not used (see mdevices.go).

func TestNewScreenNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	_, err := NewScreen(ScreenConfig{})
	if !errors.Is(err, ErrNoDevice) || err.Error() != "capture: no such device: no X11 display: DISPLAY is not set" {
		t.Errorf("without DISPLAY: %v", err)
	}
	display := freeDisplay(t)
	_, err = NewScreen(ScreenConfig{Display: display})
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), fmt.Sprintf("cannot open X11 display %q", display)) {
		t.Errorf("display %s without a server: %v", display, err)
	}
	for _, cfg := range []ScreenConfig{
		{Display: display, FPS: 0.5},
		{Display: display, FPS: 300},
		{Display: display, Region: image.Rect(0, 0, 641, 480)},
		{Display: display, Region: image.Rect(-2, 0, 640, 480)},
	} {
		if _, err := NewScreen(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: error %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

// Colours of the test picture: four quadrants split at an odd column and
// row, so that an off-by-one in the region's origin shows.
var (
	splitX, splitY = 641, 361
	quadColours    = [4]color.RGBA{
		{0xff, 0x00, 0x00, 0xff}, // top left: red
		{0x00, 0xff, 0x00, 0xff}, // top right: green
		{0x00, 0x00, 0xff, 0xff}, // bottom left: blue
		{0xff, 0xff, 0x00, 0xff}, // bottom right: yellow
	}
)

// quadColour is the colour of the test picture at x, y.
func quadColour(x, y int) color.RGBA {
	i := 0
	if x >= splitX {
		i++
	}
	if y >= splitY {
		i += 2
	}
	return quadColours[i]
}

func TestScreenUnderXvfb(t *testing.T) {
	display, _ := startTestXvfb(t, "1280x720x24", "640x480x24")
	before := runtime.NumGoroutine()
	showPicture(t, display+".0", 1280, 720, quadColour)
	showPicture(t, display+".1", 640, 480, func(x, y int) color.RGBA { return color.RGBA{0x20, 0x40, 0x80, 0xff} })

	t.Run("whole", func(t *testing.T) {
		s, f := grabOne(t, ScreenConfig{Display: display, HideCursor: true}, true)
		if c := s.Config(); c.Region != image.Rect(0, 0, 1280, 720) || c.FPS != 30 || c.Screen != 0 {
			t.Errorf("config %+v", c)
		}
		if !s.SharedMemory() {
			t.Error("Xvfb on a local socket: want MIT-SHM")
		}
		checkPicture(t, f, image.Rect(0, 0, 1280, 720), quadColour)
		f.Release()
	})
	t.Run("region", func(t *testing.T) {
		r := image.Rect(600, 300, 680, 420) // straddles the split at 641, 361
		_, f := grabOne(t, ScreenConfig{Display: display, HideCursor: true, Region: r}, true)
		checkPicture(t, f, r, quadColour)
		f.Release()
	})
	t.Run("region-socket", func(t *testing.T) {
		r := image.Rect(639, 359, 645, 365)
		s, f := grabOne(t, ScreenConfig{Display: display, HideCursor: true, Region: r}, false)
		if s.SharedMemory() {
			t.Error("shared memory used when not allowed")
		}
		checkPicture(t, f, r, quadColour)
		f.Release()
	})
	t.Run("screen1", func(t *testing.T) {
		_, f := grabOne(t, ScreenConfig{Display: display, HideCursor: true, Screen: 1}, true)
		checkPicture(t, f, image.Rect(0, 0, 640, 480), func(x, y int) color.RGBA { return color.RGBA{0x20, 0x40, 0x80, 0xff} })
		f.Release()
	})
	t.Run("errors", func(t *testing.T) {
		_, err := NewScreen(ScreenConfig{Display: display, Screen: 2})
		if want := "no screen 2 on X11 display " + display + ": it has 2 screens (0 to 1)"; !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), want) {
			t.Errorf("screen 2: %v, want ErrNoDevice saying %q", err, want)
		}
		_, err = NewScreen(ScreenConfig{Display: display, Screen: 1, Region: image.Rect(600, 0, 700, 100)})
		if want := "screen region 100x100 at 600,0 does not fit in screen 1 of " + display + " (640x480)"; !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("region outside: %v, want ErrInvalidConfig saying %q", err, want)
		}
	})
	t.Run("pointer", func(t *testing.T) { testScreenPointer(t, display) })
	t.Run("timing", func(t *testing.T) { testScreenTiming(t, display) })
	t.Run("held", func(t *testing.T) { testScreenHeldFrames(t, display) })
	checkGoroutines(t, before)
}

// grabOne makes a Screen and returns it with its first frame; the Screen
// is closed at the end of the test.
func grabOne(t *testing.T, cfg ScreenConfig, allowShm bool) (*Screen, *media.VideoFrame) {
	t.Helper()
	s, err := newScreen(cfg, allowShm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	frames := make(chan *media.VideoFrame, 64)
	if err := s.Start(func(f *media.VideoFrame) {
		select {
		case frames <- f:
		default:
			f.Release()
		}
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-frames:
		// Close now: the frame must stay readable until released.
		s.Close()
		for len(frames) > 0 {
			(<-frames).Release()
		}
		return s, f
	case <-time.After(5 * time.Second):
		t.Fatalf("no frame in 5 s (err %v)", s.Err())
	}
	return nil, nil
}

// checkPicture compares frame f, a grab of rect, with want (in screen
// coordinates) at every pixel.
func checkPicture(t *testing.T, f *media.VideoFrame, rect image.Rectangle, want func(x, y int) color.RGBA) {
	t.Helper()
	if f.Format != media.PixelFormatBGRA || f.Width != rect.Dx() || f.Height != rect.Dy() ||
		f.Strides[0] < 4*f.Width || len(f.Planes[0]) < (f.Height-1)*f.Strides[0]+4*f.Width {
		t.Fatalf("frame %v %dx%d stride %d, %d bytes; want bgra %dx%d", f.Format, f.Width, f.Height, f.Strides[0], len(f.Planes[0]), rect.Dx(), rect.Dy())
	}
	bad := 0
	for y := 0; y < f.Height; y++ {
		row := f.Planes[0][y*f.Strides[0]:]
		for x := 0; x < f.Width; x++ {
			w := want(rect.Min.X+x, rect.Min.Y+y)
			if b, g, r := row[4*x], row[4*x+1], row[4*x+2]; r != w.R || g != w.G || b != w.B {
				if bad++; bad <= 5 {
					t.Errorf("pixel %d,%d of the frame (%d,%d on screen): rgb %d,%d,%d, want %d,%d,%d",
						x, y, rect.Min.X+x, rect.Min.Y+y, r, g, b, w.R, w.G, w.B)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pixels differ", bad, f.Width*f.Height)
	}
}

func testScreenTiming(t *testing.T, display string) {
	const fps = 30
	clock := media.NewClock()
	s, err := NewScreen(ScreenConfig{Display: display, FPS: fps, Clock: clock, Region: image.Rect(0, 0, 640, 360)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var pts []time.Duration
	var seqs []int64
	var late []time.Duration // how long after its PTS each frame reached out
	start := time.Now()
	if err := s.Start(func(f *media.VideoFrame) {
		mu.Lock()
		pts = append(pts, f.PTS)
		seqs = append(seqs, f.Seq)
		late = append(late, clock.Now()-f.PTS)
		mu.Unlock()
		f.Release()
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(func(*media.VideoFrame) {}); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	time.Sleep(time.Second)
	s.Close()
	elapsed := time.Since(start)
	n := s.Frames()
	mu.Lock()
	defer mu.Unlock()
	if int64(len(pts)) != n {
		t.Errorf("Frames %d, %d delivered", n, len(pts))
	}
	// Frames plus skipped slots cover the second: a slot every 1/30 s.
	if slots := n + s.Skipped(); slots < 25 || float64(slots) > elapsed.Seconds()*fps+2 {
		t.Errorf("%d frames and %d skipped in %v at %d fps", n, s.Skipped(), elapsed, fps)
	}
	if n < 20 {
		t.Fatalf("only %d frames in %v", n, elapsed)
	}
	var gaps []time.Duration
	for i := 1; i < len(pts); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("seq %d after %d", seqs[i], seqs[i-1])
		}
		if pts[i] <= pts[i-1] {
			t.Fatalf("PTS %v after %v", pts[i], pts[i-1])
		}
		gaps = append(gaps, pts[i]-pts[i-1])
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	period := time.Second / fps
	if med := gaps[len(gaps)/2]; med < period*85/100 || med > period*115/100 {
		t.Errorf("median PTS step %v, want %v ±15%%", med, period)
	}
	// The PTS is the grab, so it is never after the hand-over, and
	// barely before it.
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	if late[0] < 0 || late[len(late)/2] > 10*time.Millisecond {
		t.Errorf("frames reached out %v to %v after their PTS (median %v)", late[0], late[len(late)-1], late[len(late)/2])
	}
	t.Logf("%d frames, %d skipped in %v; PTS steps %v..%v, median %v; hand-over %v after the grab (median)",
		n, s.Skipped(), elapsed.Round(time.Millisecond), gaps[0], gaps[len(gaps)-1], gaps[len(gaps)/2], late[len(late)/2])
}

// testScreenHeldFrames holds every frame: the source runs out of shared
// images after maxScreenSegments, skips slots instead of growing, and goes
// on once frames are released, even after Close.
func testScreenHeldFrames(t *testing.T, display string) {
	s, err := NewScreen(ScreenConfig{Display: display, FPS: 100, Region: image.Rect(0, 0, 64, 64)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var held []*media.VideoFrame
	if err := s.Start(func(f *media.VideoFrame) {
		mu.Lock()
		held = append(held, f)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	n := len(held)
	for _, f := range held[:n/2] {
		f.Release()
	}
	mu.Unlock()
	if n != maxScreenSegments || s.Skipped() < 10 {
		t.Errorf("holding every frame: %d frames, %d skipped; want %d frames, then skips", n, s.Skipped(), maxScreenSegments)
	}
	time.Sleep(100 * time.Millisecond)
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(held) != n+n/2 {
		t.Errorf("after releasing %d frames: %d frames in all, want %d", n/2, len(held), n+n/2)
	}
	// Frames outlive Close until released.
	for _, f := range held[n/2:] {
		checkPicture(t, f, image.Rect(0, 0, 64, 64), quadColour)
		f.Release()
	}
}

// TestScreenXServerGone kills the X server under a running Screen: the
// source stops and says why, the process lives on, Close still works.
func TestScreenXServerGone(t *testing.T) {
	display, stopX := startTestXvfb(t, "320x240x24")
	before := runtime.NumGoroutine()
	s, err := NewScreen(ScreenConfig{Display: display, FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(func(f *media.VideoFrame) { f.Release() }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if s.Frames() == 0 || s.Err() != nil {
		t.Fatalf("before: %d frames, err %v", s.Frames(), s.Err())
	}
	stopX()
	deadline := time.Now().Add(5 * time.Second)
	for s.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "lost the connection to the X server") {
		t.Fatalf("after the X server went: err %v", err)
	}
	n := s.Frames()
	time.Sleep(100 * time.Millisecond)
	if s.Frames() != n {
		t.Error("frames after the X server went")
	}
	s.Close()
	checkGoroutines(t, before)
}

// BenchmarkScreenGrab1080p is the cost of one 1920x1080 grab through
// MIT-SHM, and of handing the frame back.
func BenchmarkScreenGrab1080p(b *testing.B) {
	display, _ := startTestXvfb(b, "1920x1080x24")
	s, err := NewScreen(ScreenConfig{Display: display})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(1920 * 1080 * 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := s.g.grab(s.cfg.Clock, int64(i))
		if err != nil || f == nil {
			b.Fatal(f, err)
		}
		f.Release()
	}
}

// showPicture puts a width×height picture, colour(x, y) at each pixel, on
// the root window of display (":N.S") with ImageMagick's display.
func showPicture(t *testing.T, display string, width, height int, colour func(x, y int) color.RGBA) {
	t.Helper()
	requireTools(t, "display (ImageMagick): apt-get install imagemagick", "display")
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			img.SetRGBA(x, y, colour(x, y))
		}
	}
	path := filepath.Join(t.TempDir(), "root.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("display", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	// display exits with status 1 after setting the root window's
	// background, and says nothing: only output means trouble.
	if len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("display -window root: %v: %s", err, out)
	}
}

func requireTools(t testing.TB, hint string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (%s)", tool, hint)
		}
	}
}

// freeDisplay is a display number no X server uses.
func freeDisplay(t testing.TB) string {
	for n := 90; n < 190; n++ {
		if !displayTaken(n) {
			return fmt.Sprintf(":%d", n)
		}
	}
	t.Fatal("no free X display number from :90 to :189")
	return ""
}

func displayTaken(n int) bool {
	for _, p := range []string{fmt.Sprintf("/tmp/.X11-unix/X%d", n), fmt.Sprintf("/tmp/.X%d-lock", n)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// startTestXvfb starts Xvfb (peer.StartXvfb) with the given screens
// ("1280x720x24", …) and stops it at the end of the test; stop stops it
// sooner. A missing Xvfb fails the test.
func startTestXvfb(t testing.TB, screens ...string) (display string, stop func()) {
	t.Helper()
	x, err := peer.StartXvfb(screens...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Stop)
	return x.Display, x.Stop
}
