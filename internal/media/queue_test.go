package media

import (
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
)

// item is a queued value for the tests: a number and whether it is a key
// item (an IDR picture, for a video queue).
type item struct {
	n   int
	key bool
}

func isKeyItem(it item) bool { return it.key }

// newTestQueue makes a queue and records what it drops.
func newTestQueue(capacity int, isKey func(item) bool) (*Queue[item], *[]int) {
	q := NewQueue[item](capacity, isKey)
	dropped := new([]int)
	q.SetOnDrop(func(it item) { *dropped = append(*dropped, it.n) })
	return q, dropped
}

// drain pops everything queued, oldest first.
func drain(q *Queue[item]) []int {
	var out []int
	for {
		it, ok := q.TryPop()
		if !ok {
			return out
		}
		out = append(out, it.n)
	}
}

func pushAll(t *testing.T, q *Queue[item], items ...item) {
	t.Helper()
	for _, it := range items {
		if !q.Push(it) {
			t.Fatalf("Push(%v) = false, want true", it)
		}
	}
}

func TestQueueFIFO(t *testing.T) {
	q, dropped := newTestQueue(4, nil)
	if _, ok := q.TryPop(); ok {
		t.Fatal("TryPop on an empty queue reported an item")
	}
	pushAll(t, q, item{n: 1}, item{n: 2}, item{n: 3})
	if got := drain(q); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Fatalf("popped %v, want [1 2 3]", got)
	}
	// Wrap around the ring a few times.
	for i := 4; i < 20; i += 2 {
		pushAll(t, q, item{n: i}, item{n: i + 1})
		if got := drain(q); !reflect.DeepEqual(got, []int{i, i + 1}) {
			t.Fatalf("popped %v, want [%d %d]", got, i, i+1)
		}
	}
	if q.Dropped() != 0 || len(*dropped) != 0 {
		t.Fatalf("Dropped() = %d, OnDrop got %v; want nothing dropped", q.Dropped(), *dropped)
	}
}

func TestQueueFullDropsOldest(t *testing.T) {
	q, dropped := newTestQueue(3, nil)
	for i := 1; i <= 5; i++ {
		if !q.Push(item{n: i}) {
			t.Fatalf("Push(%d) = false; without a key function the new item is always kept", i)
		}
	}
	if q.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", q.Len())
	}
	if q.Dropped() != 2 {
		t.Fatalf("Dropped() = %d, want 2", q.Dropped())
	}
	if !reflect.DeepEqual(*dropped, []int{1, 2}) {
		t.Fatalf("OnDrop got %v, want [1 2]", *dropped)
	}
	if got := drain(q); !reflect.DeepEqual(got, []int{3, 4, 5}) {
		t.Fatalf("popped %v, want [3 4 5]", got)
	}
}

func TestQueueMinimumCapacity(t *testing.T) {
	for _, capacity := range []int{0, -1} {
		q, dropped := newTestQueue(capacity, nil)
		pushAll(t, q, item{n: 1}, item{n: 2})
		if q.Len() != 1 || q.Dropped() != 1 || !reflect.DeepEqual(*dropped, []int{1}) {
			t.Errorf("capacity %d: Len() = %d, Dropped() = %d, OnDrop got %v; want a queue of 1 that dropped item 1",
				capacity, q.Len(), q.Dropped(), *dropped)
		}
	}
}

func TestQueueKeyOverflow(t *testing.T) {
	k := func(n int) item { return item{n: n, key: true} }
	p := func(n int) item { return item{n: n} }
	cases := []struct {
		name     string
		capacity int
		fill     []item // pushed first, all kept
		push     item
		kept     bool  // what Push(push) reports
		dropped  []int // OnDrop, in order
		queued   []int // left in the queue
	}{
		{
			name:     "discards up to the next key item",
			capacity: 4, fill: []item{k(1), p(2), k(3), p(4)}, push: p(5),
			kept: true, dropped: []int{1, 2}, queued: []int{3, 4, 5},
		},
		{
			name:     "oldest dropped is the only key item",
			capacity: 4, fill: []item{k(1), p(2), p(3), p(4)}, push: p(5),
			kept: false, dropped: []int{1, 2, 3, 4, 5}, queued: nil,
		},
		{
			name:     "new key item is kept when nothing else is left",
			capacity: 3, fill: []item{k(1), p(2), p(3)}, push: k(4),
			kept: true, dropped: []int{1, 2, 3}, queued: []int{4},
		},
		{
			name:     "oldest is not a key item, next is",
			capacity: 3, fill: []item{p(1), k(2), p(3)}, push: p(4),
			kept: true, dropped: []int{1}, queued: []int{2, 3, 4},
		},
		{
			name:     "capacity 1",
			capacity: 1, fill: []item{k(1)}, push: p(2),
			kept: false, dropped: []int{1, 2}, queued: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, dropped := newTestQueue(c.capacity, isKeyItem)
			pushAll(t, q, c.fill...)
			if got := q.Push(c.push); got != c.kept {
				t.Errorf("Push(%v) = %v, want %v", c.push, got, c.kept)
			}
			if !reflect.DeepEqual(*dropped, c.dropped) {
				t.Errorf("OnDrop got %v, want %v", *dropped, c.dropped)
			}
			if q.Dropped() != int64(len(c.dropped)) {
				t.Errorf("Dropped() = %d, want %d", q.Dropped(), len(c.dropped))
			}
			if got := drain(q); !reflect.DeepEqual(got, c.queued) {
				t.Errorf("queued %v, want %v", got, c.queued)
			}
		})
	}
}

func TestQueueAwaitsKeyAfterOverflow(t *testing.T) {
	q, dropped := newTestQueue(2, isKeyItem)
	pushAll(t, q, item{n: 1, key: true}, item{n: 2})
	// Overflow: 1 goes, 2 cannot be decoded without it, nothing is left,
	// and 3 is not a key item either.
	if q.Push(item{n: 3}) {
		t.Fatal("Push(3) = true after an overflow that left no key item")
	}
	// Until a key item arrives, non-key pushes are dropped and counted even
	// though the queue has room.
	for n := 4; n <= 6; n++ {
		if q.Push(item{n: n}) {
			t.Fatalf("Push(%d) = true while waiting for a key item", n)
		}
		if q.Len() != 0 {
			t.Fatalf("Len() = %d while waiting for a key item, want 0", q.Len())
		}
	}
	if !q.Push(item{n: 7, key: true}) {
		t.Fatal("Push(key 7) = false")
	}
	pushAll(t, q, item{n: 8})
	if want := []int{1, 2, 3, 4, 5, 6}; !reflect.DeepEqual(*dropped, want) {
		t.Fatalf("OnDrop got %v, want %v", *dropped, want)
	}
	if q.Dropped() != 6 {
		t.Fatalf("Dropped() = %d, want 6", q.Dropped())
	}
	if got := drain(q); !reflect.DeepEqual(got, []int{7, 8}) {
		t.Fatalf("popped %v, want [7 8]", got)
	}
	// Back to normal: a non-key push into a queue with room is kept.
	if !q.Push(item{n: 9}) {
		t.Fatal("Push(9) = false after the key item ended the wait")
	}
}

func TestQueueClose(t *testing.T) {
	q, dropped := newTestQueue(4, nil)
	pushAll(t, q, item{n: 1}, item{n: 2})
	if q.Closed() {
		t.Fatal("Closed() = true before Close")
	}
	q.Close()
	if !q.Closed() {
		t.Fatal("Closed() = false after Close")
	}
	if q.Push(item{n: 3}) {
		t.Fatal("Push after Close = true")
	}
	if !reflect.DeepEqual(*dropped, []int{3}) {
		t.Fatalf("OnDrop got %v after a Push on the closed queue, want [3]", *dropped)
	}
	// What was queued before Close can still be taken.
	if got := drain(q); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Fatalf("popped %v after Close, want [1 2]", got)
	}
	q.Close() // a second Close is harmless
}

func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestQueueReady(t *testing.T) {
	q, _ := newTestQueue(4, nil)
	if signalled(q.Ready()) {
		t.Fatal("Ready signalled on a new queue")
	}
	pushAll(t, q, item{n: 1})
	if !signalled(q.Ready()) {
		t.Fatal("Ready not signalled after Push")
	}
	if signalled(q.Ready()) {
		t.Fatal("Ready signalled twice for one Push")
	}
	// Several pushes before the consumer looks leave one signal: the
	// consumer drains with TryPop after it.
	pushAll(t, q, item{n: 2}, item{n: 3})
	if !signalled(q.Ready()) || signalled(q.Ready()) {
		t.Fatal("want exactly one Ready signal after two pushes")
	}
	if got := drain(q); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Fatalf("popped %v, want [1 2 3]", got)
	}
	q.Close()
	if !signalled(q.Ready()) {
		t.Fatal("Ready not signalled after Close")
	}
}

func TestQueuePeekLen(t *testing.T) {
	q, _ := newTestQueue(2, nil)
	if _, ok := q.Peek(); ok || q.Len() != 0 {
		t.Fatalf("empty queue: Peek ok = %v, Len() = %d", ok, q.Len())
	}
	pushAll(t, q, item{n: 1}, item{n: 2})
	for i := 0; i < 2; i++ { // Peek does not remove
		if it, ok := q.Peek(); !ok || it.n != 1 || q.Len() != 2 {
			t.Fatalf("Peek = %v, %v; Len() = %d; want 1, true; 2", it, ok, q.Len())
		}
	}
	pushAll(t, q, item{n: 3}) // drops 1
	if it, ok := q.Peek(); !ok || it.n != 2 || q.Len() != 2 {
		t.Fatalf("after overflow Peek = %v, %v; Len() = %d; want 2, true; 2", it, ok, q.Len())
	}
	q.TryPop()
	if it, ok := q.Peek(); !ok || it.n != 3 || q.Len() != 1 {
		t.Fatalf("after TryPop Peek = %v, %v; Len() = %d; want 3, true; 1", it, ok, q.Len())
	}
}

// TestQueueConcurrent runs producers against one consumer (run it with
// -race): every pushed item is either popped or dropped, exactly once, and
// each producer's items that get through keep their order.
func TestQueueConcurrent(t *testing.T) {
	for _, withKey := range []bool{false, true} {
		name := "plain"
		var isKey func(item) bool
		if withKey {
			name, isKey = "key", isKeyItem
		}
		t.Run(name, func(t *testing.T) {
			defer checkGoroutines(t, runtime.NumGoroutine())
			const producers, perProducer = 4, 2000
			q := NewQueue[item](16, isKey)
			seen := make([]int, producers*perProducer) // pops + drops per item
			var dropMu sync.Mutex                      // OnDrop runs under q's lock, but be explicit
			var drops int64
			q.SetOnDrop(func(it item) {
				dropMu.Lock()
				seen[it.n]++
				drops++
				dropMu.Unlock()
			})

			var pwg sync.WaitGroup
			for p := 0; p < producers; p++ {
				pwg.Add(1)
				go func(p int) {
					defer pwg.Done()
					for i := 0; i < perProducer; i++ {
						q.Push(item{n: p*perProducer + i, key: i%10 == 0})
						if i%100 == 0 {
							runtime.Gosched()
						}
					}
				}(p)
			}

			popped := make(chan []int, 1)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				var got []int
				for {
					if it, ok := q.TryPop(); ok {
						got = append(got, it.n)
						continue
					}
					if q.Closed() {
						// Close came after the last Push: take what is left.
						for {
							it, ok := q.TryPop()
							if !ok {
								break
							}
							got = append(got, it.n)
						}
						popped <- got
						return
					}
					// A lost wake-up would hang here: Push and Close must
					// signal Ready.
					select {
					case <-q.Ready():
					case <-stop:
						return
					}
				}
			}()

			pwg.Wait()
			q.Close()
			var got []int
			select {
			case got = <-popped:
			case <-time.After(5 * time.Second):
				t.Fatal("consumer did not finish")
			}

			last := make([]int, producers)
			for p := range last {
				last[p] = -1
			}
			dropMu.Lock()
			defer dropMu.Unlock()
			for _, n := range got {
				seen[n]++
				p := n / perProducer
				if n <= last[p] {
					t.Fatalf("producer %d: item %d popped after %d", p, n, last[p])
				}
				last[p] = n
			}
			for n, c := range seen {
				if c != 1 {
					t.Fatalf("item %d popped or dropped %d times, want once", n, c)
				}
			}
			if q.Dropped() != drops {
				t.Fatalf("Dropped() = %d, OnDrop called %d times", q.Dropped(), drops)
			}
			if int64(len(got))+drops != producers*perProducer {
				t.Fatalf("%d popped + %d dropped != %d pushed", len(got), drops, producers*perProducer)
			}
			t.Logf("%d popped, %d dropped", len(got), drops)
		})
	}
}

// checkGoroutines fails t if the goroutine count does not come back to
// before within a second.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	var now int
	for i := 0; i < 100; i++ {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines, %d before:\n%s", now, before, buf[:runtime.Stack(buf, true)])
}
