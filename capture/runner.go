package capture

import (
	"context"
	"fmt"
	"sync"
)

// runner owns a source's goroutine: it starts it at most once, and stop
// cancels it and waits until it has returned.
type runner struct {
	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// start launches run in a goroutine with a context that stop cancels.
func (r *runner) start(run func(ctx context.Context)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return ErrClosed
	case r.started:
		return ErrStarted
	case run == nil:
		return fmt.Errorf("capture: nil run function")
	}
	r.started = true
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		run(ctx)
	}()
	return nil
}

// stop cancels the goroutine and waits for it to end; later starts fail.
// It is safe to call more than once and before start.
func (r *runner) stop() {
	r.mu.Lock()
	r.closed = true
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// startLoop starts loop(ctx, out) on r, as a source's Start does; a nil
// out is refused with an error naming the source (what).
func startLoop[F any](r *runner, what string, out func(F), loop func(context.Context, func(F))) error {
	if out == nil {
		return fmt.Errorf("capture: %s: nil frame consumer", what)
	}
	return r.start(func(ctx context.Context) { loop(ctx, out) })
}
