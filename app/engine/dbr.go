package engine

import (
	"time"

	"onair/publish"
)

// Dynamic bitrate (DBR): when media waits to be sent, the video encoder's
// bitrate target drops toward what the connection carries; when the queue
// stays empty it climbs back in steps, never above Config.VideoBitrate.
//
// The signal is each destination's publish.Stats: QueueSpan (the send
// queue plus the bytes waiting in the kernel's socket buffer, turned into
// time at the measured rate) and SendRate (what the connection carried
// over the last second). The controller (dbr) is pure: it is given the
// time, the queue, the rate and the audio's share, and returns the target;
// the broadcast's dbrLoop reads the figures four times a second and hands
// the target to the encoder (encode.VideoEncoder.SetBitrate).
//
// Several destinations share one encoder: the encoder follows the
// destination that is least behind (dbrInput), and a slower one drops
// video up to the next keyframe once it is dropAfter behind
// (publish.Config.DropAfter), so one poor connection does not lower the
// picture for every viewer. With one destination that is the same as
// following it.

// Controller settings.
const (
	// dbrCongested: a queue this long means the connection does not carry
	// the stream (OBS's signal is 200 ms too) ...
	dbrCongested = 200 * time.Millisecond
	// ... once it lasted dbrSustain (a keyframe's burst does not), or at
	// once when it reaches dbrSevere.
	dbrSustain = 500 * time.Millisecond
	dbrSevere  = time.Second
	// dbrHold is the least time between two decreases: the measured rate
	// and the queue must show the last one's effect first.
	dbrHold = time.Second
	// dbrHeadroom: a lowered target leaves this share of the measured
	// rate for video and audio, the rest to drain the backlog.
	dbrHeadroom = 0.8
	// dbrBackoff multiplies the target when the queue keeps growing and the
	// rate gives no lower figure (or there is no rate yet).
	dbrBackoff = 0.85
	// dbrCalm: a queue under this is empty; after dbrRaiseEvery of it the
	// target rises by a tenth of the configured bitrate.
	dbrCalm       = 50 * time.Millisecond
	dbrRaiseEvery = 3 * time.Second
	// dbrUndoAfter: a raise followed by this long a non-empty queue (or by
	// a congestion), before it held dbrRaiseEvery, was too much: the
	// target goes back at once (lower still when the queue is long and the
	// rate says so), and the next raise waits twice as long, up to
	// dbrRaiseMaxWait. A link just under a step then sees short queues,
	// not a congestion every few seconds.
	dbrUndoAfter    = 250 * time.Millisecond
	dbrRaiseMaxWait = 8 * time.Second
	// dbrProbeEvery: for this long after the link was measured full (a
	// decrease on its rate), raises stop at dbrCapShare of that rate
	// (less the audio); then raises of half a step probe past it, until
	// the link carries more than it did (dbrMoreThan). A limited link then
	// sees a probe's short queue every few seconds at most, not a
	// congestion after a whole step.
	dbrProbeEvery = 8 * time.Second
	dbrCapShare   = 0.9
	// dbrMoreThan: a link that carries this many times its last full rate
	// with no queue is no longer limited there: steps are whole again.
	dbrMoreThan = 1.05
	// dbrFloor is the least target, unless a tenth of the configured
	// bitrate is more (or the configured bitrate is less).
	dbrFloor = 200_000
	// dbrTick is how often the broadcast's loop reads the figures.
	dbrTick = 250 * time.Millisecond
	// dropAfter is publish.Config.DropAfter for every destination: past
	// it a destination drops video up to a keyframe (OBS: 700–900 ms).
	dropAfter = time.Second
)

// dbr decides the video bitrate target from one reading at a time. It has
// no clock and no goroutine: update is given the time.
type dbr struct {
	max, floor int // bits/s
	audio      int // bits/s the audio takes
	target     int

	over, calm bool          // the queue is ≥ dbrCongested, < dbrCalm
	overSince  time.Duration // when it became so
	calmSince  time.Duration
	changed    bool // the target changed at lastChange
	lastChange time.Duration
	lowered    bool          // the last change was a decrease ...
	lastDown   time.Duration // ... at lastDown,
	downQueue  time.Duration // with this queue
	busy       bool          // the queue is ≥ dbrCalm (and not congested) ...
	busySince  time.Duration // ... since
	raisedFrom int           // the target before a raise not yet held dbrRaiseEvery; 0: none
	lastUp     time.Duration // when the last raise was
	raiseWait  time.Duration // the calm the next raise needs
	capacity   float64       // bits/s the link carried when last measured full; 0: unknown
	capacityAt time.Duration // when
}

// dbrReading is what the controller is given at each tick, of the
// destination it follows (dbrInput).
type dbrReading struct {
	queue    time.Duration // how far behind it is (publish.Stats.QueueSpan)
	rate     float64       // bits/s its connection carried; 0: not measured yet
	shedding bool          // it drops video up to a keyframe (publish.Stats.Shedding)
}

// newDBR starts at the configured bitrate (bits/s), its most; audio is
// the audio's bitrate, which shares the connection.
func newDBR(configured, audio int) *dbr {
	floor := max(configured/10, min(dbrFloor, configured))
	return &dbr{max: configured, floor: floor, audio: audio, target: configured, raiseWait: dbrRaiseEvery}
}

// update takes the reading r made at now (any monotonic clock) and returns
// the target.
//
// Congestion is a queue of dbrCongested that lasted dbrSustain, a queue of
// dbrSevere, or a destination dropping video. Then, at most once per
// dbrHold, the target drops to dbrHeadroom × the measured rate − audio
// when that is lower (the rate counts only while media waits: a link with
// nothing to send carries less than it can), or else, when the queue keeps
// growing (or nothing was lowered yet), by dbrBackoff. After dbrRaiseEvery
// of a queue under dbrCalm, and as long again after each change, it rises
// by a tenth of the configured bitrate, up to dbrCapShare of the rate the
// link carried when last full, past which it probes by half steps until
// the link carries more (dbrProbeEvery); a raise that a queue of dbrCalm
// follows for dbrUndoAfter, or a congestion, before it held dbrRaiseEvery,
// is undone at once. Otherwise, between dbrCalm and dbrCongested nothing
// changes.
func (c *dbr) update(now time.Duration, r dbrReading) int {
	busy := r.queue >= dbrCongested
	if busy || r.shedding {
		c.calm, c.busy = false, false
		if !c.over {
			c.over, c.overSince = true, now
		}
		undo := c.raisedFrom > 0 // the last raise brought this
		if undo {
			c.raiseWait = min(2*c.raiseWait, dbrRaiseMaxWait)
		}
		if undo || (now-c.overSince >= dbrSustain || r.queue >= dbrSevere || r.shedding) && (!c.lowered || now-c.lastDown >= dbrHold) {
			next := c.target
			if undo {
				next, c.raisedFrom = c.raisedFrom, 0
			}
			est := int(dbrHeadroom*r.rate) - c.audio
			switch {
			case busy && r.rate > 0 && est < next:
				next = est
			case !undo && (!c.lowered || r.queue > c.downQueue || r.shedding):
				next = int(float64(c.target) * dbrBackoff)
			}
			full := 0.0
			if busy {
				full = r.rate
			}
			c.lower(now, next, r.queue, full)
		}
		return c.target
	}
	c.over = false
	if r.queue >= dbrCalm {
		c.calm = false
		if !c.busy {
			c.busy, c.busySince = true, now
		}
		if c.raisedFrom > 0 && now-c.busySince >= dbrUndoAfter {
			// A queue that lasts means the link is full: its rate is what
			// it carries.
			next := c.raisedFrom
			if est := int(dbrHeadroom*r.rate) - c.audio; r.rate > 0 && est < next {
				next = est
			}
			c.raisedFrom = 0
			c.raiseWait = min(2*c.raiseWait, dbrRaiseMaxWait)
			c.lower(now, next, r.queue, r.rate)
		}
		return c.target
	}
	c.busy = false
	if !c.calm {
		c.calm, c.calmSince = true, now
	}
	if c.raisedFrom > 0 && now-c.lastUp >= dbrRaiseEvery { // the raise held
		c.raisedFrom, c.raiseWait = 0, dbrRaiseEvery
	}
	if c.capacity > 0 && r.rate > dbrMoreThan*c.capacity {
		c.capacity = 0 // the link carries more than it did
	}
	since := c.calmSince
	if c.changed && c.lastChange > since {
		since = c.lastChange
	}
	if c.target < c.max && now-since >= c.raiseWait {
		step := c.max / 10
		next := c.target + step
		if c.capacity > 0 {
			if now-c.capacityAt < dbrProbeEvery {
				next = min(next, int(dbrCapShare*c.capacity)-c.audio)
			} else {
				next = c.target + step/2 // a probe: a short queue if the link is still full
			}
		}
		next = min(next, c.max)
		if next > c.target {
			c.raisedFrom, c.target = c.target, next
			c.changed, c.lastChange, c.lastUp = true, now, now
			c.lowered = false
		}
	}
	return c.target
}

// lower makes next (in whole kb/s, within the floor and the configured
// bitrate) the target when it is lower, with the queue it was decided on
// and, when the link was full, the rate it carried (0: it was not).
func (c *dbr) lower(now time.Duration, next int, queue time.Duration, full float64) {
	if full > 0 {
		c.capacity, c.capacityAt = full, now
	}
	next = min(max(next/1000*1000, c.floor), c.max)
	if next < c.target {
		c.target = next
		c.changed, c.lastChange = true, now
		c.lowered, c.lastDown, c.downQueue = true, now, queue
	}
}

// dbrInput picks the reading the controller follows among the
// destinations: the live one least behind (one that drops video counts as
// farther behind than any that does not). False when none is live
// (connecting or reconnecting: nothing to measure).
func dbrInput(outs []Output) (dbrReading, bool) {
	var best dbrReading
	ok := false
	for _, out := range outs {
		o := out.Stats
		if o.State != publish.StateLive {
			continue
		}
		r := dbrReading{queue: o.QueueSpan, rate: o.SendRate * 8, shedding: o.Shedding}
		if !ok || best.shedding && !r.shedding || r.shedding == best.shedding && r.queue < best.queue {
			best, ok = r, true
		}
	}
	return best, ok
}
