package publish

import (
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/publish/rtmp/chunk"
)

// bigVideo is a video packet of n bytes (an IDR slice when key) carrying
// id, as videoPacket's.
func bigVideo(id int, dts time.Duration, key bool, n int) *media.Packet {
	p := videoPacket(id, dts, key)
	body := make([]byte, n)
	copy(body, p.Data[:len(p.Data)-1])
	for i := len(p.Data) - 1; i < n; i++ {
		body[i] = 0x55
	}
	body[n-1] = 0x80
	p.Data = body
	return p
}

// TestPublisherKernelBacklog: a server that reads 1 MB/s from a small
// receive buffer leaves a burst of 4 MB in the publisher's socket, not its
// queue. Stats sees it: Unsent bytes, the rate the link carries, and the
// time they take in QueueSpan.
func TestPublisherKernelBacklog(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServerRcvbuf(t, testKey, 16<<10, func(conn int, m *chunk.Message) bool {
		if m.TypeID == chunk.TypeVideo {
			time.Sleep(20 * time.Millisecond) // 20 KB tags: 1 MB/s
		}
		return false
	})
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), FlushTimeout: 10 * time.Millisecond})
	drain(t, srv, nil)
	const n = 200
	for i := 0; i < n; i++ {
		p.Push(bigVideo(i, time.Duration(i)*time.Second/30, i == 0, 20<<10))
	}
	time.Sleep(1500 * time.Millisecond)
	var s Stats
	for i := 0; i < 10; i++ { // a few readings: the rate settles
		s = p.Stats()
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after 2.5 s: unsent %d B, send rate %.0f B/s, queue %v (send queue %d packets)", s.Unsent, s.SendRate, s.QueueSpan, p.queue.Len())
	if s.Unsent < 64<<10 {
		t.Errorf("unsent %d B, want the socket to hold more than 64 KB of a 4 MB burst read at 1 MB/s", s.Unsent)
	}
	if s.SendRate < 0.5e6 || s.SendRate > 1.5e6 {
		t.Errorf("send rate %.0f B/s, want about 1 MB/s (what the server reads)", s.SendRate)
	}
	kernel := time.Duration(float64(s.Unsent) / s.SendRate * float64(time.Second))
	if s.QueueSpan < kernel*9/10 {
		t.Errorf("QueueSpan %v, want at least the kernel's %v (%d B at %.0f B/s)", s.QueueSpan, kernel, s.Unsent, s.SendRate)
	}
}

// TestPublisherDropAfter: with DropAfter, a destination that cannot keep
// up drops video up to a keyframe instead of falling behind; what reaches
// the server resumes at keyframes, and it stays near DropAfter behind.
func TestPublisherDropAfter(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServerRcvbuf(t, testKey, 16<<10, func(conn int, m *chunk.Message) bool {
		if m.TypeID == chunk.TypeVideo {
			time.Sleep(50 * time.Millisecond) // 10 KB tags: 200 KB/s
		}
		return false
	})
	const dropAfter = 500 * time.Millisecond
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), DropAfter: dropAfter, FlushTimeout: 10 * time.Millisecond})
	var got []bigTag
	drained := drain(t, srv, func(m *chunk.Message) {
		if p := m.Payload; m.TypeID == chunk.TypeVideo && len(p) > 14 && p[1] == 1 {
			got = append(got, bigTag{id: int(p[12])<<8 | int(p[13]), key: p[0] == 0x17})
		}
	})
	// 30 fps of 10 KB (300 KB/s), a keyframe every 15 frames, for 4 s.
	const frames = 120
	start := time.Now()
	var worst time.Duration
	sawShedding := false
	for i := 0; i < frames; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / 30)))
		p.Push(bigVideo(i, time.Duration(i)*time.Second/30, i%15 == 0, 10<<10))
		s := p.Stats()
		sawShedding = sawShedding || s.Shedding
		if i > 60 {
			worst = max(worst, s.QueueSpan)
		}
	}
	if !sawShedding {
		t.Errorf("Stats().Shedding never true while dropping")
	}
	s := p.Stats()
	t.Logf("dropped %d of %d, worst queue in the last 2 s %v", s.Dropped, frames, worst)
	if s.Dropped == 0 {
		t.Errorf("nothing dropped sending 300 KB/s over 200 KB/s")
	}
	if worst > 2*dropAfter {
		t.Errorf("queue reached %v, want it held near DropAfter (%v)", worst, dropAfter)
	}
	p.Close()
	drained()
	prev := -1
	for _, g := range got {
		if prev >= 0 && g.id != prev+1 && !g.key {
			t.Errorf("after picture %d came %d, not a keyframe", prev, g.id)
		}
		prev = g.id
	}
}

// bigTag is what the server got of a bigVideo packet.
type bigTag struct {
	id  int
	key bool
}

// drain reads the server's events in a goroutine until the test ends, or
// until the returned function is called, which waits for it; each message
// goes to f (when not nil) on that goroutine.
func drain(t *testing.T, srv *fakeServer, f func(*chunk.Message)) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case e := <-srv.events:
				if e.m != nil && f != nil {
					f(e.m)
				}
			case <-stop:
				return
			}
		}
	}()
	var once sync.Once
	end := func() { once.Do(func() { close(stop); <-done }) }
	t.Cleanup(end)
	return end
}
