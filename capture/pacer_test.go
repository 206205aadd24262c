package capture

import (
	"context"
	"testing"
	"time"

	"onair/internal/fakeclock"
)

// fakePacer is a pacer on the fake clock clk.
func fakePacer(clk *fakeclock.Clock, origin time.Time, periodNS float64) *pacer {
	p := newPacer(origin, periodNS)
	p.now, p.after = clk.Now, clk.After
	return p
}

// TestPacer, on a fake clock that jumps to each wake-up: every slot is
// returned exactly when due, none skipped; after a stall of 4.5 periods
// exactly the 3 slots already past are skipped and the latest due one is
// returned at once; then the pace resumes on the grid.
func TestPacer(t *testing.T) {
	const period = 20 * time.Millisecond
	clk := fakeclock.NewAuto(fakeclock.Epoch())
	start := clk.Now()
	p := fakePacer(clk, start, float64(period))
	defer p.stop()
	ctx := context.Background()
	due := func(n int64) time.Time { return start.Add(time.Duration(n) * period) }
	check := func(what string, wantSlot, wantSkipped int64, wantAt time.Time) {
		t.Helper()
		slot, skipped, now, ok := p.wait(ctx)
		if !ok {
			t.Fatalf("%s: wait failed", what)
		}
		if slot != wantSlot || skipped != wantSkipped || !now.Equal(wantAt) {
			t.Fatalf("%s: slot %d, %d skipped, at %v; want slot %d, %d skipped, at %v", what,
				slot, skipped, now.Sub(start), wantSlot, wantSkipped, wantAt.Sub(start))
		}
	}
	for n := int64(0); n < 5; n++ {
		check("steady", n, 0, due(n))
	}
	// Fall behind by 4.5 periods: now is 8.5 periods in, slot 5 is next;
	// slots 5, 6, 7 are past and skipped, 8 is produced at once.
	clk.Advance(period/2 + 4*period)
	check("after stall", 8, 3, due(8).Add(period/2))
	check("after skip", 9, 0, due(9))
	if p.timer != nil {
		t.Error("the pacer made a real timer on a fake clock")
	}
}

// TestPacerNoDrift: a period that is not a whole number of nanoseconds
// (29.97 fps) keeps every slot on origin + n·period, rounded, over an hour
// of slots, without a slot skipped for rounding.
func TestPacerNoDrift(t *testing.T) {
	const fps = 30000.0 / 1001
	period := float64(time.Second) / fps
	clk := fakeclock.NewAuto(fakeclock.Epoch())
	start := clk.Now()
	p := fakePacer(clk, start, period)
	ctx := context.Background()
	const slots = 3600 * 30000 / 1001
	for n := int64(0); n < slots; n++ {
		slot, skipped, now, ok := p.wait(ctx)
		if !ok || slot != n || skipped != 0 {
			t.Fatalf("slot %d: got slot %d, %d skipped, ok %v", n, slot, skipped, ok)
		}
		if want := time.Duration(float64(n)*period + 0.5); now.Sub(start) != want {
			t.Fatalf("slot %d returned at %v, want %v", n, now.Sub(start), want)
		}
	}
}

// TestPacerCancel: a wait for a slot an hour away ends as soon as its
// context does (the clock has not moved), and a cancelled context stops a
// wait even when a slot is due.
func TestPacerCancel(t *testing.T) {
	clk := fakeclock.New(fakeclock.Epoch())
	p := fakePacer(clk, clk.Now().Add(time.Hour), float64(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool, 1)
	go func() {
		_, _, _, ok := p.wait(ctx)
		done <- ok
	}()
	clk.BlockUntil(1) // the pacer waits for its slot
	cancel()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("wait succeeded after cancel")
		}
	case <-time.After(time.Second):
		t.Fatal("wait took over a second to see the cancel")
	}
	if !clk.Now().Equal(fakeclock.Epoch()) {
		t.Errorf("the clock moved to %v", clk.Now())
	}
	// Already cancelled, slot due: still stops.
	p = fakePacer(clk, clk.Now().Add(-time.Hour), float64(time.Second))
	if _, _, _, ok := p.wait(ctx); ok {
		t.Fatal("wait succeeded with a cancelled context")
	}
}

// TestPacerRealTime runs the pacer on the real clock and timer: every slot
// is returned once due and before the next one is, the latest due slot,
// never an older one, so no bursts. (On a loaded machine a wake-up may
// come late and skip; that is allowed.) The capture tests of the test
// video, tone and screen sources run it in real time too.
func TestPacerRealTime(t *testing.T) {
	const period = 20 * time.Millisecond
	start := time.Now()
	p := newPacer(start, float64(period))
	defer p.stop()
	ctx := context.Background()
	due := func(n int64) time.Time { return start.Add(time.Duration(n) * period) }
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
