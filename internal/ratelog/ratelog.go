// Package ratelog keeps a warning that can repeat many times a second (a
// queue overflowing, frames skipped, a bad packet in a stream) to one log
// line per interval, with the number of occurrences it stood for.
//
// A Limiter is safe for concurrent use. Its zero value logs at most every
// DefaultEvery on the wall clock; set Every and Now before first use to
// change that (tests set Now to a fake clock).
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the interval a zero Limiter uses.
const DefaultEvery = 5 * time.Second

// Limiter lets a repeated event through to the log at most once per Every.
type Limiter struct {
	// Every is the least time between two lines; 0 means DefaultEvery.
	Every time.Duration
	// Now reads the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	last   time.Time
	logged bool
	held   int64
}

// Allow counts one occurrence and reports whether it may be logged now;
// when it may, n is the number of occurrences the line stands for (this
// one and those held back since the last line).
func (l *Limiter) Allow() (ok bool, n int64) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	every := l.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held++
	if l.logged && t.Sub(l.last) < every {
		return false, 0
	}
	l.last, l.logged = t, true
	n, l.held = l.held, 0
	return true, n
}

// Warn logs msg with args at warning level when Allow lets it through,
// adding "occurrences" when the line stands for more than one.
func (l *Limiter) Warn(log *slog.Logger, msg string, args ...any) {
	if ok, n := l.Allow(); ok && log != nil {
		if n > 1 {
			args = append(args, "occurrences", n)
		}
		log.Warn(msg, args...)
	}
}
