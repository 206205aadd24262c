package hls

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	w := window{size: 3}
	if w.lookup(0) != nil || len(w.playlist()) != 0 {
		t.Fatal("empty window has segments")
	}
	for seq := uint64(0); seq < 10; seq++ {
		w.push(&segment{seq: seq, dur: time.Duration(seq%4) * time.Second})
		if len(w.segs) > w.size+graceSegments {
			t.Fatalf("%d segments held", len(w.segs))
		}
		pl := w.playlist()
		if len(pl) != min(int(seq)+1, w.size) || pl[len(pl)-1].seq != seq {
			t.Fatalf("after %d: playlist of %d ending with %d", seq, len(pl), pl[len(pl)-1].seq)
		}
		for s := uint64(0); s <= seq+1; s++ {
			kept := s <= seq && s+uint64(w.size+graceSegments) > seq
			if got := w.lookup(s); (got != nil) != kept || got != nil && got.seq != s {
				t.Errorf("after %d: lookup(%d) = %v, want kept %v", seq, s, got, kept)
			}
		}
	}
	if w.longest != 3*time.Second {
		t.Errorf("longest %v", w.longest)
	}
}
