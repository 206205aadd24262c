package capture

import (
	"fmt"
	"sync"
	"sync/atomic"

	"onair/internal/media"
)

// The File's two views, VideoSource and AudioSource: each has its own
// consumer, started/closed state and counters, and one goroutine, the
// File's, delivers to both.

// viewState is what both views share: the consumer, the started/closed
// state that deliveries check, and the counters.
type viewState struct {
	f       *File
	mu      sync.Mutex
	started bool
	closed  bool
	frames  atomic.Int64
	skipped atomic.Int64
}

// begin marks the view started; has says whether the File delivers it.
func (v *viewState) begin(has bool, name string, set func()) error {
	if !has {
		return fmt.Errorf("%s: the file source delivers no %s: %w", v.f.cfg.Path, name, ErrNoStream)
	}
	v.mu.Lock()
	switch {
	case v.closed:
		v.mu.Unlock()
		return ErrClosed
	case v.started:
		v.mu.Unlock()
		return ErrStarted
	}
	v.started = true
	set()
	v.mu.Unlock()
	v.f.start()
	return nil
}

// shut marks the view closed; it returns once no delivery is running.
func (v *viewState) shut() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
}

// active reports whether the view was started and is not closed.
func (v *viewState) active() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.started && !v.closed
}

// fileVideo is File's VideoSource.
type fileVideo struct {
	viewState
	out func(*media.VideoFrame)
}

// Start begins delivering the file's video to out, from the File's
// goroutine, one frame at a time; out must not block, and the frame then
// belongs to the callee, who must Release it. It returns ErrNoStream when
// the File delivers no video, ErrStarted when called twice and ErrClosed
// after Close.
func (v *fileVideo) Start(out func(*media.VideoFrame)) error {
	if out == nil {
		return fmt.Errorf("capture: file: nil frame consumer")
	}
	return v.begin(v.f.vtrack != nil, "video", func() { v.out = out })
}

// Close stops the deliveries to this view; the File goes on for the other
// view if it is running, and is closed otherwise.
func (v *fileVideo) Close() error {
	v.shut()
	v.f.viewClosed()
	return nil
}

// Skipped counts video frames dropped because they would have been
// released more than a frame interval late.
func (v *fileVideo) Skipped() int64 { return v.skipped.Load() }

// Frames counts video frames delivered.
func (v *fileVideo) Frames() int64 { return v.frames.Load() }

// deliver hands fr to the consumer, or releases it when there is none.
func (v *fileVideo) deliver(fr *media.VideoFrame) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.started || v.closed {
		fr.Release()
		return
	}
	v.out(fr)
	v.frames.Add(1)
}

// fileAudio is File's AudioSource.
type fileAudio struct {
	viewState
	out func(*media.AudioFrame)
}

// Start begins delivering the file's audio to out, from the File's
// goroutine, one block at a time; out must not block. It returns
// ErrNoStream when the File delivers no audio, ErrStarted when called
// twice and ErrClosed after Close.
func (a *fileAudio) Start(out func(*media.AudioFrame)) error {
	if out == nil {
		return fmt.Errorf("capture: file: nil frame consumer")
	}
	return a.begin(a.f.atrack != nil, "audio", func() { a.out = out })
}

// Close stops the deliveries to this view; the File goes on for the other
// view if it is running, and is closed otherwise.
func (a *fileAudio) Close() error {
	a.shut()
	a.f.viewClosed()
	return nil
}

// Skipped is always 0: audio blocks are never dropped.
func (a *fileAudio) Skipped() int64 { return a.skipped.Load() }

// Blocks counts audio blocks delivered.
func (a *fileAudio) Blocks() int64 { return a.frames.Load() }

func (a *fileAudio) deliver(fr *media.AudioFrame) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.started || a.closed {
		return
	}
	a.out(fr)
	a.frames.Add(1)
}
