package encode

import (
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"onair/internal/level"
	"onair/internal/media"
	"onair/internal/ratelog"
)

// MixerInputStats are an input's counters. Samples are counted in sample
// instants at the mix's rate (a stereo instant counts once).
type MixerInputStats struct {
	// Frames is the number of frames pushed and taken.
	Frames int64
	// Late counts samples that arrived after their block was mixed (each
	// time, the mixer raises its latency: MaxLatency).
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
	// Dropped counts frames that lost samples, late or ahead: the drops a
	// user is shown.
	Dropped int64
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
	warn    ratelog.Limiter

	meter *level.Meter // fed by the mixer's loop, read from anywhere

	// Owned by the mixer's loop.
	applied   float64 // gain applied at the end of the last block
	appliedOn float64 // 1 unmuted, 0 muted, at the end of the last block
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
func (in *MixerInput) Levels() Levels { return readLevels(in.meter) }

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
	if start != target || end != target+n {
		in.stats.Dropped++
		m.dropped.Add(1)
	}
	if start != target {
		// The frame's first sample is this old now: a latency longer
		// than that makes the input's next frames, as late, in time.
		m.raiseLatency(in.name, m.cfg.Clock.Now()-mixDuration(target, m.cfg.SampleRate))
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

// warnLocked logs a problem at most every ratelog.DefaultEvery (5 s).
func (in *MixerInput) warnLocked(msg string, args ...any) {
	in.warn.Warn(in.log, msg, append(args, "stats", in.stats)...)
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
	in.meter.Add(&media.AudioFrame{PTS: mixDuration(pos, in.m.cfg.SampleRate),
		SampleRate: in.m.cfg.SampleRate, Channels: ch, Samples: block})
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

// ringIndex is the index of position p in a ring of size samples.
func ringIndex(p, size int64) int {
	i := p % size
	if i < 0 {
		i += size
	}
	return int(i)
}
