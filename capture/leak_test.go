package capture

import (
	"runtime"
	"testing"
	"time"
)

// checkGoroutines fails t if the goroutine count does not come back to
// before within a second.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	var now int
	for i := 0; i < 100; i++ {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines, %d before:\n%s", now, before, buf[:runtime.Stack(buf, true)])
}
