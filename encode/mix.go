package encode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/media"
	"onair/internal/swr"
)

// Limits and constants of the Mixer.
const (
	MinMixRate = 8000
	MaxMixRate = 192000
	// MaxMixInputChannels is the most channels an input frame may have.
	MaxMixInputChannels = 8
	// MaxMixGain is the largest linear input gain (+20 dB).
	MaxMixGain = 10.0
	// SilenceDBFS is the level reported for silence (and anything quieter).
	SilenceDBFS = -120.0
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
	Latency time.Duration
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
	// Logger; default: discard.
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
	if c.LevelWindow == 0 {
		c.LevelWindow = 300 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
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
	case c.Buffer < c.Latency+4*c.Block || c.Buffer > 10*time.Second:
		return fmt.Errorf("mixer: buffer (%v) must be in %v..10s: %w", c.Buffer, c.Latency+4*c.Block, ErrInvalidConfig)
	case c.LevelWindow < c.Block || c.LevelWindow > 10*time.Second:
		return fmt.Errorf("mixer: level window (%v) must be in %v..10s: %w", c.LevelWindow, c.Block, ErrInvalidConfig)
	}
	return nil
}

// Levels are a signal's levels over the mixer's LevelWindow, in dBFS
// (0 is full scale; a full-scale sine has a peak of 0 and an RMS of
// -3.01), never below SilenceDBFS.
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
}

// MixerInputStats are an input's counters. Samples are counted in sample
// instants at the mix's rate (a stereo instant counts once).
type MixerInputStats struct {
	// Frames is the number of frames pushed and taken.
	Frames int64
	// Late counts samples that arrived after their block was mixed.
	Late int64
	// Ahead counts samples dropped because they were more than Buffer
	// ahead of the mix.
	Ahead int64
	// Missing counts samples mixed as silence because the input had not
	// delivered that far by the block's deadline: it stalled or stopped
	// (counted from its first frame on; a gap left by a PTS jump is not
	// counted here, the jump is a Resync).
	Missing int64
	// Resyncs counts frames whose PTS did not continue the previous frame
	// (by more than MixContinuity), so that they were placed by their PTS.
	Resyncs int64
	// Errors counts frames rejected: malformed, or not convertible.
	Errors int64
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

	meter   meter // the mix's, owned by the loop
	levels  levelCell
	blocks  atomic.Int64
	skipped atomic.Int64
	clipped atomic.Int64
	scratch []float32
}

// NewMixer checks cfg and fills in the defaults. It returns an error
// wrapping ErrInvalidConfig when a field is out of range.
func NewMixer(cfg MixerConfig) (*Mixer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	block := int(int64(cfg.Block) * int64(cfg.SampleRate) / int64(time.Second))
	if block < 1 {
		block = 1
	}
	m := &Mixer{
		cfg:     cfg,
		log:     cfg.Logger.With("stage", "mixer"),
		block:   block,
		ring:    int(int64(cfg.Buffer) * int64(cfg.SampleRate) / int64(time.Second)),
		window:  int((cfg.LevelWindow + cfg.Block - 1) / cfg.Block),
		tol:     mixPosition(MixContinuity, cfg.SampleRate),
		scratch: make([]float32, block*cfg.Channels),
	}
	m.meter = newMeter(m.window)
	m.levels.store(Levels{SilenceDBFS, SilenceDBFS})
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
		meter:     newMeter(m.window),
		applied:   1,
		appliedOn: 1,
	}
	in.gain.Store(math.Float64bits(1))
	in.levels.store(Levels{SilenceDBFS, SilenceDBFS})
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
		"block", m.block, "latency", m.cfg.Latency)
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
func (m *Mixer) Levels() Levels { return m.levels.load() }

// Stats returns the mix's counters.
func (m *Mixer) Stats() MixerStats {
	return MixerStats{Blocks: m.blocks.Load(), Skipped: m.skipped.Load(), Clipped: m.clipped.Load()}
}

func (m *Mixer) loop(ctx context.Context, out func(*media.AudioFrame)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	blockDur := mixDuration(int64(m.block), m.cfg.SampleRate)
	maxBehind := m.cfg.Buffer / 2
	for {
		pos := m.pos.Load()
		due := m.cfg.Clock.At(mixDuration(pos+int64(m.block), m.cfg.SampleRate) + m.cfg.Latency)
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
	m.meter.add(f.Samples)
	m.levels.store(m.meter.levels())
	m.pos.Store(pos + int64(n))
	m.blocks.Add(1)
	return f
}

// MixerInput is one input of a Mixer.
type MixerInput struct {
	m    *Mixer
	name string
	log  *slog.Logger

	gain  atomic.Uint64 // float64 bits, linear
	muted atomic.Bool

	mu      sync.Mutex
	ring    []float32 // m.ring sample instants of the mix's channels
	rpos    int64     // position of the next sample the mixer takes
	wpos    int64     // where the previous frame ended
	wend    int64     // highest position written
	have    bool      // wpos is valid: the next frame may continue it
	first   int64     // position of the first sample ever written
	written bool      // first is valid
	removed bool
	conv    mixConverter
	stats   MixerInputStats
	warnAt  time.Time

	// Owned by the mixer's loop.
	applied   float64 // gain applied at the end of the last block
	appliedOn float64 // 1 unmuted, 0 muted, at the end of the last block
	meter     meter
	levels    levelCell
}

// Name is the input's name.
func (in *MixerInput) Name() string { return in.name }

// SetGain sets the linear gain (amplitude factor: 1 leaves the signal
// unchanged, 0.5 is -6.02 dB), clamped to 0..MaxMixGain. It applies from
// the next block, ramped over that block.
func (in *MixerInput) SetGain(g float64) {
	switch {
	case math.IsNaN(g) || g < 0:
		g = 0
	case g > MaxMixGain:
		g = MaxMixGain
	}
	in.gain.Store(math.Float64bits(g))
}

// SetGainDB sets the gain in decibels (0 dB is unity, -6.02 dB halves the
// amplitude, -Inf is silence), clamped to MaxMixGain (+20 dB).
func (in *MixerInput) SetGainDB(db float64) { in.SetGain(DBToGain(db)) }

// Gain is the linear gain.
func (in *MixerInput) Gain() float64 { return math.Float64frombits(in.gain.Load()) }

// GainDB is the gain in decibels (-Inf for 0).
func (in *MixerInput) GainDB() float64 { return GainToDB(in.Gain()) }

// SetMuted mutes or unmutes the input: while muted it contributes nothing
// to the mix (ramped over one block), but it is still buffered and its
// levels still measured.
func (in *MixerInput) SetMuted(m bool) { in.muted.Store(m) }

// Muted reports whether the input is muted.
func (in *MixerInput) Muted() bool { return in.muted.Load() }

// Levels are the input's levels over the last LevelWindow, after its gain
// and before mute (so that a meter shows a muted microphone is live).
func (in *MixerInput) Levels() Levels { return in.levels.load() }

// Stats returns the input's counters.
func (in *MixerInput) Stats() MixerInputStats {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stats
}

// Remove takes the input out of the mix; later pushes are ignored.
func (in *MixerInput) Remove() {
	m := in.m
	m.mu.Lock()
	for i, x := range m.inputs {
		if x == in {
			m.inputs = append(m.inputs[:i:i], m.inputs[i+1:]...)
			break
		}
	}
	m.mu.Unlock()
	in.remove()
}

func (in *MixerInput) remove() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.removed = true
	in.conv.free()
}

// Push hands the input a frame (interleaved float32 at any rate and 1..8
// channels, PTS on the mixer's Clock). It converts and buffers the samples
// and returns; it never waits for the mix. The frame is not kept: the
// caller may reuse it. Samples that arrive too late for their block or too
// far ahead are dropped and counted (Stats).
func (in *MixerInput) Push(f *media.AudioFrame) {
	if f == nil {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.removed {
		return
	}
	m := in.m
	ch := m.cfg.Channels
	if f.SampleRate < 1000 || f.SampleRate > 4*MaxMixRate || f.Channels < 1 ||
		f.Channels > MaxMixInputChannels || len(f.Samples) < f.Channels {
		in.stats.Errors++
		in.warnLocked("malformed frame", "rate", f.SampleRate, "channels", f.Channels, "samples", len(f.Samples))
		return
	}
	samples, err := in.conv.convert(f, m.cfg.SampleRate, ch)
	if err != nil {
		in.stats.Errors++
		in.warnLocked("cannot convert", "err", err)
		return
	}
	n := int64(len(samples) / ch)
	if n == 0 {
		return
	}
	in.stats.Frames++
	target := mixPosition(f.PTS, m.cfg.SampleRate)
	if in.have {
		if d := target - in.wpos; d >= -m.tol && d <= m.tol {
			target = in.wpos
		} else {
			in.stats.Resyncs++
		}
	}
	end := target + n
	in.wpos, in.have = end, true
	size := int64(m.ring)
	start := target
	if start < in.rpos {
		late := min(in.rpos-start, n)
		in.stats.Late += late
		start += late
	}
	if lim := in.rpos + size; end > lim {
		in.stats.Ahead += end - max(lim, start)
		end = max(lim, start)
	}
	if end <= start {
		// Wholly outside the buffer: place the next frame by its PTS again.
		in.have = false
		in.warnLocked("frame outside the mix's window, dropped",
			"pts", f.PTS, "mix", mixDuration(in.rpos, m.cfg.SampleRate))
		return
	}
	src := samples[(start-target)*int64(ch) : (end-target)*int64(ch)]
	at := ringIndex(start, size) * ch
	k := copy(in.ring[at:], src)
	copy(in.ring, src[k:])
	if end > in.wend {
		in.wend = end
	}
	if !in.written {
		in.first, in.written = start, true
	}
}

// warnLocked logs a problem at most every 5 s.
func (in *MixerInput) warnLocked(msg string, args ...any) {
	if now := time.Now(); now.Sub(in.warnAt) >= 5*time.Second {
		in.warnAt = now
		in.log.Warn(msg, append(args, "stats", in.stats)...)
	}
}

// reset empties the buffer and starts it at pos.
func (in *MixerInput) reset(pos int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	clear(in.ring)
	in.rpos, in.wend, in.have = pos, pos, false
}

// take moves the n samples at pos into dst and frees their place.
func (in *MixerInput) take(pos int64, n int, dst []float32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ch := in.m.cfg.Channels
	size := int64(in.m.ring)
	at := ringIndex(pos, size) * ch
	k := copy(dst[:n*ch], in.ring[at:])
	copy(dst[k:n*ch], in.ring)
	end := at + n*ch
	if end <= len(in.ring) {
		clear(in.ring[at:end])
	} else {
		clear(in.ring[at:])
		clear(in.ring[:end-len(in.ring)])
	}
	in.rpos = pos + int64(n)
	if in.written && in.wend < in.rpos && in.rpos > in.first {
		in.stats.Missing += in.rpos - max(in.wend, pos, in.first)
	}
}

// mixInto takes the input's block at pos, applies its gain, measures it
// and adds it, muted or not, to sum. scratch holds a block.
func (in *MixerInput) mixInto(pos int64, n int, scratch, sum []float32) {
	in.take(pos, n, scratch)
	ch := in.m.cfg.Channels
	g0, g1 := in.applied, in.Gain()
	on0, on1 := in.appliedOn, 1.0
	if in.Muted() {
		on1 = 0
	}
	block := scratch[:n*ch]
	if g0 == g1 {
		if g1 != 1 {
			for i := range block {
				block[i] *= float32(g1)
			}
		}
	} else {
		for i := 0; i < n; i++ {
			g := float32(g0 + (g1-g0)*float64(i+1)/float64(n))
			for c := 0; c < ch; c++ {
				block[i*ch+c] *= g
			}
		}
	}
	in.applied = g1
	in.meter.add(block)
	in.levels.store(in.meter.levels())
	switch {
	case on0 == 1 && on1 == 1:
		for i, v := range block {
			sum[i] += v
		}
	case on0 == 0 && on1 == 0:
	default:
		for i := 0; i < n; i++ {
			on := float32(on0 + (on1-on0)*float64(i+1)/float64(n))
			for c := 0; c < ch; c++ {
				sum[i*ch+c] += block[i*ch+c] * on
			}
		}
	}
	in.appliedOn = on1
}

// mixConverter converts an input's frames to the mix's rate and channel
// count: mono and stereo are mapped in Go; more channels, and any other
// rate, go through libswresample (package swr).
type mixConverter struct {
	inRate, inCh int
	swr          *swr.Resampler
	swrCh        int // channels fed to swr
	mapped       []float32
	out          []float32
}

// convert returns f's samples at rate with ch channels; the slice is
// reused by the next call.
func (c *mixConverter) convert(f *media.AudioFrame, rate, ch int) ([]float32, error) {
	nIn := len(f.Samples) / f.Channels
	in := f.Samples[:nIn*f.Channels]
	if f.SampleRate != c.inRate || f.Channels != c.inCh {
		c.free()
		c.inRate, c.inCh = f.SampleRate, f.Channels
		needSwr := f.SampleRate != rate || f.Channels > 2
		c.swrCh = ch
		if f.Channels > 2 {
			c.swrCh = f.Channels
		}
		if needSwr {
			s, err := swr.NewFloat(f.SampleRate, c.swrCh, rate, ch)
			if err != nil {
				c.inRate, c.inCh = 0, 0
				return nil, fmt.Errorf("resampler from %d Hz, %d channels to %d Hz, %d channels: %w",
					f.SampleRate, f.Channels, rate, ch, err)
			}
			c.swr = s
		}
	}
	// Channels first, in Go, for mono and stereo inputs.
	mapped := in
	if f.Channels <= 2 && f.Channels != ch {
		if cap(c.mapped) < nIn*ch {
			c.mapped = make([]float32, nIn*ch)
		}
		mapped = c.mapped[:nIn*ch]
		if f.Channels == 1 { // mono to both channels
			for i, v := range in {
				mapped[2*i], mapped[2*i+1] = v, v
			}
		} else { // stereo to mono: the average
			for i := range mapped {
				mapped[i] = (in[2*i] + in[2*i+1]) / 2
			}
		}
	}
	if c.swr == nil {
		return mapped, nil
	}
	out, err := c.swr.ConvertFloat(mapped, c.out[:0])
	if err != nil {
		return nil, fmt.Errorf("resampling: %w", err)
	}
	c.out = out
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (c *mixConverter) free() {
	c.swr.Close()
	c.swr = nil
	c.inRate, c.inCh = 0, 0
}

// meter measures peak and RMS over the last window blocks.
type meter struct {
	sumsq []float64
	count []int
	peak  []float64
	next  int
}

func newMeter(window int) meter {
	return meter{sumsq: make([]float64, window), count: make([]int, window), peak: make([]float64, window)}
}

// add measures one block.
func (mt *meter) add(samples []float32) {
	var sq, pk float64
	for _, v := range samples {
		a := math.Abs(float64(v))
		sq += a * a
		if a > pk {
			pk = a
		}
	}
	mt.sumsq[mt.next], mt.count[mt.next], mt.peak[mt.next] = sq, len(samples), pk
	mt.next = (mt.next + 1) % len(mt.sumsq)
}

// levels are the window's levels in dBFS.
func (mt *meter) levels() Levels {
	var sq, pk float64
	n := 0
	for i := range mt.sumsq {
		sq += mt.sumsq[i]
		n += mt.count[i]
		pk = math.Max(pk, mt.peak[i])
	}
	l := Levels{Peak: amplitudeDBFS(pk), RMS: SilenceDBFS}
	if n > 0 {
		l.RMS = amplitudeDBFS(math.Sqrt(sq / float64(n)))
	}
	return l
}

// levelCell holds Levels for readers on any goroutine.
type levelCell struct{ peak, rms atomic.Uint64 }

func (c *levelCell) store(l Levels) {
	c.peak.Store(math.Float64bits(l.Peak))
	c.rms.Store(math.Float64bits(l.RMS))
}

func (c *levelCell) load() Levels {
	return Levels{Peak: math.Float64frombits(c.peak.Load()), RMS: math.Float64frombits(c.rms.Load())}
}

// DBToGain converts decibels to a linear amplitude factor: 10^(db/20).
func DBToGain(db float64) float64 {
	if math.IsInf(db, -1) {
		return 0
	}
	return math.Pow(10, db/20)
}

// GainToDB converts a linear amplitude factor to decibels: 20·log10(g),
// -Inf for 0.
func GainToDB(g float64) float64 {
	if g <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(g)
}

// amplitudeDBFS is a in dBFS, at least SilenceDBFS.
func amplitudeDBFS(a float64) float64 {
	if a <= 0 {
		return SilenceDBFS
	}
	return math.Max(SilenceDBFS, 20*math.Log10(a))
}

// ringIndex is the index of position p in a ring of size samples.
func ringIndex(p, size int64) int {
	i := p % size
	if i < 0 {
		i += size
	}
	return int(i)
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
