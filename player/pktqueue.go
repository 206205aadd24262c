package player

import (
	"context"
	"sync"
	"time"

	"github.com/asticode/go-astiav"
)

// packet is one demuxed access unit on its way to a decoder. p is owned by
// whoever holds the packet; free it with release.
type packet struct {
	p        *astiav.Packet
	pts, dts time.Duration
	key      bool
	size     int
	gen      int64 // a flush marker's (p nil) seek generation
}

func (k packet) release() {
	if k.p != nil {
		k.p.Free()
	}
}

// pktQueue is the bounded hand-off from the reader to one decoder.
//
// For a live source Push never waits: past the capacity the oldest packets
// are dropped and counted — for video, up to the next keyframe, since the
// decoder could not use the packets in between. For a file Push waits for
// room instead, so a file is read only as fast as it plays.
type pktQueue struct {
	mu       sync.Mutex
	items    []packet
	max      int  // most packets held
	live     bool // drop instead of waiting
	video    bool // drop to the next keyframe
	dropped  int64
	closed   bool
	awaitKey bool
	started  bool          // a packet was accepted: drops before the first keyframe are not losses
	ready    chan struct{} // signalled after a push or close
	room     chan struct{} // signalled after a pop
}

func newPktQueue(max int, live, video bool) *pktQueue {
	return &pktQueue{max: max, live: live, video: video, awaitKey: video, ready: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Push queues k (taking ownership). It reports false when k was dropped or
// ctx ended while waiting for room.
func (q *pktQueue) Push(ctx context.Context, k packet) bool {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			k.release()
			return false
		}
		if len(q.items) < q.max || q.live {
			break
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			k.release()
			return false
		case <-q.room:
		}
	}
	defer q.mu.Unlock()
	if q.awaitKey {
		if !k.key {
			if q.started {
				q.dropped++
			}
			k.release()
			return false
		}
		q.awaitKey = false
	}
	if len(q.items) >= q.max {
		q.dropOldestLocked()
		if q.video {
			for len(q.items) > 0 && !q.items[0].key {
				q.dropOldestLocked()
			}
			if len(q.items) == 0 && !k.key {
				q.awaitKey = true
				q.dropped++
				k.release()
				return false
			}
		}
	}
	q.items = append(q.items, k)
	q.started = true
	signal(q.ready)
	return true
}

func (q *pktQueue) dropOldestLocked() {
	q.items[0].release()
	q.items[0] = packet{}
	q.items = q.items[1:]
	q.dropped++
}

// Pop takes the oldest packet, waiting for one. ok is false when the queue
// is closed and empty, or ctx ended.
func (q *pktQueue) Pop(ctx context.Context) (packet, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			k := q.items[0]
			q.items[0] = packet{}
			q.items = q.items[1:]
			q.mu.Unlock()
			signal(q.room)
			return k, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return packet{}, false
		}
		select {
		case <-ctx.Done():
			return packet{}, false
		case <-q.ready:
		}
	}
}

// Span is the time covered by the queued packets (newest PTS − oldest).
func (q *pktQueue) Span() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) < 2 {
		return 0
	}
	return q.items[len(q.items)-1].pts - q.items[0].pts
}

// Len is the number of queued packets.
func (q *pktQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Dropped counts the packets dropped so far.
func (q *pktQueue) Dropped() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Flush drops everything queued (not counted: a seek, not a loss) and
// waits for the next keyframe on a video queue.
func (q *pktQueue) Flush() {
	q.mu.Lock()
	for _, k := range q.items {
		k.release()
	}
	q.items = q.items[:0]
	q.awaitKey = q.video
	q.mu.Unlock()
	signal(q.room)
}

// Close ends the queue: Pop drains what is left, then reports false.
func (q *pktQueue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	signal(q.ready)
	signal(q.room)
}

// Discard frees everything left; call once no goroutine uses the queue.
func (q *pktQueue) Discard() {
	q.mu.Lock()
	for _, k := range q.items {
		k.release()
	}
	q.items = nil
	q.closed = true
	q.mu.Unlock()
}
