package capture

import "testing"

func TestFramePool(t *testing.T) {
	p := newFramePool(16, 2)
	a, b, c := p.get(), p.get(), p.get()
	if len(a) != 16 || len(b) != 16 || len(c) != 16 {
		t.Fatalf("sizes %d %d %d", len(a), len(b), len(c))
	}
	a[0], b[0], c[0] = 1, 2, 3
	p.put(a)
	p.put(b)
	p.put(c)               // list full: dropped
	p.put(make([]byte, 8)) // wrong size: dropped
	if n := len(p.free); n != 2 {
		t.Fatalf("free list holds %d buffers, want 2", n)
	}
	got := []byte{p.get()[0], p.get()[0]}
	if got[0] != 1 || got[1] != 2 {
		t.Fatalf("reused buffers %v, want [1 2]", got)
	}
	if fresh := p.get(); fresh[0] != 0 {
		t.Fatal("an empty list must allocate")
	}
}
