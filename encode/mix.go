package encode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/level"
	"onair/internal/logx"
	"onair/internal/media"
)

// Limits and constants of the Mixer.
const (
	MinMixRate = 8000
	MaxMixRate = 192000
	// MaxMixInputChannels is the most channels an input frame may have.
	MaxMixInputChannels = 8
	// MaxMixGain is the largest linear input gain (+20 dB).
	MaxMixGain = 10.0
	// SilenceDBFS is the level reported for silence (and anything quieter):
	// level.Floor, the one floor of every meter in the program.
	SilenceDBFS = level.Floor
	// MixContinuity is how far an input frame's PTS may be from the end of
	// the input's previous frame and still be taken as its continuation
	// (placed right after it, so PTS jitter never opens gaps or overlaps).
	MixContinuity = 20 * time.Millisecond
)

var (
	// ErrMixerClosed is returned by Mixer.AddInput and Mixer.Start after
	// Close.
	ErrMixerClosed = errors.New("mixer closed")
	// ErrMixerStarted is returned by Mixer.Start when called twice.
	ErrMixerStarted = errors.New("mixer already started")
)

// MixerConfig configures a Mixer. Zero fields take the defaults.
type MixerConfig struct {
	// SampleRate of the mix in Hz, 8000..192000. Default 48000.
	SampleRate int
	// Channels of the mix: 1 or 2. Default 2.
	Channels int
	// Block is the duration of each output frame, 1..100 ms, rounded to
	// whole samples. Default 10 ms (480 samples at 48 kHz): short, so that
	// the mix adds little delay and meters move smoothly (the AAC encoder
	// regroups blocks into its 1024-sample frames).
	Block time.Duration
	// Latency is how long after a block's last sample was captured the
	// mixer waits for the inputs' samples before it mixes the block:
	// samples that arrive later are dropped (counted as Late), an input
	// that has not delivered by then is silence (counted as Missing).
	// 1 ms..1 s. Default 100 ms, which covers a capture device's period
	// and a source's block. Output PTS are capture times all the same, so
	// the latency delays the audio but does not shift it against video.
	// It is where the mix starts: see MaxLatency.
	Latency time.Duration
	// MaxLatency is how far the mixer may raise its latency, as OBS raises
	// its audio buffering: when an input's samples arrive late (a loaded
	// machine, a device with a long period), the latency grows by their
	// lateness plus a block, so that what the input sends next is in time
	// instead of being dropped too. It never comes down during a mix.
	// Latency..1 s. Default the larger of Latency and 500 ms, within
	// Buffer less 4 blocks.
	MaxLatency time.Duration
	// Buffer is the most audio an input may deliver ahead of the mix
	// (beyond it samples are dropped, counted as Ahead) and how far the
	// mixer may fall behind before it skips blocks instead of catching
	// up. Latency+4 blocks..10 s. Default 1 s.
	Buffer time.Duration
	// LevelWindow is the time over which peak and RMS levels are measured,
	// at least one block, at most 10 s. Default 300 ms (a VU meter's
	// integration time).
	LevelWindow time.Duration
	// Clock is the stream clock of the inputs' PTS, which the mix runs on.
	// Default: a clock started by NewMixer.
	Clock media.Clock
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *MixerConfig) setDefaults() error {
	if c.SampleRate == 0 {
		c.SampleRate = 48000
	}
	if c.Channels == 0 {
		c.Channels = 2
	}
	if c.Block == 0 {
		c.Block = 10 * time.Millisecond
	}
	if c.Latency == 0 {
		c.Latency = 100 * time.Millisecond
	}
	if c.Buffer == 0 {
		c.Buffer = time.Second
	}
	if c.MaxLatency == 0 {
		c.MaxLatency = max(c.Latency, min(500*time.Millisecond, c.Buffer-4*c.Block))
	}
	if c.LevelWindow == 0 {
		c.LevelWindow = 300 * time.Millisecond
	}
	c.Logger = logx.OrDiscard(c.Logger)
	if c.Clock.Start().IsZero() {
		c.Clock = media.NewClock()
	}
	switch {
	case c.SampleRate < MinMixRate || c.SampleRate > MaxMixRate:
		return fmt.Errorf("mixer: sample rate (%d) must be in %d..%d: %w", c.SampleRate, MinMixRate, MaxMixRate, ErrInvalidConfig)
	case c.Channels != 1 && c.Channels != 2:
		return fmt.Errorf("mixer: channel count (%d) must be 1 or 2: %w", c.Channels, ErrInvalidConfig)
	case c.Block < time.Millisecond || c.Block > 100*time.Millisecond:
		return fmt.Errorf("mixer: block (%v) must be in 1ms..100ms: %w", c.Block, ErrInvalidConfig)
	case c.Latency < time.Millisecond || c.Latency > time.Second:
		return fmt.Errorf("mixer: latency (%v) must be in 1ms..1s: %w", c.Latency, ErrInvalidConfig)
	case c.MaxLatency < c.Latency || c.MaxLatency > time.Second:
		return fmt.Errorf("mixer: maximum latency (%v) must be in %v..1s: %w", c.MaxLatency, c.Latency, ErrInvalidConfig)
	case c.Buffer < c.MaxLatency+4*c.Block || c.Buffer > 10*time.Second:
		return fmt.Errorf("mixer: buffer (%v) must be in %v..10s: %w", c.Buffer, c.MaxLatency+4*c.Block, ErrInvalidConfig)
	case c.LevelWindow < c.Block || c.LevelWindow > 10*time.Second:
		return fmt.Errorf("mixer: level window (%v) must be in %v..10s: %w", c.LevelWindow, c.Block, ErrInvalidConfig)
	}
	return nil
}

// Levels are a signal's levels over the mixer's LevelWindow, in dBFS
// (0 is full scale; a full-scale sine has a peak of 0 and an RMS of
// -3.01), never below SilenceDBFS. They are measured by a level.Meter,
// like every level the program shows.
type Levels struct {
	Peak, RMS float64
}

// MixerStats are the mix's counters.
type MixerStats struct {
	// Blocks is the number of frames delivered.
	Blocks int64
	// Skipped counts blocks not produced because the mixer had fallen
	// behind by more than half the Buffer (a gap in the PTS).
	Skipped int64
	// Clipped counts output samples (per channel) whose sum was outside
	// [-1, 1] and was clipped.
	Clipped int64
	// Latency is the mix's latency now: MixerConfig.Latency, raised when
	// inputs were late (see MaxLatency).
	Latency time.Duration
	// Dropped counts the frames that lost samples over all inputs, also
	// removed ones (MixerInputStats.Dropped).
	Dropped int64
}

// Mixer sums audio inputs into one stream of AudioFrames at a fixed rate
// and channel count, in real time on its Clock. It is an audio source for
// the encoder: Start hands each mixed block to out.
//
// Each input is placed on the mix's timeline by its frames' PTS (capture
// times on the same Clock): a frame that continues the previous one
// (within MixContinuity) goes right after it, so the input's samples stay
// contiguous; any other is placed at its PTS (a jump, counted as Resyncs).
// Inputs at another rate or channel count are converted first: mono is
// copied to both channels, stereo averaged to mono, more channels
// down-mixed and other rates resampled by libswresample (go-astiav v0.16.0
// has no binding for it).
//
// Block k, which covers the mix's samples from its start, is mixed when
// its last sample is Latency old: what each input has delivered for it by
// then is summed, times the input's gain (ramped over one block when it
// changes, and to zero on mute), and whatever has not arrived is silence.
// An input that stops delivering therefore never holds the mix up; every
// input's buffer is bounded by Buffer. Sums are clipped to [-1, 1]. Output
// PTS are continuous: block k's first sample is at start + k blocks.
//
// All methods are safe for concurrent use; an input's Push is meant to be
// called from its source's goroutine and never blocks.
type Mixer struct {
	cfg    MixerConfig
	log    *slog.Logger
	block  int   // samples per block
	ring   int   // samples in each input's ring
	window int   // blocks in the level window
	tol    int64 // MixContinuity in samples

	mu      sync.Mutex
	inputs  []*MixerInput
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}

	// pos is the position of the next block to mix, in samples since
	// stream time 0 of the Clock; set at Start, then owned by the loop.
	pos   atomic.Int64
	begun bool
	// latency is the latency in force (a time.Duration), raised by
	// raiseLatency from the inputs' Push.
	latency atomic.Int64

	meter   *level.Meter // the mix's
	blocks  atomic.Int64
	skipped atomic.Int64
	clipped atomic.Int64
	dropped atomic.Int64 // the inputs' Dropped
	scratch []float32
}

// NewMixer checks cfg and fills in the defaults. It returns an error
// wrapping ErrInvalidConfig when a field is out of range.
func NewMixer(cfg MixerConfig) (*Mixer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	block := int(media.DurationSamples(cfg.Block, cfg.SampleRate))
	if block < 1 {
		block = 1
	}
	m := &Mixer{
		cfg:     cfg,
		log:     cfg.Logger.With("stage", "mixer"),
		block:   block,
		ring:    int(media.DurationSamples(cfg.Buffer, cfg.SampleRate)),
		window:  int((cfg.LevelWindow + cfg.Block - 1) / cfg.Block),
		tol:     mixPosition(MixContinuity, cfg.SampleRate),
		scratch: make([]float32, block*cfg.Channels),
	}
	m.meter = m.newMeter()
	m.latency.Store(int64(cfg.Latency))
	return m, nil
}

// Config is the configuration in use, defaults filled in.
func (m *Mixer) Config() MixerConfig { return m.cfg }

// BlockSamples is the number of sample instants in each output frame.
func (m *Mixer) BlockSamples() int { return m.block }

// AddInput adds an input named name (for logs) with gain 1, not muted.
// It returns ErrMixerClosed after Close.
func (m *Mixer) AddInput(name string) (*MixerInput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrMixerClosed
	}
	in := &MixerInput{
		m:         m,
		name:      name,
		log:       m.log.With("input", name),
		ring:      make([]float32, m.ring*m.cfg.Channels),
		meter:     m.newMeter(),
		applied:   1,
		appliedOn: 1,
	}
	in.gain.Store(math.Float64bits(1))
	in.rpos = m.nextPosLocked()
	m.inputs = append(m.inputs, in)
	return in, nil
}

// nextPosLocked is where an input's buffer starts: the next block to mix,
// or, before Start, the present.
func (m *Mixer) nextPosLocked() int64 {
	if m.begun {
		return m.pos.Load()
	}
	return mixPosition(m.cfg.Clock.Now(), m.cfg.SampleRate)
}

// Inputs are the inputs, in the order they were added.
func (m *Mixer) Inputs() []*MixerInput {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*MixerInput(nil), m.inputs...)
}

// Start launches the mixer's goroutine, which mixes from now on (the
// first block starts at the Clock's present) and calls out with each
// block, one at a time; out must not block (push to a media.Queue) and
// the frame then belongs to the callee. It returns ErrMixerStarted when
// called twice and ErrMixerClosed after Close.
func (m *Mixer) Start(out func(*media.AudioFrame)) error {
	if out == nil {
		return errors.New("mixer: nil frame consumer")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return ErrMixerClosed
	case m.started:
		return ErrMixerStarted
	}
	m.started = true
	m.beginLocked(mixPosition(m.cfg.Clock.Now(), m.cfg.SampleRate))
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		m.loop(ctx, out)
	}()
	m.log.Debug("started", "rate", m.cfg.SampleRate, "channels", m.cfg.Channels,
		"block", m.block, "latency", m.cfg.Latency, "max_latency", m.cfg.MaxLatency)
	return nil
}

// beginLocked starts the mix at pos: every input's buffer is emptied and
// starts there.
func (m *Mixer) beginLocked(pos int64) {
	m.pos.Store(pos)
	m.begun = true
	for _, in := range m.inputs {
		in.reset(pos)
	}
}

// Close stops the mixer and returns once its goroutine has ended; no
// block is delivered after it returns. Inputs are removed. It is safe to
// call more than once, and without Start.
func (m *Mixer) Close() error {
	m.mu.Lock()
	m.closed = true
	cancel, done := m.cancel, m.done
	inputs := m.inputs
	m.inputs = nil
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	for _, in := range inputs {
		in.remove()
	}
	return nil
}

// Skipped is the number of blocks skipped because the mixer fell behind.
func (m *Mixer) Skipped() int64 { return m.skipped.Load() }

// Levels are the mix's levels (after summing and clipping) over the last
// LevelWindow.
func (m *Mixer) Levels() Levels { return readLevels(m.meter) }

// newMeter is a meter over the LevelWindow, in blocks: a level reading
// covers the newest window blocks.
func (m *Mixer) newMeter() *level.Meter { return level.New(m.cfg.LevelWindow, m.window) }

// readLevels is meter's reading.
func readLevels(meter *level.Meter) Levels {
	peak, rms := meter.Read()
	return Levels{Peak: peak, RMS: rms}
}

// Stats returns the mix's counters.
func (m *Mixer) Stats() MixerStats {
	return MixerStats{Blocks: m.blocks.Load(), Skipped: m.skipped.Load(), Clipped: m.clipped.Load(),
		Latency: m.Latency(), Dropped: m.dropped.Load()}
}

// Latency is the latency in force: MixerConfig.Latency, or more once an
// input was late.
func (m *Mixer) Latency() time.Duration { return time.Duration(m.latency.Load()) }

// raiseLatency makes the latency cover an input whose samples arrive
// age old: it grows to age plus one block, rounded up to whole blocks and
// capped at MaxLatency (a lower one leaves it as it is). The loop reads
// the new latency for its next block.
func (m *Mixer) raiseLatency(input string, age time.Duration) {
	b := m.cfg.Block
	want := min((age+2*b-1)/b*b, m.cfg.MaxLatency)
	for {
		cur := time.Duration(m.latency.Load())
		if want <= cur {
			return
		}
		if m.latency.CompareAndSwap(int64(cur), int64(want)) {
			m.log.Info("audio buffering raised: an input was late", "input", input,
				"latency", want, "max", m.cfg.MaxLatency)
			return
		}
	}
}

func (m *Mixer) loop(ctx context.Context, out func(*media.AudioFrame)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	blockDur := mixDuration(int64(m.block), m.cfg.SampleRate)
	maxBehind := m.cfg.Buffer / 2
	for {
		pos := m.pos.Load()
		due := m.cfg.Clock.At(mixDuration(pos+int64(m.block), m.cfg.SampleRate) + m.Latency())
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		if behind := time.Since(due); behind > maxBehind {
			// Too far behind to catch up: go back to the live edge.
			n := int64(behind / blockDur)
			m.skipTo(pos + n*int64(m.block))
			m.skipped.Add(n)
			m.log.Warn("mixer fell behind, skipped blocks", "behind", behind, "skipped", n, "total", m.skipped.Load())
		}
		out(m.mixNext())
	}
}

// skipTo moves the mix to pos, emptying the inputs' buffers.
func (m *Mixer) skipTo(pos int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pos.Store(pos)
	for _, in := range m.inputs {
		in.reset(pos)
	}
}

// mixNext mixes the block at pos and advances pos. Only the loop (or a
// test, without Start) calls it.
func (m *Mixer) mixNext() *media.AudioFrame {
	m.mu.Lock()
	inputs := append([]*MixerInput(nil), m.inputs...)
	m.mu.Unlock()
	pos := m.pos.Load()
	ch := m.cfg.Channels
	n := m.block
	f := &media.AudioFrame{
		PTS:        mixDuration(pos, m.cfg.SampleRate),
		SampleRate: m.cfg.SampleRate,
		Channels:   ch,
		Samples:    make([]float32, n*ch),
	}
	for _, in := range inputs {
		in.mixInto(pos, n, m.scratch, f.Samples)
	}
	var clipped int64
	for i, v := range f.Samples {
		switch {
		case v > 1:
			f.Samples[i] = 1
			clipped++
		case v < -1:
			f.Samples[i] = -1
			clipped++
		case v != v: // NaN from an input: silence
			f.Samples[i] = 0
		}
	}
	if clipped > 0 {
		m.clipped.Add(clipped)
	}
	m.meter.Add(f)
	m.pos.Store(pos + int64(n))
	m.blocks.Add(1)
	return f
}

// mixPosition is stream time d in samples at rate, rounded to the nearest.
func mixPosition(d time.Duration, rate int) int64 {
	sec, rem := int64(d/time.Second), int64(d%time.Second)
	r := int64(rate)
	if rem >= 0 {
		return sec*r + (rem*r+int64(time.Second)/2)/int64(time.Second)
	}
	return sec*r - (-rem*r+int64(time.Second)/2)/int64(time.Second)
}

// mixDuration is the stream time of sample position p at rate (p may be
// negative).
func mixDuration(p int64, rate int) time.Duration {
	r := int64(rate)
	q, s := p/r, p%r
	return time.Duration(q)*time.Second + time.Duration(s)*time.Second/time.Duration(r)
}
