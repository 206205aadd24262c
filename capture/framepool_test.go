package capture

import "testing"

// TestFramePool checks that the sources' names reach the pool; the pool
// itself is tested in internal/bufpool.
func TestFramePool(t *testing.T) {
	p := newFramePool(16, 2)
	if p.size != 16 || p.Size() != 16 {
		t.Fatalf("size %d, Size %d; want 16", p.size, p.Size())
	}
	p.prefill(1, []byte{9})
	a := p.get()
	if len(a) != 16 || a[0] != 9 {
		t.Fatalf("got %v, want the prefilled buffer", a)
	}
	p.put(a)
	p.put(make([]byte, 8)) // wrong size: dropped
	if n := p.Idle(); n != 1 {
		t.Fatalf("free list holds %d buffers, want 1", n)
	}
}
