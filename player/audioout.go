package player

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/gen2brain/malgo"

	"onair/internal/audiodev"
	"onair/internal/logx"
)

// ErrAudioOutput is returned by OpenAudioOutput when no playback device,
// not even the null backend, could be started.
var ErrAudioOutput = errors.New("no audio output")

// audioContiguity is how far a write's pts may be from the end of the
// previous write and still count as its continuation (sample positions then
// give the pts, so millisecond-rounded container timestamps do not jitter
// the clock).
const audioContiguity = time.Millisecond

// AudioOutputConfig configures an AudioOutput. Zero fields take the
// defaults.
type AudioOutputConfig struct {
	// SampleRate of the samples written, in Hz. Default 48000.
	SampleRate int
	// Channels in the samples written (interleaved). Default 2.
	Channels int
	// Buffer is the most audio the ring holds; Write beyond it drops the
	// oldest samples (counted in Stats.Dropped). Default 2 s.
	Buffer time.Duration
	// Period is the device period: how much audio each device callback
	// takes. Default 10 ms.
	Period time.Duration
	// Null forces miniaudio's null backend: no sound, but samples are
	// still consumed in real time. Without it the system's backends are
	// tried first and null is the fallback.
	Null bool
	// Logger; default: discard.
	Logger *slog.Logger
}

// AudioOutputStats are an AudioOutput's counters. Sample counts are
// interleaved samples, as in Write (a stereo frame is two samples).
type AudioOutputStats struct {
	// Played is the number of ring samples the device has taken (at a
	// catch-up speed above 1 it runs ahead of the device's own rate).
	Played int64
	// Dropped is the number of samples Write discarded because the ring
	// was full (the oldest go first).
	Dropped int64
	// Underruns counts the device callbacks that ran out of samples
	// (found the ring empty, or emptied it before filling their period)
	// since samples started to play. Counting restarts after Flush.
	Underruns int64
	// Buffered is the audio queued in the ring.
	Buffered time.Duration
}

// AudioOutput plays interleaved float32 samples through miniaudio and is
// the player's audio clock. Write queues samples into a fixed ring; the
// device callback takes them a period at a time. All methods are safe for
// concurrent use.
type AudioOutput struct {
	cfg     AudioOutputConfig
	log     *slog.Logger
	backend string
	ctx     *malgo.AllocatedContext
	dev     *malgo.Device

	closeOnce sync.Once
	closeErr  error

	periodFrames int
	period       time.Duration // periodFrames at SampleRate

	mu     sync.Mutex
	ring   []float32    // capacity: Buffer, whole frames
	rpos   int64        // absolute index of the next sample to play
	wpos   int64        // absolute index of the next sample written
	chunks []audioChunk // pts anchors, increasing pos; chunks[head].pos <= rpos
	head   int          // first live entry of chunks
	volume float64      // 0..2
	muted  bool
	paused bool
	speed  float64 // 1..1.05
	frac   float64 // fraction of a frame owed to the next callback at speed > 1
	tap    func(time.Time, time.Duration, []float32)
	closed bool
	// The clock: the latest callback that took real samples.
	playing    bool          // a real sample played since open, Flush or pause
	clockPTS   time.Duration // pts of the first sample it took
	clockAt    time.Time     // when it ran
	clockSpan  time.Duration // stream time it took
	clockSpeed float64
	dry        bool      // the ring ran out
	dryAt      time.Time // when the last sample taken runs out
	started    bool      // samples have played since open or Flush (for Underruns)
	played     int64
	dropped    int64
	underruns  int64

	// Used by the device callback only (one device thread).
	in   []float32
	segs []audioSegment
}

// audioChunk anchors stream time: the sample at absolute index pos has pts
// pts, and the following ones follow at the sample rate.
type audioChunk struct {
	pos int64
	pts time.Duration
}

// audioSegment is a run of one callback's samples under one chunk.
type audioSegment struct {
	off int // sample offset in AudioOutput.in
	pts time.Duration
}

// OpenAudioOutput opens a playback device and starts it. Unless cfg.Null
// is set it tries the system's backends first (PulseAudio, ALSA, ... in
// miniaudio's order) and falls back to the null backend when none has a
// playback device that starts. It returns ErrAudioOutput, wrapped, when not
// even the null backend starts.
func OpenAudioOutput(cfg AudioOutputConfig) (*AudioOutput, error) {
	o, err := newAudioOutput(cfg)
	if err != nil {
		return nil, err
	}
	var errs []error
	if !o.cfg.Null {
		for _, b := range audiodev.SystemBackends() {
			err := o.start(b)
			if err == nil {
				return o, nil
			}
			errs = append(errs, err)
			o.log.Debug("backend unusable", "backend", audiodev.Name(b), "err", err)
		}
	}
	if err := o.start(audiodev.BackendNull); err != nil {
		errs = append(errs, err)
		return nil, fmt.Errorf("%w: %w", ErrAudioOutput, errors.Join(errs...))
	}
	return o, nil
}

// newAudioOutput checks cfg, fills in the defaults and allocates the
// buffers, without a device.
func newAudioOutput(cfg AudioOutputConfig) (*AudioOutput, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 48000
	}
	if cfg.Channels == 0 {
		cfg.Channels = 2
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = 2 * time.Second
	}
	if cfg.Period == 0 {
		cfg.Period = 10 * time.Millisecond
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	if cfg.SampleRate < 8000 || cfg.SampleRate > 384000 {
		return nil, fmt.Errorf("audio output: sample rate (%d) must be in 8000..384000", cfg.SampleRate)
	}
	if cfg.Channels < 1 || cfg.Channels > 32 {
		return nil, fmt.Errorf("audio output: channel count (%d) must be in 1..32", cfg.Channels)
	}
	periodFrames := int(int64(cfg.Period) * int64(cfg.SampleRate) / int64(time.Second))
	if periodFrames < 1 || cfg.Period > time.Second {
		return nil, fmt.Errorf("audio output: period (%v) must be in one sample..1s", cfg.Period)
	}
	bufFrames := int(int64(cfg.Buffer) * int64(cfg.SampleRate) / int64(time.Second))
	if bufFrames < periodFrames || cfg.Buffer > time.Minute {
		return nil, fmt.Errorf("audio output: buffer (%v) must be in %v..1m", cfg.Buffer, cfg.Period)
	}
	ch := cfg.Channels
	maxFrames := int(math.Ceil(float64(periodFrames)*audioMaxSpeed)) + 1
	return &AudioOutput{
		cfg:          cfg,
		log:          cfg.Logger.With("audio", "out"),
		periodFrames: periodFrames,
		period:       audioFramesDuration(int64(periodFrames), cfg.SampleRate),
		ring:         make([]float32, bufFrames*ch),
		chunks:       make([]audioChunk, 0, 64),
		volume:       1,
		speed:        1,
		clockSpeed:   1,
		in:           make([]float32, maxFrames*ch),
		segs:         make([]audioSegment, 0, 16),
	}, nil
}

// start initialises a context on backend b and a playback device on it,
// and starts the device. On failure everything it made is released.
func (o *AudioOutput) start(b malgo.Backend) (err error) {
	name := audiodev.Name(b)
	ctx, err := audiodev.Open(b, o.log.With("backend", name))
	if err != nil {
		return fmt.Errorf("%s: context: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = audiodev.Close(ctx)
		}
	}()
	if b != audiodev.BackendNull {
		devs, err := ctx.Devices(malgo.Playback)
		if err != nil {
			return fmt.Errorf("%s: listing devices: %w", name, err)
		}
		if len(devs) == 0 {
			return fmt.Errorf("%s: no playback device", name)
		}
	}
	dc := malgo.DefaultDeviceConfig(malgo.Playback)
	dc.Playback.Format = malgo.FormatF32
	dc.Playback.Channels = uint32(o.cfg.Channels)
	dc.SampleRate = uint32(o.cfg.SampleRate)
	dc.PeriodSizeInFrames = uint32(o.periodFrames)
	dev, err := malgo.InitDevice(ctx.Context, dc, malgo.DeviceCallbacks{Data: o.onData})
	if err != nil {
		return fmt.Errorf("%s: device: %w", name, err)
	}
	o.ctx, o.dev, o.backend = ctx, dev, name
	if err := dev.Start(); err != nil {
		dev.Uninit()
		o.ctx, o.dev, o.backend = nil, nil, ""
		return fmt.Errorf("%s: starting device: %w", name, err)
	}
	o.log.Info("audio output started", "backend", name, "rate", o.cfg.SampleRate,
		"channels", o.cfg.Channels, "period", o.period)
	return nil
}

// Write queues samples (interleaved, Channels per frame) whose first sample
// has stream time pts. It never blocks and copies the samples. When the
// ring is full the oldest samples are dropped and counted. A pts that does
// not continue the previous write (a gap or overlap of more than 1 ms) is
// kept as it is: every sample plays at its own pts. A trailing partial
// frame is ignored.
func (o *AudioOutput) Write(pts time.Duration, samples []float32) {
	ch := o.cfg.Channels
	n := len(samples) - len(samples)%ch
	if n == 0 {
		return
	}
	samples = samples[:n]
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	size := int64(len(o.ring))
	if int64(n) > size { // keep the newest ring-full
		skip := n - int(size)
		o.dropped += int64(skip)
		pts += audioFramesDuration(int64(skip/ch), o.cfg.SampleRate)
		samples = samples[skip:]
		n = len(samples)
	}
	if over := o.wpos - o.rpos + int64(n) - size; over > 0 {
		o.dropped += over
		o.rpos += over
		o.popChunksLocked()
	}
	if !o.continuesLocked(pts) {
		if o.head > 0 && o.head*2 >= len(o.chunks) { // amortised: the dead half goes

			o.chunks = o.chunks[:copy(o.chunks, o.chunks[o.head:])]
			o.head = 0
		}
		o.chunks = append(o.chunks, audioChunk{pos: o.wpos, pts: pts})
	}
	at := int(o.wpos % size)
	copied := copy(o.ring[at:], samples)
	copy(o.ring, samples[copied:])
	o.wpos += int64(n)
}

// continuesLocked says whether pts is within audioContiguity of the end of
// what was written last.
func (o *AudioOutput) continuesLocked(pts time.Duration) bool {
	if o.head >= len(o.chunks) {
		return false
	}
	last := o.chunks[len(o.chunks)-1]
	end := last.pts + audioFramesDuration((o.wpos-last.pos)/int64(o.cfg.Channels), o.cfg.SampleRate)
	d := pts - end
	return d >= -audioContiguity && d <= audioContiguity
}

// popChunksLocked drops the anchors wholly before rpos, keeping the one
// that covers it.
func (o *AudioOutput) popChunksLocked() {
	for o.head+1 < len(o.chunks) && o.chunks[o.head+1].pos <= o.rpos {
		o.head++
	}
}

// ptsLocked is the stream time of the sample at absolute index pos, which
// chunks[i] covers.
func (o *AudioOutput) ptsLocked(i int, pos int64) time.Duration {
	c := o.chunks[i]
	return c.pts + audioFramesDuration((pos-c.pos)/int64(o.cfg.Channels), o.cfg.SampleRate)
}

// Clock is the stream time of the sample being played now: the pts of the
// first sample the device took in its latest callback plus the wall time
// since that callback (times the speed, capped at what that callback
// took). ok is false until a real sample has played (after Open, Flush or
// a pause), while paused, after Close, and once the ring has been empty
// for more than one period (an underrun).
func (o *AudioOutput) Clock() (pts time.Duration, ok bool) {
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.playing || o.paused || o.closed || o.dry && now.Sub(o.dryAt) > o.period {
		return 0, false
	}
	el := time.Duration(float64(now.Sub(o.clockAt)) * o.clockSpeed)
	if el > o.clockSpan {
		el = o.clockSpan
	}
	if el < 0 {
		el = 0
	}
	return o.clockPTS + el, true
}

// Buffered is the audio queued in the ring, not yet given to the device.
func (o *AudioOutput) Buffered() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bufferedLocked()
}

func (o *AudioOutput) bufferedLocked() time.Duration {
	return audioFramesDuration((o.wpos-o.rpos)/int64(o.cfg.Channels), o.cfg.SampleRate)
}

// SetVolume sets the gain, 0..2 (1 leaves the signal unchanged); values
// outside are clamped. It applies from the next device callback.
func (o *AudioOutput) SetVolume(v float64) {
	switch {
	case math.IsNaN(v):
		v = 1
	case v < 0:
		v = 0
	case v > 2:
		v = 2
	}
	o.mu.Lock()
	o.volume = v
	o.mu.Unlock()
}

// SetMuted mutes or unmutes the output (the ring is still consumed).
func (o *AudioOutput) SetMuted(m bool) {
	o.mu.Lock()
	o.muted = m
	o.mu.Unlock()
}

// SetPaused pauses or resumes. While paused the device plays silence and
// the ring is not consumed, and Clock is not ok; after resuming, Clock is
// ok again once the device has taken samples.
func (o *AudioOutput) SetPaused(p bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p && !o.paused {
		o.playing = false
	}
	o.paused = p
}

// audioMaxSpeed is the fastest catch-up speed.
const audioMaxSpeed = 1.05

// SetSpeed sets the catch-up speed, 1..1.05 (values outside are clamped):
// above 1 the device callback takes s times as many ring samples as it
// plays, resampled linearly into its period (the pitch rises with it).
func (o *AudioOutput) SetSpeed(s float64) {
	switch {
	case math.IsNaN(s) || s < 1:
		s = 1
	case s > audioMaxSpeed:
		s = audioMaxSpeed
	}
	o.mu.Lock()
	if s != o.speed {
		o.speed, o.frac = s, 0
	}
	o.mu.Unlock()
}

// SetTap sets fn to be called from the device callback with each block of
// ring samples as the device takes it, before volume and mute (the signal
// as decoded), with the wall time of the callback and the pts of the
// block's first sample. A block whose samples do not share one continuous
// pts (a gap between writes) comes in several calls. The samples are only
// valid during the call. Set it before samples flow; fn must be quick and
// must not call back into the AudioOutput. nil removes it.
func (o *AudioOutput) SetTap(fn func(at time.Time, pts time.Duration, samples []float32)) {
	o.mu.Lock()
	o.tap = fn
	o.mu.Unlock()
}

// Flush discards the queued samples (for a seek). Clock is not ok again
// until samples written after it play.
func (o *AudioOutput) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rpos = o.wpos
	o.chunks, o.head = o.chunks[:0], 0
	o.playing, o.started, o.dry, o.frac = false, false, false, 0
}

// Stats returns the counters.
func (o *AudioOutput) Stats() AudioOutputStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return AudioOutputStats{
		Played:    o.played,
		Dropped:   o.dropped,
		Underruns: o.underruns,
		Buffered:  o.bufferedLocked(),
	}
}

// Backend is the name of the miniaudio backend in use: "null",
// "pulseaudio", "alsa", "coreaudio", "wasapi", ...
func (o *AudioOutput) Backend() string { return o.backend }

// Close stops and uninitialises the device and the context. When it
// returns the device callback no longer runs. It is safe to call more than
// once; later calls return the first one's result.
func (o *AudioOutput) Close() error {
	o.closeOnce.Do(func() {
		o.mu.Lock()
		o.closed = true
		o.mu.Unlock()
		// Not under mu: Uninit waits for a callback in flight, which takes mu.
		if o.dev != nil {
			o.dev.Uninit()
		}
		if err := audiodev.Close(o.ctx); err != nil {
			o.closeErr = fmt.Errorf("audio output: %s: context: %w", o.backend, err)
		}
		o.log.Debug("audio output closed")
	})
	return o.closeErr
}

// onData is the device callback: it fills out (frames frames of float32)
// from the ring.
func (o *AudioOutput) onData(out, _ []byte, frames uint32) {
	now := time.Now()
	ch := o.cfg.Channels
	nOut := int(frames)
	if len(out) < nOut*ch*4 { // never, with FormatF32
		nOut = len(out) / (ch * 4)
	}

	o.mu.Lock()
	if o.closed || o.paused {
		o.mu.Unlock()
		clear(out)
		return
	}
	speed := o.speed
	want := nOut
	if speed != 1 {
		w := float64(nOut)*speed + o.frac
		want = int(w)
		o.frac = w - float64(want)
	}
	o.popChunksLocked() // a Write may have anchored a new chunk at rpos
	take := int((o.wpos - o.rpos) / int64(ch))
	if take > want {
		take = want
	}
	if take*ch > len(o.in) { // a device that ignored the period size
		o.in = make([]float32, take*ch)
	}
	in := o.in[:take*ch]
	segs := o.segs[:0]
	if take > 0 {
		size := int64(len(o.ring))
		at := int(o.rpos % size)
		n := copy(in, o.ring[at:])
		copy(in[n:], o.ring)
		end := o.rpos + int64(len(in))
		segs = append(segs, audioSegment{off: 0, pts: o.ptsLocked(o.head, o.rpos)})
		for i := o.head + 1; i < len(o.chunks) && o.chunks[i].pos < end; i++ {
			segs = append(segs, audioSegment{off: int(o.chunks[i].pos - o.rpos), pts: o.chunks[i].pts})
		}
		o.rpos = end
		o.popChunksLocked()
		o.played += int64(len(in))
		o.playing, o.started = true, true
		o.clockPTS, o.clockAt, o.clockSpeed = segs[0].pts, now, speed
		o.clockSpan = audioFramesDuration(int64(take), o.cfg.SampleRate)
	}
	if take < want {
		if o.started {
			o.underruns++
		}
		if take > 0 { // runs out when what it took has played
			o.dryAt = now.Add(time.Duration(float64(o.clockSpan) / speed))
		} else if !o.dry {
			o.dryAt = now
		}
		o.dry = true
	} else {
		o.dry = false
	}
	gain := float32(o.volume)
	if o.muted {
		gain = 0
	}
	tap := o.tap
	o.mu.Unlock()
	o.segs = segs

	if tap != nil {
		for i, s := range segs {
			end := len(in)
			if i+1 < len(segs) {
				end = segs[i+1].off
			}
			tap(now, s.pts, in[s.off:end])
		}
	}
	played := nOut
	if take < want {
		played = int(math.Ceil(float64(take) / speed))
		if played > nOut {
			played = nOut
		}
	}
	audioRender(out[:played*ch*4], in, ch, gain)
	clear(out[played*ch*4:])
}

// audioRender writes the frames of in (ch channels), scaled by gain and
// resampled linearly to fill dst, as little-endian float32.
func audioRender(dst []byte, in []float32, ch int, gain float32) {
	nOut := len(dst) / (4 * ch)
	nIn := len(in) / ch
	if nOut == 0 {
		return
	}
	if nIn == nOut {
		for i, v := range in {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v*gain))
		}
		return
	}
	// Output frame j samples input position j*nIn/nOut.
	step := float64(nIn) / float64(nOut)
	for j := 0; j < nOut; j++ {
		p := float64(j) * step
		i0 := int(p)
		f := float32(p - float64(i0))
		i1 := i0 + 1
		if i1 >= nIn {
			i1 = nIn - 1
		}
		for c := 0; c < ch; c++ {
			a, b := in[i0*ch+c], in[i1*ch+c]
			v := (a + (b-a)*f) * gain
			binary.LittleEndian.PutUint32(dst[4*(j*ch+c):], math.Float32bits(v))
		}
	}
}

// audioFramesDuration is the duration of frames at rate, without
// overflow for any realistic count.
func audioFramesDuration(frames int64, rate int) time.Duration {
	r := int64(rate)
	return time.Duration(frames/r)*time.Second + time.Duration(frames%r)*time.Second/time.Duration(r)
}
