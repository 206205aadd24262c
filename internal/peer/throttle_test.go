package peer

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestThrottle sends through the proxy to a backend that counts: the bytes
// arrive at the rate set, and at once when the limit is lifted.
func TestThrottle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			got.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	th, err := StartThrottle(ln.Addr().String(), 200_000)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	c, err := net.Dial("tcp", th.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// until waits for the backend to have n bytes, and says how long that took.
	until := func(n int64) time.Duration {
		start := time.Now()
		for got.Load() < n {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("backend has %d bytes, want %d", got.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	if _, err := c.Write(make([]byte, 300_000)); err != nil {
		t.Fatal(err)
	}
	limited := until(300_000)
	th.SetRate(0)
	if _, err := c.Write(make([]byte, 4_000_000)); err != nil {
		t.Fatal(err)
	}
	free := until(4_300_000)
	t.Logf("300 KB at 200 KB/s arrived in %v; then 4 MB unlimited in %v", limited, free)
	if limited < 1300*time.Millisecond || limited > 2500*time.Millisecond {
		t.Errorf("300 KB at 200 KB/s arrived in %v, want about 1.5 s", limited)
	}
	if free > 2*time.Second {
		t.Errorf("4 MB unlimited took %v", free)
	}
	c.Close()
	<-done
}
