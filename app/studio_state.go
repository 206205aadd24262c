package app

import (
	"context"
	"slices"
)

// studioPhase is where the Studio's session (one running broadcast, with
// destinations, a recording or both) is.
type studioPhase int

const (
	phaseIdle       studioPhase = iota // the settings are editable; a start begins a session
	phaseConnecting                    // the broadcast is opening
	phaseLive                          // the broadcast runs
	phaseEnding                        // the session is closing
)

func (p studioPhase) String() string {
	switch p {
	case phaseIdle:
		return "idle"
	case phaseConnecting:
		return "connecting"
	case phaseLive:
		return "live"
	case phaseEnding:
		return "ending"
	}
	return "unknown"
}

// outPhase is where one of the session's outputs is: a destination or
// the recording.
type outPhase int

const (
	outOff      outPhase = iota // not wanted
	outStarting                 // asked for: connecting, or making the file
	outOn                       // running
	outStopping                 // asked to stop
)

func (o outPhase) String() string {
	switch o {
	case outOff:
		return "off"
	case outStarting:
		return "starting"
	case outOn:
		return "on"
	case outStopping:
		return "stopping"
	}
	return "unknown"
}

// active says the output is wanted (starting or running).
func (o outPhase) active() bool { return o == outStarting || o == outOn }

// studioAction is what the window does after a press or a result.
type studioAction int

const (
	actNone       studioAction = iota
	actBegin                   // start a session on st.ctx (with no output: wentLive starts them)
	actEnd                     // the session was cancelled: its goroutine closes the broadcast
	actAddDest                 // ask the running session to add step.dest
	actCancelAdd               // abort step.dest's connecting
	actRemoveDest              // ask the session to remove step.dest
	actStartRec                // ask the session to start recording
	actStopRec                 // ask the session to stop recording
)

func (a studioAction) String() string {
	return [...]string{"none", "begin", "end", "add", "cancelAdd", "remove", "startRec", "stopRec"}[a]
}

// studioStep is one thing to do: an action, and for the destination
// actions the destination (its row's id).
type studioStep struct {
	act  studioAction
	dest int
}

// destRun is one destination's part in the session.
type destRun struct {
	id       int // the row's id: stable while the window runs
	out      outPhase
	engineID int    // its id in the broadcast once added (engine.AddDestination), else 0
	failed   string // why its last start failed; "" when it did not
}

// studioState is the Studio's go-live and recording state machine, kept
// apart from the widgets (it is tested without a window). The session:
//
//	idle → connecting     a start (Go Live, a destination's Start, Start Recording): actBegin
//	connecting → live     wentLive: each output asked for meanwhile gets its step
//	connecting|live → ending   stopping the last output (actEnd)
//	any → idle            finish (the session ended, or failed to start)
//
// While live, each destination and the recording start and stop on their
// own (actAddDest, actCancelAdd, actRemoveDest, actStartRec, actStopRec);
// Go Live starts every destination that is off, End Stream stops every
// destination; when no output is left the session ends. It owns the
// session's cancel function. The window's UI goroutine alone uses it; the
// widgets follow it.
type studioState struct {
	phase studioPhase
	dests []destRun // in the rows' order
	rec   outPhase  // the recording
	ctx   context.Context
	stop  context.CancelFunc // ends the running session; nil when there is none to end
}

// addDest adds a destination row (off).
func (st *studioState) addDest(id int) { st.dests = append(st.dests, destRun{id: id}) }

// removeDest removes a destination row; only one that is off.
func (st *studioState) removeDest(id int) bool {
	i := st.index(id)
	if i < 0 || st.dests[i].out != outOff {
		return false
	}
	st.dests = slices.Delete(st.dests, i, i+1)
	return true
}

func (st *studioState) index(id int) int {
	return slices.IndexFunc(st.dests, func(d destRun) bool { return d.id == id })
}

// dest is destination id's run; nil when there is no such row.
func (st *studioState) dest(id int) *destRun {
	if i := st.index(id); i >= 0 {
		return &st.dests[i]
	}
	return nil
}

// byEngine is the row of the broadcast's destination engineID; nil when
// none.
func (st *studioState) byEngine(engineID int) *destRun {
	for i := range st.dests {
		if engineID != 0 && st.dests[i].engineID == engineID {
			return &st.dests[i]
		}
	}
	return nil
}

// streaming says a destination is wanted (starting or live).
func (st *studioState) streaming() bool {
	return slices.ContainsFunc(st.dests, func(d destRun) bool { return d.out.active() })
}

// pressLive is Go Live / End Stream: with a destination wanted it stops
// every destination, otherwise it starts every destination that is off
// and startable (nil: all; the window leaves out those with no URL).
func (st *studioState) pressLive(startable func(id int) bool) []studioStep {
	var ids []int
	stop := st.streaming()
	for _, d := range st.dests {
		if (stop && d.out.active()) || (!stop && d.out == outOff && (startable == nil || startable(d.id))) {
			ids = append(ids, d.id)
		}
	}
	if stop {
		return st.stopOutputs(ids, false)
	}
	return st.start(ids, false)
}

// pressDest is a destination's own Start / Stop.
func (st *studioState) pressDest(id int) []studioStep {
	d := st.dest(id)
	switch {
	case d == nil:
		return nil
	case d.out == outOff:
		return st.start([]int{id}, false)
	case d.out.active():
		return st.stopOutputs([]int{id}, false)
	}
	return nil
}

// pressRecord is Start Recording / Stop Recording.
func (st *studioState) pressRecord() []studioStep {
	switch {
	case st.rec == outOff:
		return st.start(nil, true)
	case st.rec.active():
		return st.stopOutputs(nil, true)
	}
	return nil
}

// start asks for the destinations ids (those off) and the recording
// (rec): idle, it begins the session; connecting, they wait for
// wentLive; live, each gets its step. Nothing while the session ends.
func (st *studioState) start(ids []int, rec bool) []studioStep {
	if st.phase == phaseEnding || (len(ids) == 0 && !rec) {
		return nil
	}
	var steps []studioStep
	if st.phase == phaseIdle {
		st.begin()
		steps = append(steps, studioStep{act: actBegin})
	}
	live := st.phase == phaseLive
	for _, id := range ids {
		if d := st.dest(id); d != nil && d.out == outOff {
			d.out, d.failed = outStarting, ""
			if live {
				steps = append(steps, studioStep{act: actAddDest, dest: id})
			}
		}
	}
	if rec && st.rec == outOff {
		st.rec = outStarting
		if live {
			steps = append(steps, studioStep{act: actStartRec})
		}
	}
	return steps
}

// stopOutputs stops the destinations ids and the recording (rec); when
// no other output would be left, the session ends instead (actEnd).
func (st *studioState) stopOutputs(ids []int, rec bool) []studioStep {
	left := st.rec.active() && !rec
	for _, d := range st.dests {
		if d.out.active() && !slices.Contains(ids, d.id) {
			left = true
		}
	}
	if !left {
		if st.end() {
			return []studioStep{{act: actEnd}}
		}
		return nil
	}
	connecting := st.phase == phaseConnecting
	var steps []studioStep
	for _, id := range ids {
		d := st.dest(id)
		switch {
		case d == nil:
		case d.out == outStarting && connecting:
			d.out = outOff // it was never asked of the broadcast
		case d.out == outStarting:
			d.out = outStopping
			steps = append(steps, studioStep{act: actCancelAdd, dest: id})
		case d.out == outOn:
			d.out = outStopping
			steps = append(steps, studioStep{act: actRemoveDest, dest: id})
		}
	}
	if rec {
		switch {
		case st.rec == outStarting && connecting:
			st.rec = outOff
		case st.rec == outStarting:
			st.rec = outStopping // recStarted stops it once it has started
		case st.rec == outOn:
			st.rec = outStopping
			steps = append(steps, studioStep{act: actStopRec})
		}
	}
	return steps
}

// begin starts a session: a new context, phase connecting.
func (st *studioState) begin() {
	st.ctx, st.stop = context.WithCancel(context.Background())
	st.phase = phaseConnecting
}

// wentLive: the broadcast started; each output asked for meanwhile gets
// its step. A session already ending stays ending.
func (st *studioState) wentLive() []studioStep {
	if st.phase != phaseConnecting {
		return nil
	}
	st.phase = phaseLive
	var steps []studioStep
	for _, d := range st.dests {
		if d.out == outStarting {
			steps = append(steps, studioStep{act: actAddDest, dest: d.id})
		}
	}
	if st.rec == outStarting {
		steps = append(steps, studioStep{act: actStartRec})
	}
	return steps
}

// added is the result of actAddDest for destination id: engineID is its
// id in the broadcast, 0 when it failed (failure says why; "" when it
// was cancelled). One added after its Stop was pressed is removed at once
// (actRemoveDest).
func (st *studioState) added(id, engineID int, failure string) []studioStep {
	d := st.dest(id)
	if st.phase != phaseLive || d == nil || !d.out.active() && d.out != outStopping {
		return nil
	}
	switch {
	case engineID != 0 && d.out == outStarting:
		d.out, d.engineID = outOn, engineID
		return nil
	case engineID != 0:
		d.engineID = engineID
		return []studioStep{{act: actRemoveDest, dest: id}}
	case d.out == outStarting:
		d.failed = failure
	}
	d.out = outOff
	return st.endIfEmpty()
}

// removed is the result of actRemoveDest for destination id.
func (st *studioState) removed(id int) []studioStep {
	d := st.dest(id)
	if st.phase != phaseLive || d == nil {
		return nil
	}
	d.out, d.engineID = outOff, 0
	return st.endIfEmpty()
}

// recStarted is the result of actStartRec; one started after its Stop was
// pressed is stopped at once (actStopRec).
func (st *studioState) recStarted(ok bool) []studioStep {
	if st.phase != phaseLive || st.rec == outOff || st.rec == outOn {
		return nil
	}
	switch {
	case ok && st.rec == outStarting:
		st.rec = outOn
		return nil
	case ok:
		return []studioStep{{act: actStopRec}}
	}
	st.rec = outOff
	return st.endIfEmpty()
}

// recStopped is the result of actStopRec.
func (st *studioState) recStopped() []studioStep {
	if st.phase != phaseLive {
		return nil
	}
	st.rec = outOff
	return st.endIfEmpty()
}

// recFailed: the recording stopped by itself (a full disk); the session
// is asked to clear it (actStopRec), once.
func (st *studioState) recFailed() []studioStep {
	if st.phase != phaseLive || st.rec != outOn {
		return nil
	}
	st.rec = outStopping
	return []studioStep{{act: actStopRec}}
}

// endIfEmpty ends a running session that has no output left.
func (st *studioState) endIfEmpty() []studioStep {
	if st.phase != phaseLive || st.rec != outOff {
		return nil
	}
	for _, d := range st.dests {
		if d.out != outOff {
			return nil
		}
	}
	st.end()
	return []studioStep{{act: actEnd}}
}

// end cancels the session (connecting or live) and goes to ending; false
// when there is no session to end.
func (st *studioState) end() bool {
	if st.stop == nil {
		return false
	}
	st.stop()
	st.stop = nil
	st.phase = phaseEnding
	for i := range st.dests {
		if st.dests[i].out != outOff {
			st.dests[i].out = outStopping
		}
	}
	if st.rec != outOff {
		st.rec = outStopping
	}
	return true
}

// finish goes back to idle once the session is over, cancelling its
// context if it was not already. Why a destination failed stays.
func (st *studioState) finish() {
	if st.stop != nil {
		st.stop()
		st.stop = nil
	}
	st.phase, st.rec = phaseIdle, outOff
	for i := range st.dests {
		st.dests[i].out, st.dests[i].engineID = outOff, 0
	}
}

// liveButtonText is what the Go Live / End Stream button says.
func (st *studioState) liveButtonText() string {
	switch {
	case st.streaming():
		return "End Stream"
	case slices.ContainsFunc(st.dests, func(d destRun) bool { return d.out == outStopping }):
		return "Ending…"
	}
	return "Go Live"
}

// destButtonText is what a destination's Start / Stop button says.
func destButtonText(o outPhase) string {
	switch o {
	case outStarting, outOn:
		return "Stop"
	case outStopping:
		return "Stopping…"
	}
	return "Start"
}

// recButtonText is what the Start / Stop Recording button says.
func (st *studioState) recButtonText() string {
	switch st.rec {
	case outStarting, outOn:
		return "Stop Recording"
	case outStopping:
		return "Stopping…"
	}
	return "Start Recording"
}

// canPress says whether an output's button does something now: not while
// it stops, nor while the session ends.
func (st *studioState) canPress(o outPhase) bool {
	return o != outStopping && st.phase != phaseEnding
}

// canPressLive says whether Go Live / End Stream does something now: a
// destination to stop, or one to start.
func (st *studioState) canPressLive() bool {
	if st.phase == phaseEnding {
		return false
	}
	return slices.ContainsFunc(st.dests, func(d destRun) bool { return d.out.active() || d.out == outOff })
}
