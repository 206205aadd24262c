package bufpool

import (
	"sync"
	"testing"
)

func TestPool(t *testing.T) {
	p := New(16, 2)
	if p.Size() != 16 {
		t.Fatalf("size %d", p.Size())
	}
	a, b, c := p.Get(), p.Get(), p.Get()
	if len(a) != 16 || len(b) != 16 || len(c) != 16 {
		t.Fatalf("sizes %d %d %d", len(a), len(b), len(c))
	}
	a[0], b[0], c[0] = 1, 2, 3
	p.Put(a)
	p.Put(b)
	p.Put(c)               // list full: dropped
	p.Put(make([]byte, 8)) // wrong size: dropped
	if n := p.Idle(); n != 2 {
		t.Fatalf("free list holds %d buffers, want 2", n)
	}
	got := []byte{p.Get()[0], p.Get()[0]}
	if got[0] != 1 || got[1] != 2 {
		t.Fatalf("reused buffers %v, want [1 2]", got)
	}
	if fresh := p.Get(); fresh[0] != 0 {
		t.Fatal("an empty list must allocate")
	}
}

func TestPoolPrefill(t *testing.T) {
	p := New(4, 3)
	p.Prefill(5, []byte{7, 7}) // more than the list holds: stops at 3
	if n := p.Idle(); n != 3 {
		t.Fatalf("free list holds %d buffers, want 3", n)
	}
	for i := 0; i < 3; i++ {
		if b := p.Get(); len(b) != 4 || b[0] != 7 || b[1] != 7 || b[2] != 0 {
			t.Fatalf("prefilled buffer %v, want [7 7 0 0]", b)
		}
	}
}

func TestPoolConcurrent(t *testing.T) {
	p := New(8, 4)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				p.Put(p.Get())
			}
		}()
	}
	wg.Wait()
	if n := p.Idle(); n > 4 {
		t.Fatalf("free list holds %d buffers, more than its capacity 4", n)
	}
}
