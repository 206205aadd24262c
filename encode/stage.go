package encode

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
	"onair/internal/ratelog"
)

// StageConfig wires one encoder into the pipeline.
type StageConfig[F any] struct {
	// In is where frames arrive; the stage ends when In is closed and empty.
	In *media.Queue[F]
	// Encode turns one frame into packets (VideoEncoder.Encode, AudioEncoder.Encode).
	Encode func(F) ([]*media.Packet, error)
	// Flush drains the encoder at the end.
	Flush func() ([]*media.Packet, error)
	// Release is called with each frame once encoded (or dropped).
	Release func(F)
	// Before is called before each Encode (e.g. to apply a keyframe request).
	Before func()
	// Out receives every packet; it must not block (publishers' Push).
	Out func(*media.Packet)
	// Logger; nil discards.
	Logger *slog.Logger
}

// StageStats counts a stage's work (cumulative).
type StageStats struct {
	FramesIn   int64
	PacketsOut int64
	Errors     int64
	// EncodeP50 is the median time Encode took over the last 64 frames.
	EncodeP50 time.Duration
}

// Stage runs an encoder in its own goroutine.
type Stage[F any] struct {
	cfg    StageConfig[F]
	cancel context.CancelFunc
	done   chan struct{}

	framesIn, packetsOut, errs atomic.Int64
	errWarn                    ratelog.Limiter

	mu    sync.Mutex
	times [64]time.Duration
	nt    int
}

// StartStage starts the goroutine; Close stops it.
func StartStage[F any](cfg StageConfig[F]) *Stage[F] {
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	if cfg.Release != nil {
		cfg.In.SetOnDrop(cfg.Release)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Stage[F]{cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go s.run(ctx)
	return s
}

func (s *Stage[F]) run(ctx context.Context) {
	defer close(s.done)
	for {
		f, ok := s.cfg.In.TryPop()
		if !ok {
			if s.cfg.In.Closed() {
				s.flush()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-s.cfg.In.Ready():
			}
			continue
		}
		if s.cfg.Before != nil {
			s.cfg.Before()
		}
		t0 := time.Now()
		pkts, err := s.cfg.Encode(f)
		s.record(time.Since(t0))
		if s.cfg.Release != nil {
			s.cfg.Release(f)
		}
		s.framesIn.Add(1)
		if err != nil {
			s.errs.Add(1)
			s.errWarn.Warn(s.cfg.Logger, "encoding failed", "err", err)
		}
		s.emit(pkts)
	}
}

func (s *Stage[F]) emit(pkts []*media.Packet) {
	for _, p := range pkts {
		s.cfg.Out(p)
	}
	s.packetsOut.Add(int64(len(pkts)))
}

func (s *Stage[F]) flush() {
	if s.cfg.Flush == nil {
		return
	}
	pkts, err := s.cfg.Flush()
	if err != nil {
		s.cfg.Logger.Warn("flushing the encoder failed", "err", err)
	}
	s.emit(pkts)
}

func (s *Stage[F]) record(d time.Duration) {
	s.mu.Lock()
	s.times[s.nt%len(s.times)] = d
	s.nt++
	s.mu.Unlock()
}

// Stats returns the counters.
func (s *Stage[F]) Stats() StageStats {
	st := StageStats{FramesIn: s.framesIn.Load(), PacketsOut: s.packetsOut.Load(), Errors: s.errs.Load()}
	s.mu.Lock()
	n := s.nt
	if n > len(s.times) {
		n = len(s.times)
	}
	ts := append([]time.Duration(nil), s.times[:n]...)
	s.mu.Unlock()
	if n > 0 {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		st.EncodeP50 = ts[n/2]
	}
	return st
}

// Done is closed when the stage has ended.
func (s *Stage[F]) Done() <-chan struct{} { return s.done }

// Close stops the stage without draining and waits for it. To drain, close
// the input queue and wait on Done first.
func (s *Stage[F]) Close() {
	s.cancel()
	<-s.done
}
