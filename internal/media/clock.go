package media

import "time"

// Clock is a monotonic stream clock. Its zero is the moment it was made;
// Now reports the time elapsed since then, read from Go's monotonic clock,
// so wall-clock steps never move it.
type Clock struct {
	start time.Time
}

// NewClock starts a stream clock at the current instant.
func NewClock() Clock { return Clock{start: time.Now()} }

// Now is the stream time elapsed since the clock started.
func (c Clock) Now() time.Duration { return time.Since(c.start) }

// Start is the instant the clock started (with its monotonic reading).
func (c Clock) Start() time.Time { return c.start }

// At is the instant that stream time d stands for.
func (c Clock) At(d time.Duration) time.Time { return c.start.Add(d) }
