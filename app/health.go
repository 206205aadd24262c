package app

import (
	"time"

	"onair/app/engine"
	"onair/publish"
)

// A destination's stream health: the Studio's light beside each
// destination, the word in `onair live`'s line and `health` in its
// --stats-json outputs. One rule for all three (destHealth), fed by one
// sample and what a healthWatch remembers between samples.

// health is a destination's health light.
type health int

const (
	healthOff      health = iota // grey: not sending (off, connecting, stopped)
	healthOK                     // green: live, less than healthQueue waiting
	healthAdapting               // yellow: the bitrate target is below the configured bitrate, or healthQueue or more waits
	healthBad                    // red: reconnecting, dropping, or the connection failed
)

// String is the word in the stats lines: off, ok, adapting, bad.
func (h health) String() string {
	switch h {
	case healthOK:
		return "ok"
	case healthAdapting:
		return "adapting"
	case healthBad:
		return "bad"
	}
	return "off"
}

const (
	// healthQueue is how much media may wait for a destination (its
	// send queue; with dynamic bitrate also the kernel's unsent bytes,
	// publish.Stats.QueueSpan) before its light turns yellow.
	healthQueue = 200 * time.Millisecond
	// healthHold is how long a rise of a destination's network drops keeps
	// its light red.
	healthHold = 5 * time.Second
	// stateFailed is the Studio's state for a destination whose connection
	// failed (publish.Start's error): it is no longer in the broadcast.
	stateFailed = "failed"
)

// healthIn is what destHealth decides on.
type healthIn struct {
	// State is publish.State's word (connecting, live, reconnecting,
	// stopped), "off" for a destination not started, or stateFailed.
	State string
	// Queue is the media waiting to be sent (publish.Stats.QueueSpan).
	Queue time.Duration
	// Dropping says the destination's network drops rose within
	// healthHold.
	Dropping bool
	// Target is the video encoder's bitrate target and Configured the
	// bitrate the streamer chose, in bits per second; Target 0 means
	// Configured (no dynamic bitrate).
	Target, Configured int
}

// destHealth is the rule: red when reconnecting, failed or dropping;
// yellow when live but adapting (a target below the configured bitrate)
// or with healthQueue or more waiting; green when live otherwise; grey
// when not sending.
func destHealth(in healthIn) health {
	switch in.State {
	case publish.StateReconnecting.String(), stateFailed:
		return healthBad
	case publish.StateLive.String():
	default:
		return healthOff
	}
	switch {
	case in.Dropping:
		return healthBad
	case in.Target > 0 && in.Configured > 0 && in.Target < in.Configured, in.Queue >= healthQueue:
		return healthAdapting
	}
	return healthOK
}

// healthWatch is what destination health needs beyond one sample: the
// configured video bitrate and when each destination's network drops
// last rose, on the samples' clock (engine.Sample.At). The zero value
// works (every target counts as the configured bitrate). One goroutine
// uses it.
type healthWatch struct {
	// Configured is the video bitrate the streamer chose (bits/s).
	Configured int
	seen       map[int]dropSeen
}

// dropSeen is one destination's drops when last seen, and when they last
// rose (rose false: never).
type dropSeen struct {
	dropped int64
	roseAt  time.Duration
	rose    bool
}

// observe notes the outputs' drops at time at and forgets the outputs no
// longer there.
func (w *healthWatch) observe(outs []engine.Output, at time.Duration) {
	next := make(map[int]dropSeen, len(outs))
	for _, o := range outs {
		d, ok := w.seen[o.ID]
		if (ok && o.Dropped > d.dropped) || (!ok && o.Dropped > 0) {
			d.roseAt, d.rose = at, true
		}
		d.dropped = o.Dropped
		next[o.ID] = d
	}
	w.seen = next
}

// dropping says whether output id's drops rose within healthHold of at
// (after observe).
func (w *healthWatch) dropping(id int, at time.Duration) bool {
	d, ok := w.seen[id]
	return ok && d.rose && at-d.roseAt < healthHold
}

// health is output o's health at time at (after observe), with the
// encoder's bitrate target (0: the configured bitrate).
func (w *healthWatch) health(o engine.Output, at time.Duration, target int) health {
	return destHealth(healthIn{
		State: o.State.String(), Queue: o.QueueSpan, Dropping: w.dropping(o.ID, at),
		Target: target, Configured: w.Configured,
	})
}
