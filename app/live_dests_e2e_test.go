package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"onair/publish/loopback"
)

// TestLiveSeveralDestinations: `onair live` to two loopback servers; each
// destination's health is in the stats-json outputs and in the human
// line; when one server goes away that destination turns bad
// (reconnecting) and the other stays ok.
func TestLiveSeveralDestinations(t *testing.T) {
	start := func() *loopback.Server {
		srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	one, two := start(), start()
	args := []string{"--to", "rtmp://" + one.RTMPAddr() + "/live/a", "--to", "rtmp://" + two.RTMPAddr() + "/live/b",
		"--size", "320x240", "--fps", "25", "--preset", "ultrafast", "--keyint", "1s"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The human line: a bracket per destination.
	hctx, hstop := context.WithCancel(ctx)
	_, stderr, code := runLiveAsync(hctx, args...)
	waitFor(t, 15*time.Second, "no human line with both destinations ok", func() bool {
		s := stderr.String()
		return strings.Contains(s, "  [1 live ok ") && strings.Contains(s, "  [2 live ok ")
	})
	hstop()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}

	// The JSON lines; then the second server goes away.
	jctx, jstop := context.WithCancel(ctx)
	defer jstop()
	stdout, stderr, code := runLiveAsync(jctx, append(args, "--stats-json")...)
	type output struct {
		ID         int      `json:"id"`
		State      string   `json:"state"`
		Health     string   `json:"health"`
		VideoKbps  float64  `json:"video_kbps"`
		QueueMs    *float64 `json:"queue_ms"`
		Reconnects int64    `json:"reconnects"`
	}
	last := func() []output {
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		var l struct{ Outputs []output }
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &l); err != nil {
			return nil
		}
		return l.Outputs
	}
	var outs []output
	waitFor(t, 15*time.Second, "no JSON line with both destinations ok and sending", func() bool {
		outs = last()
		return len(outs) == 2 && outs[0].Health == "ok" && outs[1].Health == "ok" && outs[0].VideoKbps > 0 && outs[1].VideoKbps > 0
	})
	if outs[0].ID != 1 || outs[1].ID != 2 || outs[0].QueueMs == nil {
		t.Errorf("outputs %+v: want ids 1 and 2 and queue_ms", outs)
	}
	two.Close()
	waitFor(t, 15*time.Second, "the second destination never turned bad", func() bool {
		outs = last()
		return len(outs) == 2 && outs[1].State == "reconnecting" && outs[1].Health == "bad"
	})
	if outs[0].Health != "ok" || outs[0].State != "live" {
		t.Errorf("the first destination: %+v while the second reconnects", outs[0])
	}
	jstop()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
}
