package capture

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
)

// Limits of TestVideoConfig.
const (
	// MinTestVideoSize is the least width and height of the test video:
	// the timecode stripe needs 64 pixels across.
	MinTestVideoSize = 64
	// MaxTestVideoSize is the largest width and height of the test video.
	MaxTestVideoSize = 8192
	// MinTestVideoFPS and MaxTestVideoFPS bound the test video's frame rate.
	MinTestVideoFPS = 1.0
	MaxTestVideoFPS = 240.0
)

// framePoolSize is how many idle frame buffers a TestVideo keeps for reuse.
const framePoolSize = 4

// TestVideoConfig configures a TestVideo.
type TestVideoConfig struct {
	// Width and Height of the frames in pixels: even, 64..8192. Default
	// 1280x720.
	Width, Height int
	// FPS is the frame rate, 1..240; fractional rates such as 29.97 are
	// allowed. Default 30.
	FPS float64
	// Buffers is how many frame buffers the source keeps for reuse. They
	// are allocated and written by NewTestVideo, before the clock starts:
	// a fresh buffer's first touch is slow (tens of ms for a 4K frame on a
	// VM) and would make the first frames late. Set it to how many frames
	// the consumer may hold at once (its queue, plus one being encoded,
	// plus one). Default 4 (framePoolSize).
	Buffers int
	// Clock is the stream clock on which frames are stamped. Default: a
	// clock started by NewTestVideo.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// TestVideo is the built-in video test source, "testsrc": paced frames of
// a test pattern in media.PixelFormatYUV420P (limited-range BT.601) with
// 75% colour bars, a box sweeping left to right, the wall-clock time of
// capture and the frame number burned in, and the timecode stripe and sync
// square of internal/testsignal.
//
// Frame n is due at start + n/FPS on the monotonic clock. Each frame's PTS
// is its capture time on Config.Clock, read together with the wall-clock
// time that its stripe, sync square and clock text carry. Seq counts
// produced frames from 0. When the source falls behind by more than one
// frame interval it skips the slots already past, counted by Skipped.
//
// Frame buffers are pooled: the consumer must call Release on each frame it
// received once done with it (or hand it to a stage that does).
type TestVideo struct {
	cfg     TestVideoConfig
	log     *slog.Logger
	pic     *picture
	pool    *framePool
	run     runner
	skipped atomic.Int64
	frames  atomic.Int64

	// Used only by the source goroutine (or a benchmark, alone).
	scratch   []byte
	warnedErr bool
}

// NewTestVideo checks cfg, fills in defaults and prepares the picture. It
// returns an error wrapping ErrInvalidConfig when a field is out of range.
func NewTestVideo(cfg TestVideoConfig) (*TestVideo, error) {
	if cfg.Width == 0 && cfg.Height == 0 {
		cfg.Width, cfg.Height = 1280, 720
	}
	if cfg.FPS == 0 {
		cfg.FPS = 30
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"width", cfg.Width}, {"height", cfg.Height}} {
		if d.v < MinTestVideoSize || d.v > MaxTestVideoSize || d.v%2 != 0 {
			return nil, fmt.Errorf("%w: %s (%d) must be even and in %d..%d",
				ErrInvalidConfig, d.name, d.v, MinTestVideoSize, MaxTestVideoSize)
		}
	}
	if !(cfg.FPS >= MinTestVideoFPS && cfg.FPS <= MaxTestVideoFPS) {
		return nil, fmt.Errorf("%w: frame rate (%g) must be in %g..%g",
			ErrInvalidConfig, cfg.FPS, MinTestVideoFPS, MaxTestVideoFPS)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	if cfg.Buffers <= 0 {
		cfg.Buffers = framePoolSize
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	pic, err := newPicture(cfg.Width, cfg.Height)
	if err != nil {
		return nil, err
	}
	s := &TestVideo{
		cfg:  cfg,
		log:  cfg.Logger.With("source", "testsrc"),
		pic:  pic,
		pool: newFramePool(pic.size(), cfg.Buffers),
	}
	s.pool.prefill(cfg.Buffers, pic.bg)
	return s, nil
}

// Config is the configuration in use, defaults filled in.
func (s *TestVideo) Config() TestVideoConfig { return s.cfg }

// Start launches the source's goroutine, which produces frames until Close
// and calls out with each one. out is called from that goroutine, one frame
// at a time, and must not block (push to a media.Queue, whose Push never
// waits); the frame then belongs to the callee, who must Release it. Start
// returns ErrStarted when called twice and ErrClosed after Close.
func (s *TestVideo) Start(out func(*media.VideoFrame)) error {
	return startLoop(&s.run, "testsrc", out, s.loop)
}

// Close stops the source and returns once its goroutine has ended; no
// frame is delivered after it returns. It is safe to call more than once,
// and without Start.
func (s *TestVideo) Close() error {
	s.run.stop()
	return nil
}

// Skipped is the number of frame slots skipped because the source had
// fallen behind.
func (s *TestVideo) Skipped() int64 { return s.skipped.Load() }

// Frames is the number of frames produced so far.
func (s *TestVideo) Frames() int64 { return s.frames.Load() }

func (s *TestVideo) loop(ctx context.Context, out func(*media.VideoFrame)) {
	p := newPacer(time.Now(), float64(time.Second)/s.cfg.FPS)
	defer p.stop()
	s.log.Debug("started", "width", s.cfg.Width, "height", s.cfg.Height, "fps", s.cfg.FPS)
	loss := lossLog{key: "skipped"}
	for seq := int64(0); ; seq++ {
		_, skipped, now, ok := p.wait(ctx)
		if !ok {
			s.log.Debug("stopped", "frames", seq, "skipped", s.skipped.Load())
			return
		}
		if skipped > 0 {
			loss.note(s.log, "falling behind, skipped frames", skipped, s.skipped.Add(skipped))
		}
		out(s.frame(now, seq))
		s.frames.Add(1)
	}
}

// frame renders frame seq captured at now (which carries both the wall
// clock and the monotonic reading the PTS is taken from).
func (s *TestVideo) frame(now time.Time, seq int64) *media.VideoFrame {
	pts := now.Sub(s.cfg.Clock.Start())
	buf := s.pool.get()
	var err error
	s.scratch, err = s.pic.draw(buf, now, pts, seq, s.scratch)
	if err != nil && !s.warnedErr {
		// Only a wall clock before 1970 gets here: the frame goes out
		// without its marks.
		s.log.Error("cannot draw the test marks", "err", err)
		s.warnedErr = true
	}
	w, h := s.cfg.Width, s.cfg.Height
	y, cb, cr := s.pic.planes(buf)
	f := &media.VideoFrame{
		PTS:     pts,
		Seq:     seq,
		Width:   w,
		Height:  h,
		Format:  media.PixelFormatYUV420P,
		Planes:  [3][]byte{y, cb, cr},
		Strides: [3]int{w, w / 2, w / 2},
	}
	f.SetRelease(func() { s.pool.put(buf) })
	return f
}
