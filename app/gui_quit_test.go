package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestQuitWatch: the watch ends the program only when the loop, asked
// to quit, has not returned within the grace; a signal asks the loop.
func TestQuitWatch(t *testing.T) {
	test.NewTempApp(t)
	const grace = 50 * time.Millisecond

	t.Run("returns in time", func(t *testing.T) {
		timedOut := make(chan struct{}, 1)
		q := newQuitWatch(context.Background(), grace, func() {}, func() { timedOut <- struct{}{} })
		q.asked()
		q.done()
		time.Sleep(2 * grace)
		if len(timedOut) != 0 {
			t.Fatal("the watch ended the program although the loop returned")
		}
	})
	t.Run("never asked", func(t *testing.T) {
		timedOut := make(chan struct{}, 1)
		q := newQuitWatch(context.Background(), grace, func() {}, func() { timedOut <- struct{}{} })
		time.Sleep(2 * grace)
		q.done()
		if len(timedOut) != 0 {
			t.Fatal("the watch ended the program while the window ran")
		}
	})
	t.Run("stuck after quit", func(t *testing.T) {
		timedOut := make(chan struct{}, 1)
		q := newQuitWatch(context.Background(), grace, func() {}, func() { timedOut <- struct{}{} })
		start := time.Now()
		q.asked()
		select {
		case <-timedOut:
			if d := time.Since(start); d < grace {
				t.Fatalf("ended after %v, before the grace of %v", d, grace)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the watch did not end a loop stuck after quitting")
		}
		q.done()
	})
	t.Run("signal", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		quit := make(chan struct{}, 1)
		timedOut := make(chan struct{}, 1)
		q := newQuitWatch(ctx, grace, func() { quit <- struct{}{} }, func() { timedOut <- struct{}{} })
		cancel()
		select {
		case <-quit:
		case <-time.After(5 * time.Second):
			t.Fatal("a signal did not ask the loop to quit")
		}
		select {
		case <-timedOut:
		case <-time.After(5 * time.Second):
			t.Fatal("the watch did not end a loop stuck after a signal")
		}
		q.done()
	})
}
