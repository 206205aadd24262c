package capture

import (
	"testing"
	"time"

	"onair/internal/leaktest"
)

// checkGoroutines fails t if the goroutine count does not come back to
// before within a second.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	leaktest.Check(t, before, time.Second)
}
