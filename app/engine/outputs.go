package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/media"
	"onair/publish"
	"onair/publish/record"
)

// Errors of the methods that change a running broadcast's outputs.
var (
	// ErrClosed is returned when the broadcast has been closed.
	ErrClosed = errors.New("the broadcast has ended")
	// ErrNoDestination is returned by RemoveDestination for an id that is
	// not (or no longer) a destination.
	ErrNoDestination = errors.New("no such destination")
	// ErrRecording is returned by StartRecording while a recording runs.
	ErrRecording = errors.New("already recording")
	// ErrNotRecording is returned by StopRecording when nothing records.
	ErrNotRecording = errors.New("not recording")
)

// sink takes encoded packets without blocking: a destination's publisher
// or the recorder.
type sink interface{ Push(*media.Packet) }

// destination is one publisher and the id AddDestination gave it.
type destination struct {
	id   int
	pub  *publish.Publisher
	sink sink // pub, or pub behind a fromKey gate
}

// fromKey passes packets on from the first video keyframe: a destination
// added while the broadcast runs starts there, and what came before it is
// not counted as dropped.
type fromKey struct {
	next    sink
	started atomic.Bool
}

func (f *fromKey) Push(p *media.Packet) {
	if !f.started.Load() {
		if !p.Codec.IsVideo() || !p.Key {
			return
		}
		f.started.Store(true)
	}
	f.next.Push(p)
}

// outputs is where the encoders' packets go. The set changes while the
// broadcast runs (AddDestination, StartRecording, …); the encoder
// goroutines read it through an atomic pointer to a slice that is never
// changed, only replaced, so they never wait for a change.
type outputs struct {
	sinks atomic.Pointer[[]sink]

	mu     sync.Mutex // serialises changes; guards the fields below
	closed bool
	nextID int
	dests  []destination
	rec    *record.Recorder
	// gone sums the drops and reconnects of removed destinations, so the
	// broadcast's totals stay cumulative.
	goneDropped, goneReconnects int64
}

// push hands p to every output; the encoder goroutines call it.
func (o *outputs) push(p *media.Packet) {
	if s := o.sinks.Load(); s != nil {
		for _, k := range *s {
			k.Push(p)
		}
	}
}

// publishLocked makes the current set what push sees.
func (o *outputs) publishLocked() {
	s := make([]sink, 0, len(o.dests)+1)
	for _, d := range o.dests {
		s = append(s, d.sink)
	}
	if o.rec != nil {
		s = append(s, o.rec)
	}
	o.sinks.Store(&s)
}

// add adds a connected publisher, fed through s, and returns its id;
// false once closed.
func (o *outputs) add(p *publish.Publisher, s sink) (int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, false
	}
	o.nextID++
	o.dests = append(o.dests[:len(o.dests):len(o.dests)], destination{id: o.nextID, pub: p, sink: s})
	o.publishLocked()
	return o.nextID, true
}

// snapshot is the destinations and the recorder now.
func (o *outputs) snapshot() ([]destination, *record.Recorder, int64, int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dests, o.rec, o.goneDropped, o.goneReconnects
}

// close ends every output: each publisher sends what is queued, the
// recording gets its trailer. Later changes fail with ErrClosed.
func (o *outputs) close() {
	o.mu.Lock()
	o.closed = true
	dests, rec := o.dests, o.rec
	o.mu.Unlock()
	for _, d := range dests {
		d.pub.Close()
	}
	if rec != nil {
		rec.Close()
	}
}

// publisher connects to one destination.
func (b *Broadcast) publisher(ctx context.Context, url string) (*publish.Publisher, error) {
	return publish.Start(ctx, publish.Config{
		URL: url, Insecure: b.cfg.Insecure, TrustEnhanced: b.cfg.TrustEnhanced, Video: &b.vcfg, Audio: b.acfg,
		RequestKeyframe: func() { b.keyReq.Store(true) },
		DropAfter:       dropAfter,
		Logger:          b.log,
	})
}

// AddDestination connects to url (as Config.URLs) and sends it the
// stream from the next keyframe, returning its id for RemoveDestination
// and Sample.Outputs. It blocks while connecting (ctx aborts); the
// broadcast goes on meanwhile. Errors: those of publish.Start, ErrClosed.
func (b *Broadcast) AddDestination(ctx context.Context, url string) (int, error) {
	if b.closed.Load() {
		return 0, ErrClosed
	}
	p, err := b.publisher(ctx, url)
	if err != nil {
		return 0, err
	}
	id, ok := b.outs.add(p, &fromKey{next: p})
	if !ok {
		p.Close()
		return 0, ErrClosed
	}
	b.keyReq.Store(true) // start it without waiting for the next scheduled keyframe
	return id, nil
}

// RemoveDestination stops sending to destination id: what is queued for
// it is sent (publish.Config.FlushTimeout), then it unpublishes. The other
// outputs go on. Errors: ErrNoDestination, ErrClosed.
func (b *Broadcast) RemoveDestination(id int) error {
	o := &b.outs
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	var p *publish.Publisher
	kept := make([]destination, 0, len(o.dests))
	for _, d := range o.dests {
		if d.id == id {
			p = d.pub
		} else {
			kept = append(kept, d)
		}
	}
	if p == nil {
		o.mu.Unlock()
		return fmt.Errorf("destination %d: %w", id, ErrNoDestination)
	}
	o.dests = kept
	o.publishLocked()
	o.mu.Unlock()
	p.Close()
	st := p.Stats()
	o.mu.Lock()
	o.goneDropped += st.Dropped
	o.goneReconnects += st.Reconnects
	o.mu.Unlock()
	return nil
}

// StartRecording records the stream into path (.mp4, .mkv or .flv, see
// publish/record) from the next keyframe: the packets the destinations
// get, not a second encode. Errors: ErrRecording, ErrClosed, and those of
// record.Start (record.ErrFormat, record.ErrCreate: the folder is not
// there or not writable).
func (b *Broadcast) StartRecording(path string) error {
	o := &b.outs
	check := func() error {
		if o.closed {
			return ErrClosed
		}
		if o.rec != nil {
			return fmt.Errorf("%w (to %s)", ErrRecording, o.rec.Stats().Path)
		}
		return nil
	}
	o.mu.Lock()
	err := check()
	o.mu.Unlock()
	if err != nil {
		return err
	}
	// Made unlocked: a slow disk does not hold up Sample.
	r, err := b.recorder(path)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := check(); err != nil {
		r.Close()
		return err
	}
	o.rec = r
	o.publishLocked()
	return nil
}

func (b *Broadcast) recorder(path string) (*record.Recorder, error) {
	var video *media.CodecConfig
	if b.venc != nil {
		video = &b.vcfg
	}
	return record.Start(record.Config{
		Path: path, Video: video, Audio: b.acfg,
		RequestKeyframe: func() { b.keyReq.Store(true) },
		Logger:          b.log,
	})
}

// StopRecording ends the recording: what is queued is written, then the
// format's trailer; the destinations go on. It returns the error that
// stopped the recording early, if one did (record.ErrWrite: a full disk),
// or ErrNotRecording.
func (b *Broadcast) StopRecording() error {
	o := &b.outs
	o.mu.Lock()
	r, closed := o.rec, o.closed
	if r == nil || closed {
		o.mu.Unlock()
		if closed {
			return ErrClosed
		}
		return ErrNotRecording
	}
	o.rec = nil
	o.publishLocked()
	o.mu.Unlock()
	return r.Close()
}

// RecordingStats is a recording's figures in a Sample.
type RecordingStats struct {
	// Path is the file.
	Path string
	// Bytes is the file's size so far.
	Bytes int64
	// Duration is the media time recorded.
	Duration time.Duration
	// Dropped counts packets the recording left out (the disk could not
	// keep up).
	Dropped int64
	// Err is why the recording stopped (record.ErrWrite: a full disk);
	// nil while it goes on. The broadcast goes on: StopRecording clears it.
	Err error
}

func recordingStats(st record.Stats) *RecordingStats {
	return &RecordingStats{Path: st.Path, Bytes: st.Bytes, Duration: st.Duration, Dropped: st.Dropped, Err: st.Err}
}
