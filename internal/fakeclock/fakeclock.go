// Package fakeclock is a clock for tests whose time moves only when the
// test moves it, or, in auto mode, when the code under test waits on it.
//
// Code that reads time takes it as hooks (the project's one shape): a
// `now func() time.Time` field defaulting to time.Now, and where it waits,
// an `after func(time.Duration) <-chan time.Time` (or sleep) hook. A test
// sets them to a Clock's Now and After (or Sleep):
//
//	clk := fakeclock.NewAuto(fakeclock.Epoch())
//	p.now, p.after = clk.Now, clk.After
//
// A manual Clock (New) moves only on Advance or Set: a goroutine waiting
// on After or Sleep blocks until the test moves time past its deadline.
// BlockUntil lets the test wait until the code is blocked on the clock, so
// that "the code is waiting now" needs no real sleep.
//
// An auto Clock (NewAuto) jumps to the deadline as soon as the code waits:
// a loop that sleeps between steps then runs at once, with every reading
// of Now exact. Use it for code with one goroutine on the clock; with
// several, the order of their jumps is the scheduler's.
//
// A Clock is safe for concurrent use.
package fakeclock

import (
	"sort"
	"sync"
	"time"
)

// Epoch is a fixed start time for tests (no monotonic reading, so results
// do not depend on when the test runs).
func Epoch() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// Clock is a fake clock. Its zero value is not usable: call New or NewAuto.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	waiters []*waiter     // pending After channels, in no order
	changed chan struct{} // closed and replaced when waiters change
}

type waiter struct {
	at time.Time
	c  chan time.Time
}

// New is a manual clock reading start: time moves only on Advance or Set.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// NewAuto is a clock reading start that jumps to the deadline of every
// wait (After, Sleep) as soon as the wait begins; Advance and Set move it
// too.
func NewAuto(start time.Time) *Clock {
	c := New(start)
	c.auto = true
	return c
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since is Now().Sub(t).
func (c *Clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Until is t.Sub(Now()).
func (c *Clock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// After returns a channel that receives the clock's time once it has
// moved d on (at once when d <= 0), like time.After. On an auto clock the
// clock moves there now. The channel is buffered: a wait abandoned (its
// caller chose another case of a select) leaves nothing blocked, though
// it counts in Waiters until time passes its deadline.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{at: c.now.Add(d), c: ch}
	switch {
	case d <= 0:
		ch <- c.now
	case c.auto:
		c.waiters = append(c.waiters, w)
		c.moveLocked(w.at)
	default:
		c.waiters = append(c.waiters, w)
		c.notifyLocked()
	}
	return ch
}

// Sleep blocks until the clock has moved d on: on an auto clock it moves
// it there and returns at once.
func (c *Clock) Sleep(d time.Duration) { <-c.After(d) }

// Advance moves the clock d on (d must not be negative), waking in order
// of deadline every wait that is then due.
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		panic("fakeclock: Advance by a negative duration")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.moveLocked(c.now.Add(d))
}

// Set moves the clock to t, which must not be before Now, waking every
// wait that is then due.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		panic("fakeclock: Set to a time before Now")
	}
	c.moveLocked(t)
}

// Waiters is the number of waits (After, Sleep) whose deadline has not
// come yet.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil waits (in real time, without limit) until at least n waits
// are pending on the clock: the test's way of knowing the code under test
// is blocked on it.
func (c *Clock) BlockUntil(n int) {
	for {
		c.mu.Lock()
		if len(c.waiters) >= n {
			c.mu.Unlock()
			return
		}
		ch := c.changed
		c.mu.Unlock()
		<-ch
	}
}

// moveLocked sets the time to t and fires the waits due by then, each
// with its own deadline as the time it receives, earliest first.
func (c *Clock) moveLocked(t time.Time) {
	c.now = t
	var due []*waiter
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
		} else {
			due = append(due, w)
		}
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
	if len(due) == 0 {
		return
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, w := range due {
		w.c <- w.at
	}
	c.notifyLocked()
}

func (c *Clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}
