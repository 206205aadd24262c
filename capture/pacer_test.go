package capture

import (
	"context"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	const period = 20 * time.Millisecond
	start := time.Now()
	p := newPacer(start, float64(period))
	defer p.stop()
	ctx := context.Background()
	due := func(n int64) time.Time { return start.Add(time.Duration(n) * period) }
	// Every slot is returned once due and before the next one is: the
	// latest due slot, never an older one, so no bursts. (On a loaded
	// machine a wake-up may come late and skip; that is allowed.)
	check := func(what string, last, slot, skipped int64, now time.Time) {
		t.Helper()
		if slot != last+1+skipped {
			t.Fatalf("%s: slot %d with %d skipped after slot %d", what, slot, skipped, last)
		}
		if now.Before(due(slot)) || !now.Before(due(slot+1)) {
			t.Fatalf("%s: slot %d returned at %v, due %v..%v", what, slot,
				now.Sub(start), due(slot).Sub(start), due(slot+1).Sub(start))
		}
	}
	last := int64(-1)
	for i := 0; i < 5; i++ {
		slot, skipped, now, ok := p.wait(ctx)
		if !ok {
			t.Fatal("wait failed")
		}
		check("steady", last, slot, skipped, now)
		last = slot
	}
	// Fall behind by 4.5 periods: the missed slots are skipped.
	time.Sleep(period/2 + 4*period)
	slot, skipped, now, _ := p.wait(ctx)
	if skipped < 3 {
		t.Fatalf("after a stall of 4.5 periods: %d skipped, want 3 or more", skipped)
	}
	check("after stall", last, slot, skipped, now)
	last = slot
	slot, skipped, now, _ = p.wait(ctx)
	check("after skip", last, slot, skipped, now)
}

func TestPacerCancel(t *testing.T) {
	p := newPacer(time.Now().Add(time.Hour), float64(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(10 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	if _, _, _, ok := p.wait(ctx); ok {
		t.Fatal("wait succeeded after cancel")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("wait took %v to see the cancel", d)
	}
	// Already cancelled, slot due: still stops.
	p = newPacer(time.Now().Add(-time.Hour), float64(time.Second))
	if _, _, _, ok := p.wait(ctx); ok {
		t.Fatal("wait succeeded with a cancelled context")
	}
}
