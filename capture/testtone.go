package capture

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
	"onair/internal/testsignal"
)

// Limits of TestToneConfig.
const (
	MinTestToneRate     = 8000
	MaxTestToneRate     = 192000
	MaxTestToneChannels = 8
	// MinTestToneBlock and MaxTestToneBlock bound the duration of one
	// block (BlockSamples / SampleRate).
	MinTestToneBlock = time.Millisecond
	MaxTestToneBlock = 250 * time.Millisecond
)

// TestToneConfig configures a TestTone.
type TestToneConfig struct {
	// SampleRate in Hz, 8000..192000. Default 48000.
	SampleRate int
	// Channels, 1..8, all carrying the same signal. Default 2.
	Channels int
	// BlockSamples is the number of sample instants per frame; a block
	// must last 1..250 ms. Default 1024 (21.3 ms at 48 kHz).
	BlockSamples int
	// Clock is the stream clock on which blocks are stamped. Default: a
	// clock started by NewTestTone.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// TestTone is the built-in audio test source, "tone": interleaved float32
// blocks carrying the signal of testsignal.ToneGenerator, a 440 Hz tone at
// -30 dBFS with a 1 kHz beep at -6 dBFS for the first 100 ms of every
// wall-clock second.
//
// At Start the source reads the clock once, getting the wall-clock time
// wallStart and the monotonic reading together; sample i is then captured
// at wall-clock time wallStart + i/SampleRate, which decides the beeps, and
// at stream time start + i/SampleRate, which is the PTS of the block it
// begins. The video test source reads the same wall clock, so beeps and
// white sync squares line up. A block is delivered when its last sample
// is due on the monotonic clock, as a capture device would. When the
// source falls behind by more than one block it skips the blocks already
// past (a gap in the samples and PTS), counted by Skipped.
type TestTone struct {
	cfg     TestToneConfig
	log     *slog.Logger
	run     runner
	skipped atomic.Int64
	blocks  atomic.Int64
}

// NewTestTone checks cfg and fills in defaults. It returns an error
// wrapping ErrInvalidConfig when a field is out of range.
func NewTestTone(cfg TestToneConfig) (*TestTone, error) {
	if err := audioFormat(&cfg.SampleRate, &cfg.Channels, MinTestToneRate, MaxTestToneRate, MaxTestToneChannels); err != nil {
		return nil, err
	}
	if cfg.BlockSamples == 0 {
		cfg.BlockSamples = 1024
	}
	if d := testsignal.SampleOffset(int64(cfg.BlockSamples), cfg.SampleRate); cfg.BlockSamples < 1 ||
		d < MinTestToneBlock || d > MaxTestToneBlock {
		return nil, fmt.Errorf("%w: block of %d samples at %d Hz must last %v..%v",
			ErrInvalidConfig, cfg.BlockSamples, cfg.SampleRate, MinTestToneBlock, MaxTestToneBlock)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	return &TestTone{cfg: cfg, log: cfg.Logger.With("source", "tone")}, nil
}

// Config is the configuration in use, defaults filled in.
func (s *TestTone) Config() TestToneConfig { return s.cfg }

// Start launches the source's goroutine, which produces blocks until Close
// and calls out with each one. out is called from that goroutine, one block
// at a time, and must not block (push to a media.Queue); the frame then
// belongs to the callee. Start returns ErrStarted when called twice and
// ErrClosed after Close.
func (s *TestTone) Start(out func(*media.AudioFrame)) error {
	return startLoop(&s.run, "tone", out, s.loop)
}

// Close stops the source and returns once its goroutine has ended; no
// block is delivered after it returns. It is safe to call more than once,
// and without Start.
func (s *TestTone) Close() error {
	s.run.stop()
	return nil
}

// Skipped is the number of blocks skipped because the source had fallen
// behind.
func (s *TestTone) Skipped() int64 { return s.skipped.Load() }

// Blocks is the number of blocks produced so far.
func (s *TestTone) Blocks() int64 { return s.blocks.Load() }

func (s *TestTone) loop(ctx context.Context, out func(*media.AudioFrame)) {
	st, err := s.newStream(time.Now())
	if err != nil { // NewTestTone checked the configuration
		s.log.Error("cannot start", "err", err)
		return
	}
	// Block n is due when its last sample is: wallStart + (n+1) blocks.
	blockNS := float64(s.cfg.BlockSamples) * float64(time.Second) / float64(s.cfg.SampleRate)
	p := newPacer(st.wallStart.Add(time.Duration(blockNS)), blockNS)
	defer p.stop()
	s.log.Debug("started", "rate", s.cfg.SampleRate, "channels", s.cfg.Channels, "block", s.cfg.BlockSamples)
	loss := lossLog{key: "skipped"}
	for {
		slot, skipped, _, ok := p.wait(ctx)
		if !ok {
			s.log.Debug("stopped", "blocks", s.blocks.Load(), "skipped", s.skipped.Load())
			return
		}
		if skipped > 0 {
			loss.note(s.log, "falling behind, skipped blocks", skipped, s.skipped.Add(skipped))
		}
		out(st.block(slot))
		s.blocks.Add(1)
	}
}

// toneStream is one run of the tone: the sample generator anchored at
// wallStart and the stream time of sample 0.
type toneStream struct {
	cfg       TestToneConfig
	gen       *testsignal.ToneGenerator
	wallStart time.Time
	startPTS  time.Duration
}

// newStream anchors sample 0 at wallStart, whose monotonic reading (if it
// has one) also gives its stream time on the configured clock.
func (s *TestTone) newStream(wallStart time.Time) (*toneStream, error) {
	gen, err := testsignal.NewToneGenerator(s.cfg.SampleRate, s.cfg.Channels, wallStart)
	if err != nil {
		return nil, err
	}
	return &toneStream{cfg: s.cfg, gen: gen, wallStart: wallStart, startPTS: wallStart.Sub(s.cfg.Clock.Start())}, nil
}

// block generates block n (samples n*BlockSamples onwards), jumping over
// the samples of any blocks skipped before it.
func (t *toneStream) block(n int64) *media.AudioFrame {
	first := n * int64(t.cfg.BlockSamples)
	t.gen.Skip(first - t.gen.Next())
	f := &media.AudioFrame{
		PTS:        t.startPTS + testsignal.SampleOffset(first, t.cfg.SampleRate),
		SampleRate: t.cfg.SampleRate,
		Channels:   t.cfg.Channels,
		Samples:    make([]float32, t.cfg.BlockSamples*t.cfg.Channels),
	}
	t.gen.Fill(f.Samples)
	return f
}
