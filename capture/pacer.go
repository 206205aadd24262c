package capture

import (
	"context"
	"math"
	"time"
)

// pacer schedules slots n = 0, 1, 2, … due at origin + n*period on the
// monotonic clock. wait sleeps on a timer until the next slot is due; when
// the caller has fallen behind by a period or more, it skips the slots that
// are already past instead of returning them in a burst.
//
// now and after are its clock: time.Now and a reused time.Timer unless a
// test sets them (to an internal/fakeclock Clock's Now and After).
type pacer struct {
	origin time.Time // due time of slot 0; must carry a monotonic reading
	period float64   // nanoseconds
	next   int64     // next slot to return
	timer  *time.Timer

	now   func() time.Time
	after func(time.Duration) <-chan time.Time // nil: timer
}

// newPacer schedules slots periodNS nanoseconds apart (a float, so that
// periods like 1/29.97 s do not drift) from origin.
func newPacer(origin time.Time, periodNS float64) *pacer {
	return &pacer{origin: origin, period: periodNS, now: time.Now}
}

// due is the time at which slot n is due.
func (p *pacer) due(n int64) time.Time {
	return p.origin.Add(time.Duration(math.Round(float64(n) * p.period)))
}

// wait blocks until the next slot is due or ctx is done. It returns the
// slot to produce now, the number of slots skipped before it, and the time
// read on waking (wall and monotonic). ok is false when ctx is done.
func (p *pacer) wait(ctx context.Context) (slot, skipped int64, now time.Time, ok bool) {
	if d := p.due(p.next).Sub(p.now()); d > 0 {
		select {
		case <-ctx.Done():
			p.stop()
			return 0, 0, time.Time{}, false
		case <-p.sleep(d):
		}
	} else if ctx.Err() != nil {
		return 0, 0, time.Time{}, false
	}
	now = p.now()
	slot = p.next
	// The latest slot already due: produce it, skip the ones before.
	if latest := int64(math.Floor(float64(now.Sub(p.origin)) / p.period)); latest > slot {
		skipped = latest - slot
		slot = latest
	}
	p.next = slot + 1
	return slot, skipped, now, true
}

// sleep returns a channel that receives once d has passed.
func (p *pacer) sleep(d time.Duration) <-chan time.Time {
	if p.after != nil {
		return p.after(d)
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d) // the timer has fired and been drained
	}
	return p.timer.C
}

// stop releases the timer.
func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}
