package encode

import (
	"math"
	"time"
)

// Constant frame rate without waiting for a tick.
//
// Output slots. The first main frame that is emitted anchors a grid of
// output slots, one every T = 1/FPS: its PTS is the origin, slot 0. A main
// frame captured at PTS p belongs to slot
//
//	slot(p) = floor((p − origin)·FPS + ¼)
//
// so slot n takes the capture times [origin + (n − ¼)·T, origin + (n + ¾)·T).
// Each slot gets at most one output frame:
//
//   - A main frame is emitted at once, with its own capture PTS, when its
//     slot is later than the last output's slot L; otherwise it is dropped
//     (it came faster than FPS, or too late for its slot). So a 60 fps feed
//     at 30 fps keeps frames 0, 2, 4, …: the ¼-slot lead puts the odd ones
//     in the middle of a slot, not on a boundary where jitter would flip the
//     choice.
//   - Hysteresis: a frame whose own slot is L but which falls within
//     slotHysteresis (0.15) slots of slot L+1's window takes slot L+1. A
//     source drifting against the stream clock (a camera at 29.97 or 30.03
//     into 30) crosses a boundary once per drift period; without this, PTS
//     jitter at the boundary would alternate drops and repeats (stutter)
//     until the drift carried it past.
//   - Late capture: when slot L holds a main frame (not a repeat), a frame
//     whose own slot is L+2 but which falls within slotLate (0.35) slots
//     after slot L+1's window closed takes the empty slot L+1. A capture
//     that ran late once (a screen grab that waited for the X server, a
//     scheduler hiccup) thus keeps its slot, and the next frame, on time,
//     takes its own: without this, one late frame would cost a repeat and
//     a drop. ffmpeg's CFR conversion is more lenient still (±1.1 frames
//     before it drops or duplicates). After a repeat the rule is off: the
//     feed has already missed a slot, and a frame on time for its own slot
//     keeps it (a 10 fps feed stays on the 30 fps grid). In short: a main
//     frame at grid position x (slots since origin) is emitted iff
//     x ≥ L + ¾ − 0.15, into slot L+1 when x < L + 1¾ (+ 0.35 when slot L
//     holds a main frame), else into slot floor(x + ¼).
//   - A slot no main frame took gets a repeat of the last output, with PTS
//     lastMainPTS + k·T (k slots after the last main frame). The repeat of
//     slot n is due when slot n's window has closed on the arrival timeline
//     (late capture included when it applies): at stream time
//     origin + (n + ¾ [+ 0.35])·T + delay, delay being the largest
//     transit time (arrival − PTS) of the last 16 main frames. A stalled feed
//     thus still gives FPS frames out, and a late frame is not beaten by a
//     repeat of its own slot as long as its transit time stays within that
//     recent maximum.
//   - When a main frame arrives for slot m while slots before m are still
//     empty (its feed jumped ahead of the repeat timer), up to maxCatchUp of
//     them are repeated first. A timer that finds more than maxCatchUp slots
//     overdue (the process stalled) repeats only the last maxCatchUp: a
//     burst would only add latency.
//
// Output PTS are strictly increasing: a main frame must be later than the
// last output (else it is dropped), and a repeat k slots after a main frame
// at PTS p gets p + k·T, later than every output since that frame. So every
// output also lies within [n − ¼ − 0.15, n + ¾ + 0.35) of its slot n.
//
// The grid stays anchored at the first frame. A feed at the output rate is
// therefore caught mid-slot whatever its phase, while the grid keeps
// exactly FPS slots per second of the stream clock: a camera whose crystal
// runs slow gets a repeat now and then, one that runs fast a drop.

// slotLead is how far, in slots, a slot's capture window opens before its
// nominal time.
const slotLead = 0.25

// slotHysteresis is how far before the next slot's window a frame whose own
// slot is taken still counts for the next slot. It must stay below ¼ − the
// PTS jitter of a 60 fps feed, or 60 → 30 would keep odd frames as often as
// even ones.
const slotHysteresis = 0.15

// slotLate is how far, in slots, after its window closed a frame still
// takes an empty slot (see "Late capture" above). Below 1 − slotLead −
// slotHysteresis, so a frame is never both late for one slot and early for
// the next; more only delays the repeats of a stalled feed.
const slotLate = 0.35

// maxCatchUp is the most repeats emitted back to back.
const maxCatchUp = 2

// delayWindow is how many recent main frames the transit delay spans.
const delayWindow = 16

// maxTransitDelay bounds the transit delay: a feed whose frames take longer
// than this from capture to the preprocessor is not on the stream clock.
const maxTransitDelay = time.Second

// rateConverter decides, frame by frame, what goes into which output slot.
// It holds no timer and reads no clock: the caller passes the times in.
type rateConverter struct {
	fps    float64
	period float64 // T in nanoseconds

	started  bool
	origin   time.Duration // PTS of the first main frame out: slot 0
	lastSlot int64         // slot of the last output
	lastPTS  time.Duration // PTS of the last output
	mainSlot int64         // slot of the last main frame out
	mainPTS  time.Duration // its PTS

	delays  [delayWindow]time.Duration
	nDelays int
	delay   time.Duration // max of delays
}

func newRateConverter(fps float64) rateConverter {
	return rateConverter{fps: fps, period: float64(time.Second) / fps}
}

// observe notes that a main frame captured at pts arrived at stream time
// at; every arrival counts, emitted or not.
func (r *rateConverter) observe(pts, at time.Duration) {
	d := min(max(at-pts, 0), maxTransitDelay)
	r.delays[r.nDelays%delayWindow] = d
	r.nDelays++
	n := min(r.nDelays, delayWindow)
	r.delay = 0
	for _, v := range r.delays[:n] {
		r.delay = max(r.delay, v)
	}
}

// admit decides about a main frame captured at pts: ok says whether it is
// emitted, into which slot, and fill how many empty slots before it are to
// be repeated first (by calling repeat). Nothing changes until take.
func (r *rateConverter) admit(pts time.Duration) (slot int64, fill int, ok bool) {
	if !r.started {
		return 0, 0, true
	}
	x := float64(pts-r.origin) / r.period
	if x < float64(r.lastSlot+1)-slotLead-slotHysteresis || pts <= r.lastPTS {
		return 0, 0, false
	}
	next := r.lastSlot + 1
	if x < float64(next)+1-slotLead+r.late() {
		slot = next // its own slot, or late for the empty one before
	} else {
		slot = int64(math.Floor(x + slotLead))
	}
	return slot, int(min(slot-r.lastSlot-1, maxCatchUp)), true
}

// late is how far past its window the next slot still takes a main frame:
// slotLate when the last output was a main frame, else 0.
func (r *rateConverter) late() float64 {
	if r.lastSlot == r.mainSlot {
		return slotLate
	}
	return 0
}

// take records that the main frame captured at pts was emitted into slot
// (as admit said).
func (r *rateConverter) take(pts time.Duration, slot int64) {
	if !r.started {
		r.started, r.origin, slot = true, pts, 0
	}
	r.lastSlot, r.lastPTS = slot, pts
	r.mainSlot, r.mainPTS = slot, pts
}

// repeat claims the next slot for a repeat and returns its PTS.
func (r *rateConverter) repeat() time.Duration {
	r.lastSlot++
	pts := r.mainPTS + time.Duration(math.Round(float64(r.lastSlot-r.mainSlot)*r.period))
	if pts <= r.lastPTS {
		pts = r.lastPTS + 1
	}
	r.lastPTS = pts
	return pts
}

// skip gives n slots up without output.
func (r *rateConverter) skip(n int64) { r.lastSlot += n }

// repeatDue is the stream time at which the next slot is repeated unless a
// main frame takes it first; ok is false before the first output.
func (r *rateConverter) repeatDue() (due time.Duration, ok bool) {
	if !r.started {
		return 0, false
	}
	end := float64(r.lastSlot+1) + 1 - slotLead + r.late() // the slot's window closes
	return r.origin + time.Duration(math.Round(end*r.period)) + r.delay, true
}

// overdue is the number of slots whose repeat is due at stream time now.
func (r *rateConverter) overdue(now time.Duration) int64 {
	due, ok := r.repeatDue()
	if !ok || now < due {
		return 0
	}
	return 1 + int64(float64(now-due)/r.period)
}
