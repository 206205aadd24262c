package encode

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/media"
)

func TestPreprocessConfigChecks(t *testing.T) {
	out := func(*media.VideoFrame) {}
	for _, cfg := range []PreprocessConfig{
		{Width: 0, Height: 720, FPS: 30, Out: out},
		{Width: 1281, Height: 720, FPS: 30, Out: out},
		{Width: 1280, Height: 720, FPS: 0, Out: out},
		{Width: 1280, Height: 720, FPS: 300, Out: out},
		{Width: 1280, Height: 720, FPS: 30, Fit: FitMode(7), Out: out},
		{Width: 1280, Height: 720, FPS: 30, PiP: &PiPConfig{Size: 2}, Out: out},
		{Width: 1280, Height: 720, FPS: 30},
	} {
		if p, err := NewPreprocessor(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", cfg, err)
			if p != nil {
				p.Close()
			}
		}
	}
}

// testSource is a pooled source: frames of w x h YUV420P whose every luma
// sample is byte(Seq), on buffers it reuses once released, so a frame
// released too early shows up as a wrong picture later.
type testSource struct {
	w, h     int
	free     chan []byte
	issued   atomic.Int64
	released atomic.Int64
}

func newTestSource(w, h int) *testSource {
	return &testSource{w: w, h: h, free: make(chan []byte, 64)}
}

func (s *testSource) frame(seq int64, pts time.Duration) *media.VideoFrame {
	var buf []byte
	select {
	case buf = <-s.free:
	default:
		buf = make([]byte, yuvSize(s.w, s.h))
	}
	m := newYUVImage(buf, s.w, s.h)
	setBytes(m.y, byte(seq))
	setBytes(m.cb, 128)
	setBytes(m.cr, 128)
	f := m.frame()
	f.Seq, f.PTS = seq, pts
	s.issued.Add(1)
	var once atomic.Bool
	f.SetRelease(func() {
		if once.Swap(true) {
			panic("frame released twice")
		}
		s.released.Add(1)
		s.free <- buf
	})
	return f
}

// sink stands in for the encoder: a short queue and a goroutine that reads
// each frame a little later, checks its picture and releases it.
type sink struct {
	q    *media.Queue[*media.VideoFrame]
	done chan struct{}

	mu      sync.Mutex
	pts     []time.Duration
	frames  []*media.VideoFrame // only when keep is set
	keep    bool
	badPix  int
	lateSeq int64
}

func newSink(keep bool) *sink {
	s := &sink{q: media.NewQueue[*media.VideoFrame](3, nil), done: make(chan struct{}), keep: keep}
	s.q.SetOnDrop(func(f *media.VideoFrame) { f.Release() })
	go func() {
		defer close(s.done)
		for {
			f, ok := s.q.TryPop()
			if !ok {
				if s.q.Closed() {
					return
				}
				<-s.q.Ready()
				continue
			}
			time.Sleep(time.Millisecond) // the encoder at work
			s.mu.Lock()
			// The centre: inside the picture whatever the letterbox.
			if f.Planes[0][f.Height/2*f.Strides[0]+f.Width/2] != byte(f.Seq) {
				s.badPix++
			}
			s.mu.Unlock()
			f.Release()
		}
	}()
	return s
}

func (s *sink) out(f *media.VideoFrame) {
	s.mu.Lock()
	s.pts = append(s.pts, f.PTS)
	if s.keep {
		s.frames = append(s.frames, f)
	}
	s.mu.Unlock()
	if !s.keep {
		s.q.Push(f)
	}
}

func (s *sink) close() {
	s.q.Close()
	<-s.done
}

// run feeds n frames at fps in real time into a fresh Preprocessor and
// returns its stats once the feed and the tail have passed.
func runFeed(t *testing.T, cfg PreprocessConfig, src *testSource, fps float64, n int, tail time.Duration) (PreprocessStats, *sink) {
	t.Helper()
	before := runtime.NumGoroutine()
	sk := newSink(false)
	cfg.Out = sk.out
	cfg.Clock = media.NewClock()
	p, err := NewPreprocessor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	period := time.Duration(float64(time.Second) / fps)
	start := time.Now()
	for i := 0; i < n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * period)))
		p.PushMain(src.frame(int64(i), cfg.Clock.Now()))
	}
	time.Sleep(tail)
	p.Close()
	st := p.Stats()
	sk.close()
	leaktest.Check(t, before, time.Second)
	if iss, rel := src.issued.Load(), src.released.Load(); iss != rel {
		t.Errorf("source frames: %d issued, %d released", iss, rel)
	}
	if sk.badPix > 0 {
		t.Errorf("%d output frames showed the wrong picture (released too early)", sk.badPix)
	}
	checkIncreasing(t, sk.pts)
	if int64(len(sk.pts)) != st.Out {
		t.Errorf("Out counts %d, the sink got %d", st.Out, len(sk.pts))
	}
	if st.In != int64(n) || st.Out-st.Repeated+st.Dropped != st.In {
		t.Errorf("stats %+v do not add up for %d in", st, n)
	}
	return st, sk
}

func within(v, want, slack int64) bool { return v >= want-slack && v <= want+slack }

func TestPreprocessFrameRate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		w, h   int // source size; the output is 64x64
		in     float64
		n      int
		tail   time.Duration
		drop   int64
		repeat int64
	}{
		// 60 fps in, 30 out: half dropped.
		{"60to30 bypass", 64, 64, 60, 30, 20 * time.Millisecond, 15, 0},
		{"60to30 scaled", 96, 64, 60, 30, 20 * time.Millisecond, 15, 0},
		// 10 fps in, 30 out: 2 of 3 outputs are repeats. Tail 1/10 s: the
		// last frame gets its two repeats too.
		{"10to30 bypass", 64, 64, 10, 5, 100 * time.Millisecond, 0, 10},
		{"10to30 scaled", 96, 64, 10, 5, 100 * time.Millisecond, 0, 10},
		// The output rate: passed frame for frame.
		{"30to30", 64, 64, 30, 15, 20 * time.Millisecond, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newTestSource(tc.w, tc.h)
			st, _ := runFeed(t, PreprocessConfig{Width: 64, Height: 64, FPS: 30}, src, tc.in, tc.n, tc.tail)
			t.Logf("%+v", st)
			if !within(st.Dropped, tc.drop, 2) || !within(st.Repeated, tc.repeat, 2) {
				t.Errorf("dropped %d, repeated %d; want %d and %d (±2)", st.Dropped, st.Repeated, tc.drop, tc.repeat)
			}
		})
	}
}

func TestPreprocessStalledFeed(t *testing.T) {
	// Three frames, then nothing: the timer keeps 30 fps coming.
	src := newTestSource(64, 64)
	st, sk := runFeed(t, PreprocessConfig{Width: 64, Height: 64, FPS: 30}, src, 30, 3, 500*time.Millisecond)
	if !within(st.Repeated, 14, 2) {
		t.Errorf("repeated %d in 0.5 s of stall, want about 14", st.Repeated)
	}
	// Repeats continue the grid: PTS 1/30 s apart.
	for i := 3; i < len(sk.pts); i++ {
		if d := sk.pts[i] - sk.pts[i-1]; d < 33*time.Millisecond || d > 34*time.Millisecond {
			t.Fatalf("repeat %d is %v after the previous output", i, d)
		}
	}
}

func TestPreprocessBypass(t *testing.T) {
	before := runtime.NumGoroutine()
	got := make(chan *media.VideoFrame, 4)
	clock := media.NewClock()
	p, err := NewPreprocessor(PreprocessConfig{Width: 64, Height: 64, FPS: 30, Clock: clock,
		Out: func(f *media.VideoFrame) { got <- f }})
	if err != nil {
		t.Fatal(err)
	}
	src := newTestSource(64, 64)
	in := src.frame(0, clock.Now())
	p.PushMain(in)
	out := <-got
	if out != in {
		t.Fatal("the frame was not passed through")
	}
	if out.PTS != in.PTS || out.Planes[0][0] != 0 {
		t.Errorf("passed-through frame altered")
	}
	// The source gets its buffer back only when both the consumer and the
	// Preprocessor (holding it for repeats) are done.
	out.Release()
	if src.released.Load() != 0 {
		t.Error("released while held for repeats")
	}
	p.Close()
	if src.released.Load() != 1 {
		t.Errorf("released %d times after Close, want 1", src.released.Load())
	}
	// Other sizes and formats are drawn on a canvas of our own.
	for _, f := range []*media.VideoFrame{yuvFrame(66, 64, yuvRed), rgbaFrame(64, 64, func(int, int) [4]byte { return [4]byte{} })} {
		r := newRenderer(PreprocessConfig{Width: 64, Height: 64, FPS: 30})
		o, sh, err := r.render(f, testWall)
		if err != nil || o == f {
			t.Errorf("%dx%d %v: passed through (%v)", f.Width, f.Height, f.Format, err)
		}
		sh.unref()
		r.close()
	}
	leaktest.Check(t, before, time.Second)
}

func TestPreprocessMainAndPiPFromTwoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	sk := newSink(false)
	clock := media.NewClock()
	p, err := NewPreprocessor(PreprocessConfig{Width: 128, Height: 72, FPS: 30, Clock: clock,
		OverlayText: "LIVE", OverlayClock: true, PiP: &PiPConfig{Corner: CornerTopLeft, Size: 0.3}, Out: sk.out})
	if err != nil {
		t.Fatal(err)
	}
	mainSrc, pipSrc := newTestSource(160, 120), newTestSource(64, 36)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 30; i++ {
			p.PushMain(mainSrc.frame(int64(i), clock.Now()))
			time.Sleep(10 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			p.PushPiP(pipSrc.frame(int64(i), clock.Now()))
			time.Sleep(3 * time.Millisecond)
		}
	}()
	wg.Wait()
	p.Close()
	sk.close()
	st := p.Stats()
	if st.Out < 10 || st.ProcessP50 <= 0 {
		t.Errorf("stats %+v", st)
	}
	for _, s := range []*testSource{mainSrc, pipSrc} {
		if s.issued.Load() != s.released.Load() {
			t.Errorf("%d frames issued, %d released", s.issued.Load(), s.released.Load())
		}
	}
	// After Close, pushes are released at once and counted.
	f := mainSrc.frame(99, clock.Now())
	p.PushMain(f)
	p.PushPiP(pipSrc.frame(99, clock.Now()))
	if mainSrc.issued.Load() != mainSrc.released.Load() || pipSrc.issued.Load() != pipSrc.released.Load() {
		t.Error("a frame pushed after Close was kept")
	}
	p.Close() // twice is fine
	leaktest.Check(t, before, time.Second)
}

func TestPreprocessCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		clock := media.NewClock()
		p, err := NewPreprocessor(PreprocessConfig{Width: 64, Height: 64, FPS: 30, Clock: clock, Out: func(f *media.VideoFrame) { f.Release() }})
		if err != nil {
			t.Fatal(err)
		}
		p.PushMain(yuvFrame(80, 64, yuvRed)) // arms the repeat timer
		time.Sleep(5 * time.Millisecond)
		p.Close()
	}
	leaktest.Check(t, before, time.Second)
}

// benchRender measures render on frames of one size and format.
func benchRender(b *testing.B, cfg PreprocessConfig, src *media.VideoFrame) {
	r := newRenderer(cfg)
	defer r.close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := *src
		_, sh, err := r.render(&f, testWall)
		if err != nil {
			b.Fatal(err)
		}
		sh.unref()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
}

func BenchmarkPreprocess(b *testing.B) {
	c1080 := PreprocessConfig{Width: 1920, Height: 1080, FPS: 30}
	b.Run("1080p_RGBA_to_1080p_YUV", func(b *testing.B) {
		benchRender(b, c1080, rgbaFrame(1920, 1080, func(x, y int) [4]byte { return [4]byte{byte(x), byte(y), byte(x + y), 255} }))
	})
	b.Run("720p_to_1080p_letterbox", func(b *testing.B) {
		benchRender(b, c1080, patternFrame(1280, 720))
	})
	b.Run("4:3_480p_to_1080p_letterbox", func(b *testing.B) {
		benchRender(b, c1080, patternFrame(640, 480))
	})
	b.Run("1080p_title_clock_pip", func(b *testing.B) {
		cfg := c1080
		cfg.OverlayText, cfg.OverlayClock, cfg.PiP = "ON AIR", true, &PiPConfig{Size: 0.25}
		r := newRenderer(cfg)
		if err := r.updatePiP(patternFrame(640, 360)); err != nil {
			b.Fatal(err)
		}
		r.close()
		benchRender(b, cfg, patternFrame(1920, 1080))
	})
	b.Run("1080p_bypass", func(b *testing.B) {
		benchRender(b, c1080, patternFrame(1920, 1080))
	})
}
