package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"onair/internal/audiodev"
	"onair/internal/logx"
	"onair/internal/media"
	"onair/internal/testsignal"
)

// Limits of MicConfig.
const (
	MinMicRate     = 8000
	MaxMicRate     = 192000
	MaxMicChannels = 8
	MinMicPeriod   = 2 * time.Millisecond
	MaxMicPeriod   = 100 * time.Millisecond
)

// Timestamp tolerances of a Mic (see Mic).
const (
	// MicReanchor is how far a block's estimated capture time may stray
	// from the running sample count before the count is re-anchored.
	MicReanchor = 50 * time.Millisecond
	// micLateFor is how much audio must keep arriving more than
	// MicReanchor late before the mic takes it as lost samples (a late
	// callback followed by a catch-up burst is not).
	micLateFor = 250 * time.Millisecond
)

// MicConfig configures a Mic. Zero fields take the defaults.
type MicConfig struct {
	// Name selects the device by its ID (as ListAudioDevices gives it,
	// mic:ID) or its name; "" is the default. A named device is opened
	// whether it is a microphone or a monitor.
	Name string
	// Monitor, with Name empty, captures the sound server's monitor of the
	// default output (desktop audio) instead of a microphone; when no
	// monitor belongs to the default output, the first monitor.
	Monitor bool
	// SampleRate in Hz, 8000..192000. Default 48000. miniaudio converts
	// from the device's own rate.
	SampleRate int
	// Channels, 1..8. Default 2. miniaudio up- or down-mixes.
	Channels int
	// Period is the device period, about how much audio each block holds,
	// 2..100 ms. Default 10 ms.
	Period time.Duration
	// Queue is how many blocks may wait for the consumer; beyond it the
	// oldest is dropped and counted by Skipped. Default: 1 s of blocks.
	Queue int
	// Clock is the stream clock on which blocks are stamped. Default: a
	// clock started by NewMic.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// Mic captures a microphone, or the sound server's monitor of an output
// (desktop audio), through miniaudio: PulseAudio (also PipeWire's
// PulseAudio service) when it runs, else ALSA. Blocks are interleaved
// float32 at the configured rate and channel count.
//
// Timestamps: a device callback runs once the block's samples have been
// captured, so its samples are estimated to span [t-d, t), where t is the
// time the callback started (monotonic) and d the block's own duration.
// The audio buffered before the callback in the sound server and
// miniaudio (up to about one period; malgo does not report it) is not
// subtracted, so PTS may be late by that constant amount. The first
// callback anchors a running sample count, and block PTS are the anchor
// plus samples/rate: continuous, free of callback jitter. Each callback
// compares its estimate with the count; the mic re-anchors (a PTS jump,
// counted by Reanchors) when the estimate is more than MicReanchor earlier
// than the count (the count is ahead of what can have been captured), or
// has stayed more than MicReanchor later for 250 ms of audio (samples were
// lost). A device clock that drifts from the monotonic one is corrected
// before it comes to that: a sample is inserted or left out now and then
// (DriftSlips; see micdrift.go).
//
// The device callback never blocks: it copies the samples into a new
// frame and pushes it to a bounded queue (the oldest block goes when it is
// full, counted by Skipped); the mic's goroutine hands the frames to out.
type Mic struct {
	cfg     MicConfig
	log     *slog.Logger
	backend string
	devID   string
	devName string
	monitor bool

	ctx *malgo.AllocatedContext
	dev *malgo.Device
	q   *media.Queue[*media.AudioFrame]
	run runner

	// Used by the device callback only (one device thread).
	st stamper

	closing   atomic.Bool
	closeOnce sync.Once
	skipped   atomic.Int64
	blocks    atomic.Int64
	reanchors atomic.Int64
	slipped   atomic.Int64
	stopped   stopErr
}

// NewMic checks cfg, finds the device and opens it (without starting it).
// It returns an error wrapping ErrInvalidConfig for a field out of range;
// ErrNoDevice when there is no sound server and no ALSA capture device, no
// microphone (or monitor), or none with the given Name (the message lists
// those that exist); ErrDeviceBusy when the device exists but cannot be
// opened.
func NewMic(cfg MicConfig) (*Mic, error) {
	if err := audioFormat(&cfg.SampleRate, &cfg.Channels, MinMicRate, MaxMicRate, MaxMicChannels); err != nil {
		return nil, err
	}
	if cfg.Period == 0 {
		cfg.Period = 10 * time.Millisecond
	}
	if cfg.Period < MinMicPeriod || cfg.Period > MaxMicPeriod {
		return nil, fmt.Errorf("%w: period (%v) must be in %v..%v",
			ErrInvalidConfig, cfg.Period, MinMicPeriod, MaxMicPeriod)
	}
	if cfg.Queue == 0 {
		cfg.Queue = int(time.Second/cfg.Period) + 1
	}
	if cfg.Queue < 1 {
		return nil, fmt.Errorf("%w: queue (%d blocks) must be at least 1", ErrInvalidConfig, cfg.Queue)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	what := "mic"
	if cfg.Monitor && cfg.Name == "" {
		what = "monitor"
	}
	log := cfg.Logger.With("source", what)

	sys, problem := openAudioSystem(log)
	if sys == nil {
		if cfg.Monitor && cfg.Name == "" {
			problem = noMonitorServer
		}
		return nil, fmt.Errorf("%w: %s", ErrNoDevice, problem)
	}
	c, err := sys.choose(cfg.Name, cfg.Monitor)
	if err != nil {
		sys.close()
		return nil, err
	}
	m := &Mic{
		cfg: cfg, log: log.With("device", c.id), backend: sys.backend,
		devID: c.id, devName: c.name, monitor: c.monitor,
		ctx: sys.ctx,
		q:   media.NewQueue[*media.AudioFrame](cfg.Queue, nil),
		st:  stamper{rate: cfg.SampleRate, limit: MicReanchor, lateFor: micLateFor},
	}
	if err := m.open(c); err != nil {
		sys.close()
		return nil, err
	}
	return m, nil
}

// open makes the capture device for c on the mic's context.
func (m *Mic) open(c audioCapture) error {
	dc := malgo.DefaultDeviceConfig(malgo.Capture)
	dc.Capture.Format = malgo.FormatF32
	dc.Capture.Channels = uint32(m.cfg.Channels)
	dc.SampleRate = uint32(m.cfg.SampleRate)
	dc.PeriodSizeInFrames = uint32(max(1, int(int64(m.cfg.Period)*int64(m.cfg.SampleRate)/int64(time.Second))))
	// Blocks as the backend delivers them: no re-chunking, so no extra
	// buffering between the capture and the callback.
	dc.NoFixedSizedCallback = 1
	// malgo passes the ID pointer to C inside a Go struct: pin it. miniaudio
	// copies the ID while initialising.
	id := new(malgo.DeviceID)
	*id = c.info.ID
	var pin runtime.Pinner
	pin.Pin(id)
	dc.Capture.DeviceID = unsafe.Pointer(id)
	dev, err := malgo.InitDevice(m.ctx.Context, dc, malgo.DeviceCallbacks{Data: m.onData, Stop: m.onStop})
	pin.Unpin()
	if err != nil {
		return fmt.Errorf("%w: %s capture device %s (%q): %v", ErrDeviceBusy, m.backend, c.id, c.name, err)
	}
	m.dev = dev
	m.log.Debug("opened", "backend", m.backend, "name", c.name, "monitor", c.monitor,
		"rate", m.cfg.SampleRate, "channels", m.cfg.Channels, "period", m.cfg.Period)
	return nil
}

// Config is the configuration in use, defaults filled in.
func (m *Mic) Config() MicConfig { return m.cfg }

// Device is the device opened: its ID (as mic:ID takes it), name, kind
// (KindMicrophone or KindMonitor) and the backend in Detail ("pulseaudio"
// or "alsa").
func (m *Mic) Device() Device {
	k := KindMicrophone
	if m.monitor {
		k = KindMonitor
	}
	return Device{Kind: k, ID: m.devID, Name: m.devName, Detail: m.backend}
}

// Start starts the device and the mic's goroutine, which calls out with
// each block, one at a time; out must not block (push to a media.Queue)
// and the frame then belongs to the callee. Start returns ErrStarted when
// called twice, ErrClosed after Close, and ErrDeviceBusy (wrapped) when the
// device does not start.
func (m *Mic) Start(out func(*media.AudioFrame)) error {
	if err := startLoop(&m.run, "mic", out, m.loop); err != nil {
		return err
	}
	if err := m.dev.Start(); err != nil {
		return fmt.Errorf("%w: starting %s capture device %s: %v", ErrDeviceBusy, m.backend, m.devID, err)
	}
	m.log.Debug("started")
	return nil
}

// Close stops the device, waits for its callback and for the mic's
// goroutine; no block is delivered after it returns. It is safe to call
// more than once, and without Start.
func (m *Mic) Close() error {
	m.closeOnce.Do(func() {
		m.closing.Store(true)
		// Uninit stops the device and waits for a callback in flight.
		m.dev.Uninit()
		if err := audiodev.Close(m.ctx); err != nil {
			m.log.Debug("context uninit", "err", err)
		}
		m.q.Close()
		m.run.stop()
		m.log.Debug("closed", "blocks", m.blocks.Load(), "skipped", m.skipped.Load(), "reanchors", m.reanchors.Load(), "drift_slips", m.slipped.Load())
	})
	return nil
}

// Skipped is the number of blocks dropped because the consumer fell
// behind (the queue was full).
func (m *Mic) Skipped() int64 { return m.skipped.Load() }

// Blocks is the number of blocks delivered to out.
func (m *Mic) Blocks() int64 { return m.blocks.Load() }

// Reanchors counts the PTS jumps: times the running sample count was
// re-anchored on the capture time (see Mic).
func (m *Mic) Reanchors() int64 { return m.reanchors.Load() }

// DriftSlips counts the samples inserted or left out to keep the device's
// clock on the stream clock (see micdrift.go).
func (m *Mic) DriftSlips() int64 { return m.slipped.Load() }

// Err says why the device stopped before Close (the sound server went
// away, the device was unplugged); nil while it runs.
func (m *Mic) Err() error {
	return m.stopped.get()
}

// onData is the device callback: it stamps and copies the block and
// queues it. It never blocks.
func (m *Mic) onData(_, in []byte, frames uint32) {
	now := time.Now()
	ch := m.cfg.Channels
	n := int(frames)
	if len(in) < n*ch*4 { // never, with FormatF32
		n = len(in) / (ch * 4)
	}
	if n == 0 || m.closing.Load() {
		return
	}
	pts, jumped, slip := m.st.stamp(now.Sub(m.cfg.Clock.Start()), n)
	if jumped {
		m.reanchors.Add(1)
	}
	f := &media.AudioFrame{PTS: pts, SampleRate: m.cfg.SampleRate, Channels: ch, Samples: make([]float32, (n+slip)*ch)}
	samples := f.Samples
	if slip != 0 {
		samples = make([]float32, n*ch)
		m.slipped.Add(1)
	}
	for i := range samples {
		samples[i] = math.Float32frombits(binary.LittleEndian.Uint32(in[4*i:]))
	}
	if slip != 0 {
		slipBlock(f.Samples, samples, ch, slip)
	}
	m.q.Push(f)
}

// onStop runs when the device stops, also on Close.
func (m *Mic) onStop() {
	if m.closing.Load() {
		return
	}
	err := fmt.Errorf("capture: %s capture device %s stopped", m.backend, m.devID)
	m.stopped.set(err)
	m.log.Error("device stopped", "err", err)
	m.q.Close()
}

func (m *Mic) loop(ctx context.Context, out func(*media.AudioFrame)) {
	loss := lossLog{key: "dropped"}
	var dropped, reanchors int64
	for {
		f, ok := m.q.TryPop()
		if !ok {
			if m.q.Closed() {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-m.q.Ready():
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if d := m.q.Dropped(); d != dropped {
			m.skipped.Add(d - dropped)
			loss.note(m.log, "consumer falling behind, dropped blocks", d-dropped, d)
			dropped = d
		}
		if r := m.reanchors.Load(); r != reanchors {
			reanchors = r
			m.log.Info("capture time re-anchored (samples lost or clock drift)", "total", r, "pts", f.PTS)
		}
		out(f)
		m.blocks.Add(1)
	}
}

// stamper gives blocks continuous PTS from a running sample count anchored
// on the capture time estimated at the first block (see Mic).
type stamper struct {
	rate    int
	limit   time.Duration // MicReanchor
	lateFor time.Duration // micLateFor

	anchored bool
	anchor   time.Duration // stream time of sample count 0
	count    int64         // samples since the anchor
	// While the estimates run more than limit late: since which count, and
	// the smallest lateness seen.
	late      bool
	lateSince int64
	minLate   time.Duration
	drift     driftPlan // see micdrift.go
}

// stamp returns the PTS of a block of n samples whose callback started at
// stream time now, whether the count was re-anchored for it, and the drift
// correction's slip for it (+1: deliver n+1 samples, -1: n-1; slipBlock).
func (s *stamper) stamp(now time.Duration, n int) (pts time.Duration, jumped bool, slip int) {
	est := now - testsignal.SampleOffset(int64(n), s.rate)
	if !s.anchored {
		s.anchored, s.anchor, s.count = true, est, 0
	}
	pred := s.anchor + testsignal.SampleOffset(s.count, s.rate)
	dev := est - pred
	switch {
	case dev < -s.limit:
		// The count claims samples later than they can have been taken.
		s.anchor, s.count, s.late = est, 0, false
		jumped = true
	case dev > s.limit:
		if !s.late {
			s.late, s.lateSince, s.minLate = true, s.count, dev
		} else if dev < s.minLate {
			s.minLate = dev
		}
		if testsignal.SampleOffset(s.count+int64(n)-s.lateSince, s.rate) >= s.lateFor {
			// Still late after lateFor of audio: samples were lost.
			s.anchor, s.count, s.late = pred+s.minLate, 0, false
			jumped = true
		}
	default:
		s.late = false
	}
	switch {
	case jumped:
		s.drift.reset(s.count)
	case !s.late:
		slip = s.drift.next(dev, s.count, n, s.rate)
	}
	pts = s.anchor + testsignal.SampleOffset(s.count, s.rate)
	s.count += int64(n + slip)
	return pts, jumped, slip
}
