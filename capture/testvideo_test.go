package capture

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/internal/testsignal"
)

func TestNewTestVideo(t *testing.T) {
	s, err := NewTestVideo(TestVideoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.Width != 1280 || c.Height != 720 || c.FPS != 30 || c.Logger == nil || c.Clock.Start().IsZero() {
		t.Errorf("defaults: %+v", c)
	}
	for _, c := range []TestVideoConfig{
		{Width: 640, Height: 480, FPS: 29.97},
		{Width: 64, Height: 64, FPS: 1},
		{Width: 3840, Height: 2160, FPS: 120},
	} {
		if _, err := NewTestVideo(c); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []TestVideoConfig{
		{Width: 641, Height: 480},
		{Width: 640, Height: 481},
		{Width: 62, Height: 480},
		{Width: 640, Height: 62},
		{Width: 8194, Height: 480},
		{Width: -640, Height: 480},
		{Width: 640, Height: 480, FPS: 0.5},
		{Width: 640, Height: 480, FPS: 241},
		{Width: 640, Height: 480, FPS: -30},
		{Width: 640, Height: 480, FPS: math.NaN()},
		{Width: 640, Height: 480, FPS: math.Inf(1)},
	} {
		if _, err := NewTestVideo(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: error %v, want ErrInvalidConfig", c, err)
		}
	}
}

func TestTestVideoFrame(t *testing.T) {
	clock := media.NewClock()
	s, err := NewTestVideo(TestVideoConfig{Width: 640, Height: 360, Clock: clock, Buffers: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := s.frame(now, 7)
	if f.Width != 640 || f.Height != 360 || f.Format != media.PixelFormatYUV420P || f.Seq != 7 {
		t.Fatalf("frame %dx%d %v seq %d", f.Width, f.Height, f.Format, f.Seq)
	}
	if f.Strides != [3]int{640, 320, 320} || len(f.Planes[0]) != 640*360 ||
		len(f.Planes[1]) != 320*180 || len(f.Planes[2]) != 320*180 {
		t.Fatalf("strides %v, planes %d %d %d", f.Strides, len(f.Planes[0]), len(f.Planes[1]), len(f.Planes[2]))
	}
	if f.PTS != now.Sub(clock.Start()) {
		t.Fatalf("PTS %v, want %v", f.PTS, now.Sub(clock.Start()))
	}
	if ms, ok := testsignal.ReadStripe(f.Planes[0], 640, 640, 360); !ok || ms != now.UnixMilli() {
		t.Fatalf("stripe %d, %v, want %d", ms, ok, now.UnixMilli())
	}
	// A released frame's buffer is reused.
	y0 := &f.Planes[0][0]
	f.Release()
	g := s.frame(now.Add(time.Second/30), 8)
	if &g.Planes[0][0] != y0 {
		t.Error("released buffer not reused")
	}
	// Unreleased frames do not share buffers.
	h := s.frame(now.Add(2*time.Second/30), 9)
	if &h.Planes[0][0] == &g.Planes[0][0] {
		t.Error("two live frames share a buffer")
	}
	g.Release()
	h.Release()
}

// TestTestVideoRun runs the source for a second at 30 fps and checks
// pacing, numbering, stamps and marks of what it delivers.
func TestTestVideoRun(t *testing.T) {
	before := runtime.NumGoroutine()
	const w, h, fps = 320, 240, 30
	clock := media.NewClock()
	s, err := NewTestVideo(TestVideoConfig{Width: w, Height: h, FPS: fps, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		seq       int64
		pts       time.Duration
		stripe    int64
		stripeOK  bool
		square    bool
		readAt    int64
		picture   []byte // luma below the stripe
		wh        [2]int
		format    media.PixelFormat
		ptsVsRead time.Duration
	}
	var mu sync.Mutex
	var frames []got
	start := time.Now()
	if err := s.Start(func(f *media.VideoFrame) {
		defer f.Release()
		readAt := time.Now()
		ms, ok := testsignal.ReadStripe(f.Planes[0], f.Strides[0], f.Width, f.Height)
		g := got{
			seq: f.Seq, pts: f.PTS, stripe: ms, stripeOK: ok,
			square:    testsignal.ReadSyncSquare(f.Planes[0], f.Strides[0], f.Width, f.Height),
			readAt:    readAt.UnixMilli(),
			picture:   append([]byte(nil), f.Planes[0][testsignal.StripeHeight(h)*w:]...),
			wh:        [2]int{f.Width, f.Height},
			format:    f.Format,
			ptsVsRead: readAt.Sub(clock.Start()) - f.PTS,
		}
		mu.Lock()
		frames = append(frames, g)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(func(*media.VideoFrame) {}); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	time.Sleep(time.Second - time.Since(start) + 10*time.Millisecond)
	closeStart := time.Now()
	s.Close()
	closed := time.Now()
	if d := closed.Sub(closeStart); d > 200*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	mu.Lock()
	n := len(frames)
	mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(frames) != n {
		t.Fatal("frames delivered after Close returned")
	}
	if err := s.Start(func(*media.VideoFrame) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	checkGoroutines(t, before)

	// About 1 s at 30 fps: slots at 0, 33, …, 1000 ms, 31 in all. On a
	// loaded machine the test itself may wake late, so count the slots
	// due while the source ran: every one is produced or skipped, none
	// more (no bursts), allowing 2 for wake-ups still pending at Close.
	skipped := s.Skipped()
	total := int64(n) + skipped
	lo := int64(closeStart.Sub(start).Seconds()*fps) + 1 - 2
	hi := int64(closed.Sub(start).Seconds()*fps) + 1
	t.Logf("%d frames, %d skipped; %d..%d slots due", n, skipped, lo+2, hi)
	if total < lo || total > hi || n < 5 {
		t.Fatalf("%d frames and %d skipped in %v at 30 fps, want %d..%d in all", n, skipped, closeStart.Sub(start), lo, hi)
	}
	if s.Frames() != int64(n) {
		t.Errorf("Frames() = %d, delivered %d", s.Frames(), n)
	}
	for i, f := range frames {
		if f.seq != int64(i) || f.wh != [2]int{w, h} || f.format != media.PixelFormatYUV420P {
			t.Fatalf("frame %d: seq %d, size %v, format %v", i, f.seq, f.wh, f.format)
		}
		if !f.stripeOK || f.stripe < f.readAt-50 || f.stripe > f.readAt {
			t.Errorf("frame %d: stripe %d (%v), read at %d", i, f.stripe, f.stripeOK, f.readAt)
		}
		if f.square != testsignal.SyncOn(f.stripe) {
			t.Errorf("frame %d: square white %v at stripe time %d", i, f.square, f.stripe)
		}
		if f.ptsVsRead < 0 || f.ptsVsRead > 50*time.Millisecond {
			t.Errorf("frame %d: PTS %v, %v before it was read", i, f.pts, f.ptsVsRead)
		}
		if i == 0 {
			continue
		}
		if f.pts <= frames[i-1].pts {
			t.Errorf("frame %d: PTS %v not after %v", i, f.pts, frames[i-1].pts)
		}
		if bytes.Equal(f.picture, frames[i-1].picture) {
			t.Errorf("frame %d equals frame %d outside the stripe", i, i-1)
		}
	}
	if skipped == 0 {
		spacing := (frames[n-1].pts - frames[0].pts) / time.Duration(n-1)
		if d := spacing - time.Second/fps; d < -2*time.Millisecond || d > 2*time.Millisecond {
			t.Errorf("mean PTS spacing %v, want %v", spacing, time.Second/fps)
		}
	}
}

// TestTestVideoSkips stalls the consumer (which breaks the contract, to
// simulate a starved source) and checks that the missed slots are skipped
// and counted rather than delivered in a burst.
func TestTestVideoSkips(t *testing.T) {
	s, err := NewTestVideo(TestVideoConfig{Width: 64, Height: 64, FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var pts []time.Duration
	if err := s.Start(func(f *media.VideoFrame) {
		f.Release()
		mu.Lock()
		pts = append(pts, f.PTS)
		n := len(pts)
		mu.Unlock()
		if n == 3 {
			time.Sleep(110 * time.Millisecond) // 5.5 frame intervals
		}
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if s.Skipped() < 4 {
		t.Fatalf("Skipped = %d after a 110 ms stall at 50 fps, want 4 or more", s.Skipped())
	}
	if len(pts) < 6 {
		t.Fatalf("only %d frames", len(pts))
	}
	if gap := pts[3] - pts[2]; gap < 110*time.Millisecond {
		t.Errorf("frames 2 and 3 %v apart across a 110 ms stall", gap)
	}
	// Frame 3 is the latest slot due after the stall (due before the next
	// slot, s+1); frame 5 waits for slot s+2 at the earliest. A burst of
	// the missed slots would put them all within a millisecond or so.
	if gap := pts[5] - pts[3]; gap < 20*time.Millisecond {
		t.Errorf("frames 3 to 5 only %v apart after a stall: a burst", gap)
	}
}

func TestTestVideoCloseWithoutStart(t *testing.T) {
	s, err := NewTestVideo(TestVideoConfig{Width: 64, Height: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(func(*media.VideoFrame) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

// BenchmarkTestVideo2160p measures producing one 3840x2160 frame, without
// pacing: the target is well under 8 ms.
func BenchmarkTestVideo2160p(b *testing.B) {
	s, err := NewTestVideo(TestVideoConfig{Width: 3840, Height: 2160, FPS: 30})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.SetBytes(int64(s.pic.size()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := s.frame(now.Add(time.Duration(i)*time.Second/30), int64(i))
		f.Release()
	}
}
