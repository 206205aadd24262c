package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := Limiter{Every: time.Second, Now: func() time.Time { return now }}
	steps := []struct {
		advance time.Duration
		ok      bool
		n       int64
	}{
		{0, true, 1},                       // the first always goes through
		{100 * time.Millisecond, false, 0}, // held
		{800 * time.Millisecond, false, 0}, // held
		{100 * time.Millisecond, true, 3},  // a second since the line: it and the two held
		{999 * time.Millisecond, false, 0}, // just short
		{5 * time.Second, true, 2},         // long after
		{time.Second, true, 1},             // exactly Every later
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, n := l.Allow()
		if ok != s.ok || n != s.n {
			t.Fatalf("step %d: Allow() = %v, %d; want %v, %d", i, ok, n, s.ok, s.n)
		}
	}
}

func TestLimiterZeroValue(t *testing.T) {
	var l Limiter
	if ok, n := l.Allow(); !ok || n != 1 {
		t.Fatalf("first Allow() = %v, %d; want true, 1", ok, n)
	}
	if ok, _ := l.Allow(); ok {
		t.Fatal("second Allow() right after the first went through; want held for DefaultEvery")
	}
}

func TestWarn(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	now := time.Unix(0, 0)
	l := Limiter{Every: time.Second, Now: func() time.Time { return now }}
	l.Warn(log, "queue full", "queue", "video")
	l.Warn(log, "queue full", "queue", "video")
	now = now.Add(2 * time.Second)
	l.Warn(log, "queue full", "queue", "video")
	l.Warn(nil, "no logger") // must not panic
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	if strings.Contains(lines[0], "occurrences") {
		t.Errorf("first line counts occurrences: %s", lines[0])
	}
	if !strings.Contains(lines[1], "occurrences=2") || !strings.Contains(lines[1], "queue=video") {
		t.Errorf("second line = %s, want queue=video occurrences=2", lines[1])
	}
}
