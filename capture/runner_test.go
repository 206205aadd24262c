package capture

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunner(t *testing.T) {
	var r runner
	ended := make(chan struct{})
	if err := r.start(func(ctx context.Context) {
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // stop must wait for this
		close(ended)
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.start(func(context.Context) {}); !errors.Is(err, ErrStarted) {
		t.Errorf("second start: %v, want ErrStarted", err)
	}
	r.stop()
	select {
	case <-ended:
	default:
		t.Fatal("stop returned before the goroutine ended")
	}
	r.stop()
	if err := r.start(func(context.Context) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("start after stop: %v, want ErrClosed", err)
	}

	var idle runner
	idle.stop() // before start: no goroutine, no block
	if err := idle.start(func(context.Context) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("start after stop: %v, want ErrClosed", err)
	}
}
