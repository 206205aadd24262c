package encode

import (
	"fmt"
	"image"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/bufpool"
	"onair/internal/logx"
	"onair/internal/media"
	"onair/internal/ratelog"
)

// PreprocessConfig configures a Preprocessor. Zero fields take the
// documented defaults.
type PreprocessConfig struct {
	// Width and Height of the output picture; both even, 2 to 8192.
	// Required: the encoder's size.
	Width, Height int
	// FPS is the output frame rate, 0 < FPS <= 240. Required: the
	// encoder's rate.
	FPS float64
	// Fit says how a main picture of another aspect ratio fills the
	// output. Default FitLetterbox.
	Fit FitMode
	// OverlayText, when set, is drawn top-left: white capitals on a
	// translucent dark box, cut short so as not to run into the clock.
	OverlayText string
	// OverlayClock draws the wall-clock time of capture (HH:MM:SS, local
	// time) top-right.
	OverlayClock bool
	// PiP, when set, composites the frames given to PushPiP over the main
	// picture.
	PiP *PiPConfig
	// Clock is the stream clock the sources stamp their PTS on; the repeat
	// timer runs on it. Default: a clock started by NewPreprocessor, right
	// only if the sources were given the same one.
	Clock media.Clock
	// Out receives every output frame, from the Preprocessor's goroutine,
	// one at a time. It must not block (push to a media.Queue). The frame
	// then belongs to the callee, who must Release it; its planes may be
	// shared with other output frames (repeats), so they are read-only.
	// Required.
	Out func(*media.VideoFrame)
	// Logger; nil discards.
	Logger *slog.Logger
}

func (c *PreprocessConfig) setDefaults() error {
	if c.Width <= 0 || c.Height <= 0 || c.Width%2 != 0 || c.Height%2 != 0 || c.Width > 8192 || c.Height > 8192 {
		return fmt.Errorf("size %dx%d: want even width and height from 2 to 8192: %w", c.Width, c.Height, ErrInvalidConfig)
	}
	if !(c.FPS > 0 && c.FPS <= 240) || math.IsNaN(c.FPS) {
		return fmt.Errorf("frame rate %g: want 0 < fps <= 240: %w", c.FPS, ErrInvalidConfig)
	}
	if c.Fit < FitLetterbox || c.Fit > FitStretch {
		return fmt.Errorf("fit mode %d: %w", int(c.Fit), ErrInvalidConfig)
	}
	if c.PiP != nil {
		pip := *c.PiP // the caller's value stays as it was
		if err := pip.setDefaults(); err != nil {
			return err
		}
		c.PiP = &pip
	}
	if c.Out == nil {
		return fmt.Errorf("no output function: %w", ErrInvalidConfig)
	}
	if c.Clock.Start().IsZero() {
		c.Clock = media.NewClock()
	}
	c.Logger = logx.OrDiscard(c.Logger)
	return nil
}

// PreprocessStats counts a Preprocessor's work (cumulative).
type PreprocessStats struct {
	// In is the number of main frames pushed.
	In int64
	// Out is the number of frames emitted, repeats included.
	Out int64
	// Dropped is the number of main frames not emitted: faster than FPS,
	// too late for their slot, replaced by a newer one before the
	// Preprocessor took them, unreadable, or pushed after Close.
	Dropped int64
	// Repeated is the number of repeats emitted (included in Out).
	Repeated int64
	// ProcessP50 is the median time a main frame took to become an output
	// frame (scaling, conversion, overlays), over the last 64.
	ProcessP50 time.Duration
}

// Preprocessor is the video stage between the sources and the encoder: it
// scales and converts the main picture to the output size in YUV420P,
// draws the overlays, and emits a constant frame rate.
//
// Latency comes first: a main frame is processed and emitted as soon as it
// arrives, not at the next tick; the timer only fills the slots no main
// frame took (see cfr.go for the slot rule). Output PTS are the main
// frames' capture PTS (repeats: the last one plus k/FPS) and strictly
// increase.
//
// A main frame already in YUV420P at the output size, with no overlay to
// draw (no text, no clock, no PiP picture held), is passed through: the
// very frame pointer goes to Out, planes untouched; only its release hook
// is wrapped, so that a repeat can still show it.
//
// PushMain and PushPiP never block and may be called from different
// goroutines; one goroutine does the work and calls Out.
type Preprocessor struct {
	cfg   PreprocessConfig
	log   *slog.Logger
	clock media.Clock

	mu     sync.Mutex // guards the hand-off below
	main   *media.VideoFrame
	mainAt time.Duration // arrival of main on the stream clock
	pip    *media.VideoFrame
	closed bool

	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	in, out, dropped, repeated atomic.Int64

	// One rate-limited warning for each kind of dropped frame.
	pipWarn, mainWarn ratelog.Limiter

	tmu   sync.Mutex
	times [64]time.Duration
	nt    int

	// Owned by the goroutine.
	rc   rateConverter
	r    *renderer
	held heldFrame
}

// heldFrame is the last output, kept (with a reference) for repeats.
type heldFrame struct {
	tmpl media.VideoFrame // a copy without a release hook
	sh   *sharedPlanes
}

// NewPreprocessor checks cfg, fills in defaults and starts the
// Preprocessor's goroutine; Close stops it. Errors wrap ErrInvalidConfig.
func NewPreprocessor(cfg PreprocessConfig) (*Preprocessor, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Preprocessor{
		cfg:   cfg,
		log:   cfg.Logger.With("stage", "preprocess"),
		clock: cfg.Clock,
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
		rc:    newRateConverter(cfg.FPS),
		r:     newRenderer(cfg),
	}
	p.log.Debug("preprocessor started", "size", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height),
		"fps", cfg.FPS, "fit", cfg.Fit, "title", cfg.OverlayText != "", "clock", cfg.OverlayClock, "pip", cfg.PiP != nil)
	go p.run()
	return p, nil
}

// PushMain hands over a main frame, which then belongs to the
// Preprocessor. It never waits: a frame the goroutine has not taken yet is
// replaced (and counted as dropped), since only the newest matters.
func (p *Preprocessor) PushMain(f *media.VideoFrame) {
	if f == nil {
		return
	}
	p.in.Add(1)
	at := p.clock.Now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.dropped.Add(1)
		f.Release()
		return
	}
	old := p.main
	p.main, p.mainAt = f, at
	p.mu.Unlock()
	if old != nil {
		p.dropped.Add(1)
		old.Release()
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// PushPiP hands over a picture-in-picture frame, which then belongs to the
// Preprocessor. Only the newest is kept; it shows from the next main frame
// on, and stays until a newer one comes. Without Config.PiP the frame is
// released at once.
func (p *Preprocessor) PushPiP(f *media.VideoFrame) {
	if f == nil {
		return
	}
	p.mu.Lock()
	if p.closed || p.cfg.PiP == nil {
		p.mu.Unlock()
		f.Release()
		return
	}
	old := p.pip
	p.pip = f
	p.mu.Unlock()
	if old != nil {
		old.Release()
	}
}

// Dropped is the number of main frames not emitted (see PreprocessStats).
func (p *Preprocessor) Dropped() int64 { return p.dropped.Load() }

// Repeated is the number of repeats emitted.
func (p *Preprocessor) Repeated() int64 { return p.repeated.Load() }

// Stats returns the counters.
func (p *Preprocessor) Stats() PreprocessStats {
	st := PreprocessStats{In: p.in.Load(), Out: p.out.Load(), Dropped: p.dropped.Load(), Repeated: p.repeated.Load()}
	p.tmu.Lock()
	n := min(p.nt, len(p.times))
	ts := append([]time.Duration(nil), p.times[:n]...)
	p.tmu.Unlock()
	if n > 0 {
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		st.ProcessP50 = ts[n/2]
	}
	return st
}

// Close stops the goroutine and waits for it, releases the frames still
// held and frees the scalers. No frame goes to Out after Close returns;
// frames already given to Out stay valid until released. It is safe to
// call more than once.
func (p *Preprocessor) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		m, pip := p.main, p.pip
		p.main, p.pip = nil, nil
		p.mu.Unlock()
		close(p.quit)
		<-p.done
		if m != nil {
			p.dropped.Add(1)
			m.Release()
		}
		if pip != nil {
			pip.Release()
		}
		if p.held.sh != nil {
			p.held.sh.unref()
			p.held = heldFrame{}
		}
		p.r.close()
		st := p.Stats()
		p.log.Debug("preprocessor stopped", "in", st.In, "out", st.Out, "dropped", st.Dropped, "repeated", st.Repeated)
	})
}

func (p *Preprocessor) run() {
	defer close(p.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stopTimer(timer)
	armed := false
	for {
		var tick <-chan time.Time
		if armed {
			tick = timer.C
		}
		select {
		case <-p.quit:
			return
		case <-p.wake:
		case <-tick:
			armed = false
		}
		// A waiting main frame goes first: it may take the slot a repeat
		// would otherwise fill.
		if f, at, ok := p.takeMain(); ok {
			p.handleMain(f, at)
		}
		p.repeatOverdue()
		if due, ok := p.rc.repeatDue(); ok {
			stopTimer(timer)
			timer.Reset(max(0, due-p.clock.Now()))
			armed = true
		}
	}
}

// stopTimer stops t and drains a tick it already sent, under either timer
// channel semantics.
func stopTimer(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
}

func (p *Preprocessor) takeMain() (*media.VideoFrame, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, at := p.main, p.mainAt
	p.main = nil
	return f, at, f != nil
}

func (p *Preprocessor) takePiP() *media.VideoFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.pip
	p.pip = nil
	return f
}

func (p *Preprocessor) handleMain(f *media.VideoFrame, at time.Duration) {
	pts := f.PTS
	p.rc.observe(pts, at)
	slot, fill, ok := p.rc.admit(pts)
	if !ok {
		p.dropped.Add(1)
		f.Release()
		return
	}
	for i := 0; i < fill; i++ {
		p.emitRepeat(p.rc.repeat())
	}
	if pf := p.takePiP(); pf != nil {
		if err := p.r.updatePiP(pf); err != nil {
			p.pipWarn.Warn(p.log, "picture-in-picture frame dropped", "err", err)
		}
		pf.Release()
	}
	t0 := time.Now()
	o, sh, err := p.r.render(f, p.clock.At(pts))
	p.record(time.Since(t0))
	if err != nil {
		p.dropped.Add(1)
		p.mainWarn.Warn(p.log, "main frame dropped", "err", err)
		return
	}
	p.rc.take(pts, slot)
	p.emit(o, sh)
}

// repeatOverdue repeats the last output into every slot whose repeat is
// due, at most maxCatchUp of them.
func (p *Preprocessor) repeatOverdue() {
	n := p.rc.overdue(p.clock.Now())
	if n > maxCatchUp {
		p.log.Debug("preprocessor fell behind, slots skipped", "slots", n-maxCatchUp)
		p.rc.skip(n - maxCatchUp)
		n = maxCatchUp
	}
	for ; n > 0; n-- {
		p.emitRepeat(p.rc.repeat())
	}
}

// emit sends o out and keeps it for repeats.
func (p *Preprocessor) emit(o *media.VideoFrame, sh *sharedPlanes) {
	sh.refs.Add(1) // the hold, taken before Out can release o
	if p.held.sh != nil {
		p.held.sh.unref()
	}
	p.held = heldFrame{tmpl: *o, sh: sh}
	p.held.tmpl.SetRelease(nil)
	p.out.Add(1)
	p.cfg.Out(o)
}

func (p *Preprocessor) emitRepeat(pts time.Duration) {
	if p.held.sh == nil {
		return
	}
	g := new(media.VideoFrame)
	*g = p.held.tmpl
	g.PTS = pts
	p.held.sh.attach(g)
	p.repeated.Add(1)
	p.out.Add(1)
	p.cfg.Out(g)
}

func (p *Preprocessor) record(d time.Duration) {
	p.tmu.Lock()
	p.times[p.nt%len(p.times)] = d
	p.nt++
	p.tmu.Unlock()
}

// sharedPlanes counts the frames that show one buffer: an output frame,
// its repeats, and the Preprocessor's hold on the last output. The last
// Release frees the buffer.
type sharedPlanes struct {
	refs atomic.Int32
	free func()
}

// attach makes f one of the buffer's holders: f.Release drops its share.
func (s *sharedPlanes) attach(f *media.VideoFrame) {
	s.refs.Add(1)
	f.SetRelease(s.unref)
}

func (s *sharedPlanes) unref() {
	if s.refs.Add(-1) == 0 && s.free != nil {
		s.free()
	}
}

// canvasPoolSize is how many idle output buffers the renderer's pool
// keeps: the few an encoder that keeps up has queued, the frame being
// encoded, the held last output and the one being drawn. An encoder that
// falls behind queues more (up to the app's raw queue); those are
// allocated then, and freed beyond this number once it has caught up.
const canvasPoolSize = 8

// renderer turns main frames into output frames. It is owned by one
// goroutine (the Preprocessor's, or a test's).
type renderer struct {
	w, h    int
	fit     FitMode
	sc      scalers
	pool    *bufpool.Pool // output buffers
	title   *textBox
	clock   *textBox
	pip     *pipOverlay
	geomSrc image.Point // the source size dst and crop were made for
	dst     image.Rectangle
	crop    image.Rectangle
}

func newRenderer(cfg PreprocessConfig) *renderer {
	r := &renderer{w: cfg.Width, h: cfg.Height, fit: cfg.Fit, pool: bufpool.New(yuvSize(cfg.Width, cfg.Height), canvasPoolSize)}
	r.title, r.clock = titleAndClock(cfg.OverlayText, cfg.OverlayClock, cfg.Width, cfg.Height)
	if cfg.PiP != nil {
		r.pip = newPiPOverlay(*cfg.PiP, cfg.Width, cfg.Height)
	}
	return r
}

// bypass reports whether f goes out as it is.
func (r *renderer) bypass(f *media.VideoFrame) bool {
	return f.Format == media.PixelFormatYUV420P && f.Width == r.w && f.Height == r.h &&
		r.title == nil && r.clock == nil && (r.pip == nil || !r.pip.ok)
}

// updatePiP scales a new picture-in-picture frame into place; the caller
// still releases f.
func (r *renderer) updatePiP(f *media.VideoFrame) error {
	if r.pip == nil {
		return nil
	}
	return r.pip.update(f, &r.sc)
}

// render turns main frame f, captured at wall-clock time wall, into an
// output frame holding one share of its buffer. It always consumes f: f
// itself is the output when passed through, otherwise it is released.
func (r *renderer) render(f *media.VideoFrame, wall time.Time) (*media.VideoFrame, *sharedPlanes, error) {
	if r.bypass(f) {
		orig := *f // keeps the producer's release hook
		sh := &sharedPlanes{free: orig.Release}
		sh.attach(f)
		return f, sh, nil
	}
	pts, seq := f.PTS, f.Seq
	if src := image.Pt(f.Width, f.Height); src != r.geomSrc {
		r.dst, r.crop = fitRect(f.Width, f.Height, r.w, r.h, r.fit)
		r.geomSrc = src
	}
	buf := r.pool.Get()
	m := newYUVImage(buf, r.w, r.h)
	if r.dst != image.Rect(0, 0, r.w, r.h) {
		m.fillOutside(r.dst)
	}
	err := r.sc.scale(f, r.crop, m, r.dst)
	f.Release()
	if err != nil {
		r.pool.Put(buf)
		return nil, nil, err
	}
	if r.pip != nil {
		r.pip.draw(m)
	}
	if r.title != nil {
		r.title.draw(m)
	}
	if r.clock != nil {
		r.clock.drawClock(m, wall)
	}
	o := m.frame()
	o.PTS, o.Seq = pts, seq
	sh := &sharedPlanes{free: func() { r.pool.Put(buf) }}
	sh.attach(o)
	return o, sh, nil
}

// close frees the scalers.
func (r *renderer) close() { r.sc.free() }
