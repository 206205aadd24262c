package player

import (
	"sync"
	"time"
)

// audioClock is what the play clock asks of the audio output.
type audioClock interface {
	Clock() (time.Duration, bool)
}

// playClock says which media time is on screen now. When audio plays its
// clock leads; otherwise (no audio track, an underrun, before the first
// sample) the monotonic wall clock carries on from the last known point,
// at the catch-up speed.
//
// now reads the wall clock: time.Now unless a test sets it (to an
// internal/fakeclock Clock's Now).
type playClock struct {
	mu       sync.Mutex
	audio    audioClock // nil without audio
	anchored bool
	basePTS  time.Duration
	baseAt   time.Time // monotonic
	speed    float64
	paused   bool
	now      func() time.Time
}

func newPlayClock(audio audioClock) *playClock {
	return &playClock{audio: audio, speed: 1, now: time.Now}
}

// Now is the media time being presented, and false before the clock was
// anchored.
func (c *playClock) Now() (time.Duration, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused && c.audio != nil {
		if pts, ok := c.audio.Clock(); ok {
			c.basePTS, c.baseAt, c.anchored = pts, now, true
			return pts, true
		}
	}
	if !c.anchored {
		return 0, false
	}
	return c.atLocked(now), true
}

func (c *playClock) atLocked(now time.Time) time.Duration {
	if c.paused {
		return c.basePTS
	}
	return c.basePTS + time.Duration(float64(now.Sub(c.baseAt))*c.speed)
}

// Anchor makes pts the media time presented now.
func (c *playClock) Anchor(pts time.Duration) {
	c.mu.Lock()
	c.basePTS, c.baseAt, c.anchored = pts, c.now(), true
	c.mu.Unlock()
}

// Anchored reports whether the clock runs.
func (c *playClock) Anchored() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.anchored
}

// SetPaused stops or restarts the clock where it stands.
func (c *playClock) SetPaused(p bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == c.paused {
		return
	}
	if c.anchored {
		c.basePTS = c.atLocked(now)
	}
	c.baseAt, c.paused = now, p
}

// SetSpeed sets the wall clock's rate (1 = real time; catch-up runs a
// little faster).
func (c *playClock) SetSpeed(s float64) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.anchored {
		c.basePTS = c.atLocked(now)
	}
	c.baseAt, c.speed = now, s
}
