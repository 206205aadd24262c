// Package leaktest checks that a test leaves no goroutines behind: every
// goroutine of OnAir has an owner that ends it and waits for it.
package leaktest

import (
	"runtime"
	"testing"
	"time"
)

// Check fails t unless the goroutine count comes back to before (taken
// with runtime.NumGoroutine at the test's start) within the given time; the
// failure lists every goroutine's stack.
func Check(t testing.TB, before int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		now := runtime.NumGoroutine()
		if now <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutine leak: %d goroutines, %d before:\n%s", now, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
