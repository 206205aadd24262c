package media

import "sync"

// Queue is a bounded, non-blocking hand-off between two stages. Push never
// waits: when the queue is full the oldest item is dropped and counted, so a
// slow consumer loses data instead of stalling its producer.
//
// For encoded video use a KeyFunc: after a drop the queue also discards
// items until the next key item, since a decoder cannot use the frames in
// between.
type Queue[T any] struct {
	mu       sync.Mutex
	items    []T
	head, n  int
	dropped  int64
	closed   bool
	ready    chan struct{}
	isKey    func(T) bool
	onDrop   func(T)
	awaitKey bool
}

// SetOnDrop sets a function called (under the queue's lock, so it must be
// quick) with each dropped item, e.g. to release pooled buffers.
func (q *Queue[T]) SetOnDrop(fn func(T)) {
	q.mu.Lock()
	q.onDrop = fn
	q.mu.Unlock()
}

// NewQueue makes a queue holding at most capacity items (at least 1).
// isKey may be nil; see Queue.
func NewQueue[T any](capacity int, isKey func(T) bool) *Queue[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Queue[T]{items: make([]T, capacity), ready: make(chan struct{}, 1), isKey: isKey}
}

// Push adds v, dropping the oldest item when full. It reports false when v
// itself was dropped (queue closed, or waiting for a key item).
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		if q.onDrop != nil {
			q.onDrop(v)
		}
		return false
	}
	if q.awaitKey {
		if !q.isKey(v) {
			q.dropNewLocked(v)
			return false
		}
		q.awaitKey = false
	}
	if q.n == len(q.items) {
		q.dropOldestLocked()
		if q.isKey != nil {
			// Discard what can no longer be decoded: up to the next key item.
			for q.n > 0 && !q.isKey(q.items[q.head]) {
				q.dropOldestLocked()
			}
			if q.n == 0 && !q.isKey(v) {
				q.awaitKey = true
				q.dropNewLocked(v)
				return false
			}
		}
	}
	q.items[(q.head+q.n)%len(q.items)] = v
	q.n++
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

func (q *Queue[T]) dropNewLocked(v T) {
	q.dropped++
	if q.onDrop != nil {
		q.onDrop(v)
	}
}

func (q *Queue[T]) dropOldestLocked() {
	var zero T
	if q.onDrop != nil {
		q.onDrop(q.items[q.head])
	}
	q.items[q.head] = zero
	q.head = (q.head + 1) % len(q.items)
	q.n--
	q.dropped++
}

// TryPop takes the oldest item without waiting.
func (q *Queue[T]) TryPop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if q.n == 0 {
		return zero, false
	}
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head = (q.head + 1) % len(q.items)
	q.n--
	return v, true
}

// Ready is signalled after a Push; wait on it when TryPop finds nothing.
// Close also signals it.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Len is the number of queued items.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Peek returns the oldest item without removing it.
func (q *Queue[T]) Peek() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if q.n == 0 {
		return zero, false
	}
	return q.items[q.head], true
}

// Dropped is the number of items dropped so far.
func (q *Queue[T]) Dropped() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Close makes later pushes fail; queued items can still be popped.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Closed reports whether Close was called.
func (q *Queue[T]) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
