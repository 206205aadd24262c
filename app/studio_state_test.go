package app

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// stepsText is steps as "add1 remove2", "begin", "" (none).
func stepsText(steps []studioStep) string {
	var out []string
	for _, s := range steps {
		t := s.act.String()
		switch s.act {
		case actAddDest, actCancelAdd, actRemoveDest:
			t += strconv.Itoa(s.dest)
		}
		out = append(out, t)
	}
	return strings.Join(out, " ")
}

// destsText is the destinations' phases in row order: "on off".
func destsText(st *studioState) string {
	var out []string
	for _, d := range st.dests {
		out = append(out, d.out.String())
	}
	return strings.Join(out, " ")
}

// TestStudioState drives the state machine with two destinations (rows 1
// and 2) and the recording, as the window's buttons and the session's
// results do.
func TestStudioState(t *testing.T) {
	type step struct {
		// do: live (Go Live / End Stream), dest1, dest2 (a row's Start /
		// Stop), rec; the results wentLive, added1, added2 (engine ids 11,
		// 12), failed1, failed2, cancelled1, removed1, removed2,
		// recStarted, recFailedStart, recStopped, recFailed; finish.
		do    string
		steps string
		phase studioPhase
		dests string
		rec   outPhase
	}
	I, C, L, E := phaseIdle, phaseConnecting, phaseLive, phaseEnding
	off, starting, on, stopping := outOff, outStarting, outOn, outStopping
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"go live to both and end", []step{
			{"live", "begin", C, "starting starting", off},
			{"wentLive", "add1 add2", L, "starting starting", off},
			{"added1", "", L, "on starting", off},
			{"added2", "", L, "on on", off},
			{"live", "end", E, "stopping stopping", off},
			{"live", "", E, "stopping stopping", off},
			{"finish", "", I, "off off", off},
		}},
		{"start one, the other stays off, then start it too", []step{
			{"dest1", "begin", C, "starting off", off},
			{"wentLive", "add1", L, "starting off", off},
			{"added1", "", L, "on off", off},
			{"dest2", "add2", L, "on starting", off},
			{"added2", "", L, "on on", off},
			{"dest1", "remove1", L, "stopping on", off}, // the other goes on
			{"removed1", "", L, "off on", off},
			{"dest2", "end", E, "off stopping", off}, // the last one ends the session
			{"finish", "", I, "off off", off},
		}},
		{"Go Live starts only those off", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"dest2", "add2", L, "off starting", on},
			{"added2", "", L, "off on", on},
			{"live", "remove2", L, "off stopping", on},   // End Stream: the recording goes on
			{"live", "add1", L, "starting stopping", on}, // nothing wanted now: Go Live starts the one off
			{"removed2", "", L, "starting off", on},
			{"added1", "", L, "on off", on},
			{"live", "remove1", L, "stopping off", on},
		}},
		{"End Stream with one destination ends the session", []step{
			{"dest2", "begin", C, "off starting", off},
			{"wentLive", "add2", L, "off starting", off},
			{"added2", "", L, "off on", off},
			{"live", "end", E, "off stopping", off},
		}},
		{"one fails, the other goes on", []step{
			{"live", "begin", C, "starting starting", off},
			{"wentLive", "add1 add2", L, "starting starting", off},
			{"failed2", "", L, "starting off", off},
			{"added1", "", L, "on off", off},
			{"dest2", "add2", L, "on starting", off}, // try again
			{"failed2", "", L, "on off", off},
		}},
		{"both fail: the session ends", []step{
			{"live", "begin", C, "starting starting", off},
			{"wentLive", "add1 add2", L, "starting starting", off},
			{"failed1", "", L, "off starting", off},
			{"failed2", "end", E, "off off", off},
			{"finish", "", I, "off off", off},
		}},
		{"the broadcast fails to start", []step{
			{"live", "begin", C, "starting starting", off},
			{"finish", "", I, "off off", off},
		}},
		{"changes while connecting wait for it", []step{
			{"dest1", "begin", C, "starting off", off},
			{"dest2", "", C, "starting starting", off},
			{"rec", "", C, "starting starting", starting},
			{"dest1", "", C, "off starting", starting}, // never asked of the broadcast
			{"wentLive", "add2 startRec", L, "off starting", starting},
		}},
		{"stopped while connecting", []step{
			{"live", "begin", C, "starting starting", off},
			{"live", "end", E, "stopping stopping", off},
			{"wentLive", "", E, "stopping stopping", off}, // it went live as it was stopped
			{"dest1", "", E, "stopping stopping", off},
			{"rec", "", E, "stopping stopping", off},
			{"finish", "", I, "off off", off},
		}},
		{"record only", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"rec", "end", E, "off off", stopping},
			{"finish", "", I, "off off", off},
		}},
		{"record, go live, end the stream, stop recording", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"live", "add1 add2", L, "starting starting", on},
			{"added1", "", L, "on starting", on},
			{"added2", "", L, "on on", on},
			{"live", "remove1 remove2", L, "stopping stopping", on},
			{"removed1", "", L, "off stopping", on},
			{"removed2", "", L, "off off", on},
			{"rec", "end", E, "off off", stopping},
		}},
		{"live, record, stop recording, end the stream", []step{
			{"dest1", "begin", C, "starting off", off},
			{"wentLive", "add1", L, "starting off", off},
			{"added1", "", L, "on off", off},
			{"rec", "startRec", L, "on off", starting},
			{"recStarted", "", L, "on off", on},
			{"rec", "stopRec", L, "on off", stopping},
			{"rec", "", L, "on off", stopping},
			{"recStopped", "", L, "on off", off},
			{"live", "end", E, "stopping off", off},
		}},
		{"recording fails, the stream goes on", []step{
			{"dest1", "begin", C, "starting off", off},
			{"wentLive", "add1", L, "starting off", off},
			{"added1", "", L, "on off", off},
			{"rec", "startRec", L, "on off", starting},
			{"recFailedStart", "", L, "on off", off},
			{"rec", "startRec", L, "on off", starting},
			{"recStarted", "", L, "on off", on},
			{"recFailed", "stopRec", L, "on off", stopping},
			{"recFailed", "", L, "on off", stopping},
			{"recStopped", "", L, "on off", off},
		}},
		{"record only: the recording fails, the session ends", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"recFailed", "stopRec", L, "off off", stopping},
			{"recStopped", "end", E, "off off", off},
		}},
		{"record only: the file cannot be made", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recFailedStart", "end", E, "off off", off},
		}},
		{"stop recording while it starts", []step{
			{"dest1", "begin", C, "starting off", off},
			{"wentLive", "add1", L, "starting off", off},
			{"added1", "", L, "on off", off},
			{"rec", "startRec", L, "on off", starting},
			{"rec", "", L, "on off", stopping},
			{"recStarted", "stopRec", L, "on off", stopping},
			{"recStopped", "", L, "on off", off},
		}},
		{"stop a destination while it connects", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"dest1", "add1", L, "starting off", on},
			{"dest1", "cancelAdd1", L, "stopping off", on},
			{"cancelled1", "", L, "off off", on},
			{"dest1", "add1", L, "starting off", on},
			{"dest1", "cancelAdd1", L, "stopping off", on},
			{"added1", "remove1", L, "stopping off", on}, // connected just before the cancel
			{"removed1", "", L, "off off", on},
		}},
		{"going live fails while the recording stops", []step{
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
			{"recStarted", "", L, "off off", on},
			{"dest1", "add1", L, "starting off", on},
			{"rec", "stopRec", L, "starting off", stopping},
			{"recStopped", "", L, "starting off", off},
			{"failed1", "end", E, "off off", off},
		}},
		{"again after the end", []step{
			{"live", "begin", C, "starting starting", off},
			{"finish", "", I, "off off", off},
			{"rec", "begin", C, "off off", starting},
			{"wentLive", "startRec", L, "off off", starting},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var st studioState
			st.addDest(1)
			st.addDest(2)
			for i, s := range c.steps {
				ctx := st.ctx
				var steps []studioStep
				row := func() int { n, _ := strconv.Atoi(s.do[len(s.do)-1:]); return n }
				switch {
				case s.do == "live":
					steps = st.pressLive(nil)
				case strings.HasPrefix(s.do, "dest"):
					steps = st.pressDest(row())
				case s.do == "rec":
					steps = st.pressRecord()
				case s.do == "wentLive":
					steps = st.wentLive()
				case strings.HasPrefix(s.do, "added"):
					steps = st.added(row(), 10+row(), "")
				case strings.HasPrefix(s.do, "failed"):
					steps = st.added(row(), 0, "connection refused")
				case strings.HasPrefix(s.do, "cancelled"):
					steps = st.added(row(), 0, "")
				case strings.HasPrefix(s.do, "removed"):
					steps = st.removed(row())
				case s.do == "recStarted":
					steps = st.recStarted(true)
				case s.do == "recFailedStart":
					steps = st.recStarted(false)
				case s.do == "recStopped":
					steps = st.recStopped()
				case s.do == "recFailed":
					steps = st.recFailed()
				case s.do == "finish":
					st.finish()
				default:
					t.Fatalf("step %d: %q", i, s.do)
				}
				got := stepsText(steps)
				if got != s.steps || st.phase != s.phase || destsText(&st) != s.dests || st.rec != s.rec {
					t.Fatalf("step %d %s: steps %q, phase %v, dests %q, rec %v; want %q, %v, %q, %v",
						i, s.do, got, st.phase, destsText(&st), st.rec, s.steps, s.phase, s.dests, s.rec)
				}
				switch {
				case got == "begin" && (st.ctx == nil || st.ctx.Err() != nil):
					t.Fatalf("step %d: begin without a live context", i)
				case got == "end" && ctx.Err() == nil:
					t.Fatalf("step %d: the session's context is not cancelled", i)
				}
			}
		})
	}
}

// TestStudioStateRows: rows come and go only while off; a failure is
// kept until the next start; engine ids map back to rows.
func TestStudioStateRows(t *testing.T) {
	var st studioState
	st.addDest(1)
	st.addDest(2)
	if st.canPressLive() != true || st.liveButtonText() != "Go Live" {
		t.Fatal("Go Live not offered with two rows")
	}
	st.pressDest(1)
	st.wentLive()
	st.added(1, 7, "")
	if st.removeDest(1) {
		t.Error("a live row was removed")
	}
	if st.byEngine(7) != st.dest(1) || st.byEngine(0) != nil || st.byEngine(8) != nil {
		t.Error("engine ids do not map to their rows")
	}
	st.pressDest(2)
	st.added(2, 0, "connection refused")
	if d := st.dest(2); d.failed != "connection refused" || d.out != outOff {
		t.Errorf("failed row: %+v", *d)
	}
	if !st.removeDest(2) || st.dest(2) != nil || len(st.dests) != 1 {
		t.Error("an off row was not removed")
	}
	st.addDest(3)
	st.pressDest(3)
	if st.dest(3).out != outStarting || st.liveButtonText() != "End Stream" {
		t.Errorf("a row added while live: %+v, button %q", *st.dest(3), st.liveButtonText())
	}
	st.end()
	if st.canPressLive() || st.canPress(outOff) {
		t.Error("buttons offered while the session ends")
	}
	st.finish()
	var empty studioState
	if empty.canPressLive() {
		t.Error("Go Live offered with no destination")
	}
}

func TestButtonTexts(t *testing.T) {
	for _, c := range []struct {
		o              outPhase
		live, dest, re string
	}{
		{outOff, "Go Live", "Start", "Start Recording"},
		{outStarting, "End Stream", "Stop", "Stop Recording"},
		{outOn, "End Stream", "Stop", "Stop Recording"},
		{outStopping, "Ending…", "Stopping…", "Stopping…"},
	} {
		t.Run(fmt.Sprint(c.o), func(t *testing.T) {
			st := studioState{dests: []destRun{{id: 1, out: c.o}, {id: 2}}, rec: c.o}
			if got := st.liveButtonText(); got != c.live {
				t.Errorf("live button %q, want %q", got, c.live)
			}
			if got := destButtonText(c.o); got != c.dest {
				t.Errorf("destination button %q, want %q", got, c.dest)
			}
			if got := st.recButtonText(); got != c.re {
				t.Errorf("record button %q, want %q", got, c.re)
			}
		})
	}
}
