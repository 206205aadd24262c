package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"onair/app/engine"
	"onair/publish"
)

// TestRatesRecording: the recording object is there only while recording,
// with the spec's keys and units; counters that restart (the first output
// changed) give 0, not a huge rate.
func TestRatesRecording(t *testing.T) {
	prev := engine.Sample{At: time.Second, FramesSent: 100, VideoBytes: 1_000_000,
		Outputs: []engine.Output{{ID: 1, Stats: publish.Stats{VideoBytes: 1_000_000}}, {ID: 2, Stats: publish.Stats{VideoBytes: 5000}}}}
	cur := engine.Sample{At: 2 * time.Second, FramesSent: 30, VideoBytes: 300_000, State: "live",
		Outputs:   []engine.Output{{ID: 2, Stats: publish.Stats{VideoBytes: 305_000}}, {ID: 3, Stats: publish.Stats{VideoBytes: 1000}}},
		Recording: &engine.RecordingStats{Path: "/v/a.mp4", Bytes: 1_234_567, Duration: 61500 * time.Millisecond}}
	l := rates(prev, cur, false, nil)
	if l.FPSOut != 0 || l.VideoKbps != 0 {
		t.Errorf("rates over a restart: %v fps, %v kb/s; want 0", l.FPSOut, l.VideoKbps)
	}
	if len(l.Outputs) != 2 || l.Outputs[0].VideoKbps != 2400 || l.Outputs[1].VideoKbps != 8 {
		t.Errorf("outputs %+v: want 2400 and 8 kb/s (matched by id)", l.Outputs)
	}
	b, _ := json.Marshal(l)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	rec, _ := m["recording"].(map[string]any)
	if rec["path"] != "/v/a.mp4" || rec["bytes"] != float64(1_234_567) || rec["seconds"] != 61.5 || rec["error"] != nil {
		t.Errorf("recording %s", b)
	}
	var human bytes.Buffer
	writeHumanLine(&human, l)
	if !strings.Contains(human.String(), "rec 1:02 1.2 MB") {
		t.Errorf("human line %q", human.String())
	}

	cur.Recording.Err = errors.New("no space left on device")
	if b, _ := json.Marshal(rates(prev, cur, false, nil)); !strings.Contains(string(b), `"error":"no space left on device"`) {
		t.Errorf("failed recording: %s", b)
	}
	cur.Recording = nil
	if b, _ := json.Marshal(rates(prev, cur, false, nil)); strings.Contains(string(b), "recording") {
		t.Errorf("not recording: %s", b)
	}
}

// TestRatesOutputsHealth: with several destinations each has its id,
// queue and health in the JSON line and a bracket in the human line.
func TestRatesOutputsHealth(t *testing.T) {
	out := func(id int, st publish.State, video uint64, dropped, reconnects int64, queue time.Duration) engine.Output {
		return engine.Output{ID: id, Stats: publish.Stats{State: st, URL: fmt.Sprintf("rtmp://h%d/app/****", id),
			VideoBytes: video, Dropped: dropped, Reconnects: reconnects, QueueSpan: queue}}
	}
	prev := engine.Sample{At: time.Second, Outputs: []engine.Output{
		out(1, publish.StateLive, 0, 0, 0, 0), out(2, publish.StateLive, 0, 0, 0, 0), out(3, publish.StateLive, 0, 2, 0, 0)}}
	cur := engine.Sample{At: 2 * time.Second, State: "reconnecting", Outputs: []engine.Output{
		out(1, publish.StateLive, 310_000, 0, 0, 40*time.Millisecond),
		out(2, publish.StateReconnecting, 0, 0, 3, 0),
		out(3, publish.StateLive, 300_000, 5, 0, 250*time.Millisecond)}}
	hw := &healthWatch{Configured: 2_500_000}
	hw.observe(prev.Outputs, prev.At)
	l := rates(prev, cur, false, hw)
	b, _ := json.Marshal(l)
	var m struct {
		Outputs []map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"id": 1.0, "state": "live", "health": "ok", "video_kbps": 2480.0, "queue_ms": 40.0, "dropped": 0.0, "reconnects": 0.0, "url": "rtmp://h1/app/****"},
		{"id": 2.0, "state": "reconnecting", "health": "bad", "video_kbps": 0.0, "queue_ms": 0.0, "dropped": 0.0, "reconnects": 3.0, "url": "rtmp://h2/app/****"},
		{"id": 3.0, "state": "live", "health": "bad", "video_kbps": 2400.0, "queue_ms": 250.0, "dropped": 5.0, "reconnects": 0.0, "url": "rtmp://h3/app/****"},
	}
	if fmt.Sprint(m.Outputs) != fmt.Sprint(want) {
		t.Errorf("outputs\n%v\nwant\n%v", m.Outputs, want)
	}
	var human bytes.Buffer
	writeHumanLine(&human, l)
	for _, s := range []string{"  [1 live ok 2480 kb/s q 40ms]", "  [2 reconnecting bad 0 kb/s q 0ms r3]", "  [3 live bad 2400 kb/s q 250ms net 5]"} {
		if !strings.Contains(human.String(), s) {
			t.Errorf("human line %q lacks %q", human.String(), s)
		}
	}
	// Five seconds on without new drops: the third is only adapting (its queue).
	later := cur
	later.At = 7 * time.Second
	if h := rates(cur, later, false, hw).Outputs[2].Health; h != "adapting" {
		t.Errorf("5 s after the drops: %s, want adapting", h)
	}
	// One destination: no outputs list, no brackets.
	one := engine.Sample{At: 2 * time.Second, Outputs: cur.Outputs[:1]}
	human.Reset()
	writeHumanLine(&human, rates(prev, one, false, nil))
	if strings.Contains(human.String(), "[") {
		t.Errorf("one destination: %q", human.String())
	}
}
