package fakeclock

import (
	"testing"
	"time"
)

// recv reports what ch holds now, without waiting.
func recv(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

// TestManual: time moves only on Advance and Set; waits fire when their
// deadline is reached, in order, with their deadline as the time.
func TestManual(t *testing.T) {
	t0 := Epoch()
	c := New(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	late := c.After(30 * time.Millisecond)
	early := c.After(10 * time.Millisecond)
	if _, ok := recv(early); ok {
		t.Fatal("After fired before the clock moved")
	}
	if n := c.Waiters(); n != 2 {
		t.Fatalf("Waiters = %d, want 2", n)
	}
	c.Advance(9 * time.Millisecond)
	if _, ok := recv(early); ok {
		t.Fatal("After(10ms) fired at 9ms")
	}
	c.Advance(time.Millisecond)
	if got, ok := recv(early); !ok || !got.Equal(t0.Add(10*time.Millisecond)) {
		t.Fatalf("After(10ms) at 10ms: %v %v", got, ok)
	}
	if n := c.Waiters(); n != 1 {
		t.Fatalf("Waiters = %d, want 1", n)
	}
	c.Set(t0.Add(time.Second))
	if got, ok := recv(late); !ok || !got.Equal(t0.Add(30*time.Millisecond)) {
		t.Fatalf("After(30ms) after Set(1s): %v %v, want its deadline", got, ok)
	}
	if got := c.Now(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("Now = %v after Set", got)
	}
	if d := c.Since(t0); d != time.Second {
		t.Errorf("Since = %v, want 1s", d)
	}
	if d := c.Until(t0.Add(3 * time.Second)); d != 2*time.Second {
		t.Errorf("Until = %v, want 2s", d)
	}
	// A wait of nothing is ready at once, and is not pending.
	if got, ok := recv(c.After(0)); !ok || !got.Equal(c.Now()) {
		t.Errorf("After(0) = %v %v", got, ok)
	}
	if n := c.Waiters(); n != 0 {
		t.Errorf("Waiters = %d, want 0", n)
	}
}

// TestAuto: a wait moves the clock to its deadline at once.
func TestAuto(t *testing.T) {
	t0 := Epoch()
	c := NewAuto(t0)
	c.Sleep(time.Second)
	if d := c.Since(t0); d != time.Second {
		t.Fatalf("after Sleep(1s): %v", d)
	}
	got, ok := recv(c.After(250 * time.Millisecond))
	if !ok || !got.Equal(t0.Add(1250*time.Millisecond)) || !c.Now().Equal(got) {
		t.Fatalf("After(250ms) = %v %v, Now %v", got, ok, c.Now())
	}
	c.Advance(time.Minute)
	if d := c.Since(t0); d != time.Minute+1250*time.Millisecond {
		t.Fatalf("after Advance(1m): %v", d)
	}
	if n := c.Waiters(); n != 0 {
		t.Errorf("Waiters = %d, want 0", n)
	}
}

// TestBlockUntil: a test learns that another goroutine waits on the clock
// without sleeping, and wakes it by moving the clock.
func TestBlockUntil(t *testing.T) {
	c := New(Epoch())
	done := make(chan time.Time)
	go func() {
		c.Sleep(time.Hour)
		done <- c.Now()
	}()
	c.BlockUntil(1)
	select {
	case <-done:
		t.Fatal("Sleep returned before the clock moved")
	default:
	}
	c.Advance(time.Hour)
	select {
	case got := <-done:
		if !got.Equal(Epoch().Add(time.Hour)) {
			t.Errorf("woke at %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Sleep did not return after Advance")
	}
	c.BlockUntil(0) // already true: returns at once
}

// TestBackwards: the clock never runs backwards.
func TestBackwards(t *testing.T) {
	c := New(Epoch())
	for name, f := range map[string]func(){
		"Advance": func() { c.Advance(-time.Nanosecond) },
		"Set":     func() { c.Set(Epoch().Add(-time.Nanosecond)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s backwards did not panic", name)
				}
			}()
			f()
		}()
	}
}
