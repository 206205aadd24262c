package loopback

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// handOff is a direct hand-off that records what it takes, a write in
// brackets when it has more than one unit.
type handOff struct {
	mu     sync.Mutex // for a stream's timer (flushHeld)
	took   []string
	refuse bool // take nothing
	wake   bool // take, but ask for the consumer
}

func (h *handOff) tryWrite(units []*Unit) (taken, wake bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse {
		return false, false
	}
	s := names(units)
	if len(units) > 1 {
		s = "[" + s + "]"
	}
	h.took = append(h.took, s)
	return true, h.wake
}

func (h *handOff) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.took, " ")
}

// names is "v0 a10 a30" for video at 0 ms and audio at 10 and 30 ms.
func names(units []*Unit) string {
	var s []string
	for _, u := range units {
		k := map[Kind]string{KindAudio: "a", KindVideo: "v", KindData: "d"}[u.Kind]
		if u.Header {
			k += "h"
		}
		s = append(s, fmt.Sprintf("%s%d", k, u.DTS.Milliseconds()))
	}
	return strings.Join(s, " ")
}

func directReader(h *handOff) *Reader {
	r := newReader(1024)
	r.setDirect(h)
	return r
}

func push(r *Reader, units ...*Unit) {
	for _, u := range units {
		classify(u)
		r.push(u)
	}
}

func signalled(r *Reader) bool {
	select {
	case <-r.Ready():
		return true
	default:
		return false
	}
}

// hold pushes units that may wait for the stream's batch to close.
func hold(r *Reader, units ...*Unit) {
	for _, u := range units {
		classify(u)
		r.pushMayHold(u, true)
	}
}

// TestDirectHandOff: with the consumer idle, units go to the hand-off at
// once; nothing wakes the consumer.
func TestDirectHandOff(t *testing.T) {
	h := &handOff{}
	r := directReader(h)
	push(r,
		&Unit{Kind: KindData, Body: []byte{2, 0, 10}},
		&Unit{Kind: KindVideo, Body: []byte{0x17, 0, 0, 0, 0}}, // AVC sequence header
		video(0, true), audio(10), audio(30), video(33, false),
	)
	if want := "dh0 vh0 v0 a10 a30 v33"; h.String() != want {
		t.Errorf("took %q, want %q", h, want)
	}
	if signalled(r) {
		t.Error("the consumer was woken")
	}
	if got := r.Next(nil); len(got) != 0 {
		t.Errorf("queued %s", names(got))
	}
}

// TestDirectHandOffHolds: units pushed with hold wait and go in one write
// with the next unit pushed without, up to maxHeld of them; headers never
// wait, they take what waits along.
func TestDirectHandOffHolds(t *testing.T) {
	h := &handOff{}
	r := directReader(h)
	hold(r, video(0, true), audio(10), audio(30))
	if h.String() != "" {
		t.Fatalf("took %q while holding", h)
	}
	push(r, video(33, false))
	hold(r, audio(40))
	hold(r, &Unit{Kind: KindAudio, Body: []byte{0xaf, 0, 0x11, 0x90}}) // an AAC header
	for i := range maxHeld + 1 {
		hold(r, audio(50+i*20))
	}
	want := "[v0 a10 a30 v33] [a40 ah0] [a50 a70 a90 a110 a130 a150 a170 a190]"
	if h.String() != want {
		t.Errorf("took\n%s\nwant\n%s", h, want)
	}
	if signalled(r) {
		t.Error("the consumer was woken")
	}
}

// TestDirectHandOffQueues: what the hand-off refuses is queued, in order,
// and wakes the consumer; while anything is queued or the consumer has
// units in hand, everything is queued; once Next finds nothing, the
// hand-off takes over again.
func TestDirectHandOffQueues(t *testing.T) {
	h := &handOff{}
	r := directReader(h)
	hold(r, audio(0), video(0, true)) // both wait
	h.refuse = true
	push(r, audio(10))
	if !signalled(r) {
		t.Fatal("the consumer was not woken")
	}
	h.refuse = false
	push(r, video(33, false)) // the queue is not empty: queued
	if got := names(r.Next(nil)); got != "a0 v0 a10 v33" {
		t.Fatalf("queued %q, want a0 v0 a10 v33", got)
	}
	push(r, audio(40)) // the consumer has units in hand: queued
	if got := names(r.Next(nil)); got != "a40" {
		t.Fatalf("queued %q, want a40", got)
	}
	if got := r.Next(nil); len(got) != 0 {
		t.Fatalf("queued %s", names(got))
	}
	push(r, audio(50))
	if want := "a50"; h.String() != want {
		t.Errorf("took %q, want %q", h, want)
	}
}

// TestDirectHandOffWake: a hand-off that could not finish sending asks for
// the consumer, and units queue behind until it has run.
func TestDirectHandOffWake(t *testing.T) {
	h := &handOff{wake: true}
	r := directReader(h)
	push(r, video(0, true), video(33, false))
	if !signalled(r) {
		t.Fatal("the consumer was not woken")
	}
	if want := "v0"; h.String() != want {
		t.Errorf("took %q, want %q", h, want)
	}
	if got := names(r.Next(nil)); got != "v33" {
		t.Fatalf("queued %q, want v33", got)
	}
}

// TestHeldGoesToTheConsumer: units waiting for the batch are the
// consumer's when the stream ends, first in line.
func TestHeldGoesToTheConsumer(t *testing.T) {
	h := &handOff{}
	r := directReader(h)
	hold(r, audio(0), video(0, true))
	r.close()
	<-r.Done()
	if got := names(r.Next(nil)); got != "a0 v0" {
		t.Fatalf("left %q, want a0 v0", got)
	}
}

// TestDirectHandOffSlowViewer: a viewer whose hand-off keeps refusing
// (its socket is full) overflows and drops to the next keyframe, as
// without the hand-off.
func TestDirectHandOffSlowViewer(t *testing.T) {
	h := &handOff{refuse: true}
	r := newReader(4)
	r.setDirect(h)
	push(r, video(0, true))
	for i := 1; i < 10; i++ {
		push(r, video(i*33, false))
	}
	push(r, video(330, true), video(363, false))
	if r.Dropped() == 0 {
		t.Fatal("nothing dropped")
	}
	if got := names(r.Next(nil)); !strings.HasPrefix(got, "v330") {
		t.Fatalf("resumes with %q, want the keyframe v330", got)
	}
}

// TestLazyReader: audio queued for a lazy consumer wakes it only with the
// next video unit, or once maxLazy of it waits; without video, every unit
// wakes it.
func TestLazyReader(t *testing.T) {
	r := newReader(1024)
	r.setLazy()
	push(r, video(0, true))
	if !signalled(r) {
		t.Fatal("video did not wake the consumer")
	}
	r.Next(nil)
	push(r, audio(10), audio(30))
	if signalled(r) {
		t.Fatal("audio woke the consumer")
	}
	push(r, audio(50))
	if !signalled(r) {
		t.Fatal("40 ms of audio did not wake the consumer")
	}
	push(r, video(66, false))
	if got := names(r.Next(nil)); got != "a10 a30 a50 v66" {
		t.Fatalf("queued %q", got)
	}

	r = newReader(1024)
	r.setLazy()
	push(r, audio(0))
	if !signalled(r) {
		t.Fatal("audio of a stream without video did not wake the consumer")
	}
}

// TestFlushHeld: flushHeld sends what waits for the batch.
func TestFlushHeld(t *testing.T) {
	h := &handOff{}
	r := directReader(h)
	hold(r, audio(0), video(0, true))
	r.flushHeld()
	if want := "[a0 v0]"; h.String() != want {
		t.Errorf("took %q, want %q", h, want)
	}
	r.flushHeld() // nothing held: nothing happens
	if want := "[a0 v0]"; h.String() != want {
		t.Errorf("took %q, want %q", h, want)
	}
}
