package app

import (
	"testing"
	"time"

	"onair/app/engine"
	"onair/publish"
)

func TestDestHealth(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		in   healthIn
		want health
	}{
		{"off", healthIn{State: "off"}, healthOff},
		{"connecting", healthIn{State: "connecting"}, healthOff},
		{"stopped", healthIn{State: "stopped", Dropping: true}, healthOff},
		{"live, short queue", healthIn{State: "live", Queue: 40 * ms}, healthOK},
		{"live, queue just under", healthIn{State: "live", Queue: 199 * ms}, healthOK},
		{"live, queue at the limit", healthIn{State: "live", Queue: 200 * ms}, healthAdapting},
		{"live, target lowered", healthIn{State: "live", Target: 1_800_000, Configured: 2_500_000}, healthAdapting},
		{"live, target at the configured", healthIn{State: "live", Target: 2_500_000, Configured: 2_500_000}, healthOK},
		{"live, no target known", healthIn{State: "live", Configured: 2_500_000}, healthOK},
		{"live, dropping", healthIn{State: "live", Queue: 10 * ms, Dropping: true}, healthBad},
		{"live, dropping and adapting", healthIn{State: "live", Dropping: true, Target: 1, Configured: 2}, healthBad},
		{"reconnecting", healthIn{State: "reconnecting"}, healthBad},
		{"failed", healthIn{State: stateFailed}, healthBad},
	} {
		if got := destHealth(c.in); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for h, w := range map[health]string{healthOff: "off", healthOK: "ok", healthAdapting: "adapting", healthBad: "bad"} {
		if h.String() != w {
			t.Errorf("%d says %q, want %q", h, h.String(), w)
		}
	}
}

// TestHealthWatch: a rise of a destination's drops keeps it red for
// healthHold on the samples' clock; drops it came with count as a rise;
// a removed destination is forgotten.
func TestHealthWatch(t *testing.T) {
	live := func(id int, dropped int64) engine.Output {
		return engine.Output{ID: id, Stats: publish.Stats{State: publish.StateLive, Dropped: dropped}}
	}
	w := healthWatch{Configured: 2_500_000}
	type check struct {
		at   time.Duration
		outs []engine.Output
		want []health
	}
	s := time.Second
	for i, c := range []check{
		{1 * s, []engine.Output{live(1, 0), live(2, 3)}, []health{healthOK, healthBad}},
		{2 * s, []engine.Output{live(1, 0), live(2, 3)}, []health{healthOK, healthBad}},
		{6 * s, []engine.Output{live(1, 0), live(2, 3)}, []health{healthOK, healthOK}}, // 5 s after
		{7 * s, []engine.Output{live(1, 4), live(2, 3)}, []health{healthBad, healthOK}},
		{11 * s, []engine.Output{live(1, 4), live(2, 3)}, []health{healthBad, healthOK}},
		{12 * s, []engine.Output{live(1, 4)}, []health{healthOK}},
		{13 * s, []engine.Output{live(1, 4), live(2, 3)}, []health{healthOK, healthBad}}, // id 2 is new again
	} {
		w.observe(c.outs, c.at)
		for j, o := range c.outs {
			if got := w.health(o, c.at, 0); got != c.want[j] {
				t.Errorf("check %d, output %d: %v, want %v", i, o.ID, got, c.want[j])
			}
		}
	}
	if w.health(live(1, 4), 13*s, 2_000_000) != healthAdapting {
		t.Error("a target below the configured bitrate is not adapting")
	}
}
