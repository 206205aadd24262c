package player

import (
	"context"
	"testing"
	"time"

	"github.com/asticode/go-astiav"
)

// qpkt is a queued packet numbered n (its PTS is n ms), with a real
// AVPacket so that release has something to free.
func qpkt(n int, key bool) packet {
	return packet{p: astiav.AllocPacket(), pts: time.Duration(n) * time.Millisecond, key: key, size: 100}
}

// popAll pops everything queued and returns the packets' numbers.
func popAll(t *testing.T, q *pktQueue) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var got []int
	for q.Len() > 0 {
		k, ok := q.Pop(ctx)
		if !ok {
			t.Fatal("Pop failed with packets queued")
		}
		got = append(got, int(k.pts/time.Millisecond))
		k.release()
	}
	return got
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPktQueueLiveVideoDropsToKeyframe: a full live video queue drops the
// oldest packets up to the next keyframe, counted, and never waits (not
// even to see whether its context has ended).
func TestPktQueueLiveVideoDropsToKeyframe(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(4, true, true)
	defer q.Discard()
	// K1 d2 d3 K4, then d5: the queue is full; K1 d2 d3 go (3 drops) and
	// the queue restarts at K4.
	for i, key := range []bool{true, false, false, true} {
		if !q.Push(ctx, qpkt(i+1, key)) {
			t.Fatalf("push %d refused", i+1)
		}
	}
	if d := q.Span(); d != 3*time.Millisecond {
		t.Errorf("Span = %v, want 3ms", d)
	}
	// Pushed with its context already ended: a Push that waited for room
	// would give up and report false.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	start := time.Now()
	if !q.Push(ended, qpkt(5, false)) {
		t.Fatal("push 5 refused: it follows the keyframe the queue kept")
	}
	if el := time.Since(start); el > 50*time.Millisecond {
		t.Errorf("a live Push waited %v", el)
	}
	if d := q.Dropped(); d != 3 {
		t.Errorf("Dropped = %d, want 3 (K1 d2 d3)", d)
	}
	if got := popAll(t, q); !equalInts(got, []int{4, 5}) {
		t.Errorf("queued %v, want [4 5]", got)
	}
}

// TestPktQueueLiveVideoNoKeyframeLeft: when no keyframe is left to restart
// from, the queue empties, refuses non-key packets (counted) and restarts
// at the next keyframe.
func TestPktQueueLiveVideoNoKeyframeLeft(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(3, true, true)
	defer q.Discard()
	for i, key := range []bool{true, false, false} {
		if !q.Push(ctx, qpkt(i+1, key)) {
			t.Fatalf("push %d refused", i+1)
		}
	}
	// Full: K1 d2 d3 all go, and d4 itself cannot be decoded: 4 drops.
	if q.Push(ctx, qpkt(4, false)) {
		t.Error("push 4 accepted with no keyframe before it")
	}
	if d := q.Dropped(); d != 4 {
		t.Errorf("Dropped = %d, want 4", d)
	}
	if n := q.Len(); n != 0 {
		t.Errorf("Len = %d, want 0", n)
	}
	// Waiting for a keyframe: non-key packets are refused and counted.
	if q.Push(ctx, qpkt(5, false)) {
		t.Error("push 5 accepted while waiting for a keyframe")
	}
	if d := q.Dropped(); d != 5 {
		t.Errorf("Dropped = %d, want 5", d)
	}
	if !q.Push(ctx, qpkt(6, true)) || !q.Push(ctx, qpkt(7, false)) {
		t.Fatal("the keyframe and what follows it were refused")
	}
	if got := popAll(t, q); !equalInts(got, []int{6, 7}) {
		t.Errorf("queued %v, want [6 7]", got)
	}
	if d := q.Dropped(); d != 5 {
		t.Errorf("Dropped = %d after restarting, want 5", d)
	}
}

// TestPktQueueInitialNonKeyNotCounted: joining a stream mid-GOP, the
// packets before the first keyframe are skipped but are not losses.
func TestPktQueueInitialNonKeyNotCounted(t *testing.T) {
	ctx := context.Background()
	for _, live := range []bool{true, false} {
		q := newPktQueue(8, live, true)
		for i := 1; i <= 3; i++ {
			if q.Push(ctx, qpkt(i, false)) {
				t.Errorf("live=%v: non-key packet %d accepted before the first keyframe", live, i)
			}
		}
		if d := q.Dropped(); d != 0 {
			t.Errorf("live=%v: Dropped = %d before the first keyframe, want 0", live, d)
		}
		if !q.Push(ctx, qpkt(4, true)) || !q.Push(ctx, qpkt(5, false)) {
			t.Errorf("live=%v: keyframe or its follower refused", live)
		}
		if got := popAll(t, q); !equalInts(got, []int{4, 5}) {
			t.Errorf("live=%v: queued %v, want [4 5]", live, got)
		}
		q.Discard()
	}
}

// TestPktQueueLiveAudioDropsOldest: an audio queue needs no keyframe: past
// the capacity exactly the oldest packets go.
func TestPktQueueLiveAudioDropsOldest(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(3, true, false)
	defer q.Discard()
	for i := 1; i <= 5; i++ {
		if !q.Push(ctx, qpkt(i, false)) {
			t.Errorf("audio push %d refused", i)
		}
	}
	if d := q.Dropped(); d != 2 {
		t.Errorf("Dropped = %d, want 2", d)
	}
	if got := popAll(t, q); !equalInts(got, []int{3, 4, 5}) {
		t.Errorf("queued %v, want [3 4 5]", got)
	}
}

// TestPktQueueFileWaits: a file queue never drops: a Push into a full
// queue waits for a Pop, and gives up when its context ends.
func TestPktQueueFileWaits(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(2, false, true)
	defer q.Discard()
	q.Push(ctx, qpkt(1, true))
	q.Push(ctx, qpkt(2, false))

	pushed := make(chan bool, 1)
	go func() { pushed <- q.Push(ctx, qpkt(3, false)) }()
	select {
	case <-pushed:
		t.Fatal("Push into a full file queue did not wait")
	case <-time.After(100 * time.Millisecond):
	}
	k, ok := q.Pop(ctx)
	if !ok || k.pts != time.Millisecond {
		t.Fatalf("Pop = %v %v, want packet 1", k.pts, ok)
	}
	k.release()
	select {
	case ok := <-pushed:
		if !ok {
			t.Error("the waiting Push reported false after room was made")
		}
	case <-time.After(time.Second):
		t.Fatal("the waiting Push did not go through after a Pop")
	}
	if d := q.Dropped(); d != 0 {
		t.Errorf("a file queue dropped %d packets", d)
	}

	// Full again: a Push whose context ends returns false, promptly.
	cctx, cancel := context.WithCancel(ctx)
	go func() { pushed <- q.Push(cctx, qpkt(4, false)) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case ok := <-pushed:
		if ok {
			t.Error("Push reported true after its context ended")
		}
	case <-time.After(time.Second):
		t.Fatal("Push did not return after its context ended")
	}
	if got := popAll(t, q); !equalInts(got, []int{2, 3}) {
		t.Errorf("queued %v, want [2 3]", got)
	}
}

// TestPktQueueFileCloseReleasesPush: Close wakes a Push waiting for room.
func TestPktQueueFileCloseReleasesPush(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(1, false, false)
	defer q.Discard()
	q.Push(ctx, qpkt(1, false))
	pushed := make(chan bool, 1)
	go func() { pushed <- q.Push(ctx, qpkt(2, false)) }()
	time.Sleep(50 * time.Millisecond)
	q.Close()
	select {
	case ok := <-pushed:
		if ok {
			t.Error("Push into a closed queue reported true")
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not wake the waiting Push")
	}
}

// TestPktQueueFlush: Flush empties the queue without counting losses,
// makes room for a waiting Push, and a video queue then waits for a
// keyframe.
func TestPktQueueFlush(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(3, false, true)
	defer q.Discard()
	for i, key := range []bool{true, false, false} {
		q.Push(ctx, qpkt(i+1, key))
	}
	pushed := make(chan bool, 1)
	go func() { pushed <- q.Push(ctx, qpkt(4, true)) }()
	time.Sleep(50 * time.Millisecond)
	q.Flush()
	select {
	case ok := <-pushed:
		if !ok {
			t.Error("the keyframe pushed during the flush was refused")
		}
	case <-time.After(time.Second):
		t.Fatal("Flush did not make room for the waiting Push")
	}
	if d := q.Dropped(); d != 0 {
		t.Errorf("Dropped = %d after Flush, want 0 (a seek is not a loss)", d)
	}
	if got := popAll(t, q); !equalInts(got, []int{4}) {
		t.Errorf("queued %v after Flush, want [4]", got)
	}

	q.Push(ctx, qpkt(5, false))
	q.Flush()
	if q.Len() != 0 {
		t.Fatalf("Len = %d after Flush", q.Len())
	}
	if q.Push(ctx, qpkt(6, false)) {
		t.Error("a video queue accepted a non-key packet right after Flush")
	}
	if !q.Push(ctx, qpkt(7, true)) {
		t.Error("keyframe refused after Flush")
	}
	if got := popAll(t, q); !equalInts(got, []int{7}) {
		t.Errorf("queued %v, want [7]", got)
	}
}

// TestPktQueueCloseDrains: after Close, Pop hands out what is left, then
// reports false; Push is refused; a blocked Pop wakes.
func TestPktQueueCloseDrains(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(8, true, false)
	defer q.Discard()
	for i := 1; i <= 3; i++ {
		q.Push(ctx, qpkt(i, false))
	}
	q.Close()
	if q.Push(ctx, qpkt(4, false)) {
		t.Error("Push after Close reported true")
	}
	var got []int
	for {
		k, ok := q.Pop(ctx)
		if !ok {
			break
		}
		got = append(got, int(k.pts/time.Millisecond))
		k.release()
		if len(got) > 10 {
			t.Fatal("Pop does not end after Close")
		}
	}
	if !equalInts(got, []int{1, 2, 3}) {
		t.Errorf("drained %v, want [1 2 3]", got)
	}

	// A Pop blocked on an empty queue wakes on Close, and on its context.
	for _, viaCtx := range []bool{false, true} {
		q := newPktQueue(8, true, false)
		cctx, cancel := context.WithCancel(ctx)
		popped := make(chan bool, 1)
		go func() { _, ok := q.Pop(cctx); popped <- ok }()
		time.Sleep(50 * time.Millisecond)
		if viaCtx {
			cancel()
		} else {
			q.Close()
		}
		select {
		case ok := <-popped:
			if ok {
				t.Errorf("ctx=%v: Pop on an empty queue reported a packet", viaCtx)
			}
		case <-time.After(time.Second):
			t.Fatalf("ctx=%v: the blocked Pop did not wake", viaCtx)
		}
		cancel()
		q.Discard()
	}
}

// TestPktQueueFlushMarker: a nil packet (the decoder-reset marker a seek
// pushes) passes through a queue like any key packet.
func TestPktQueueFlushMarker(t *testing.T) {
	ctx := context.Background()
	q := newPktQueue(4, false, true)
	defer q.Discard()
	q.Flush()
	if !q.Push(ctx, packet{key: true}) {
		t.Fatal("the flush marker was refused")
	}
	k, ok := q.Pop(ctx)
	if !ok || k.p != nil {
		t.Fatalf("Pop = %+v %v, want the marker", k, ok)
	}
	k.release() // must be safe on a marker
}
