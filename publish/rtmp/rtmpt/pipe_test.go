package rtmpt

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// TestPipe: deadlines like a socket's, writes wait past maxOut,
// take holds until something comes.
func TestPipe(t *testing.T) {
	c := NewPipe(Addr("l"), Addr("r"), 4)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	go func() { time.Sleep(10 * time.Millisecond); c.Feed([]byte("ab")) }()
	p := make([]byte, 4)
	if n, err := c.Read(p); err != nil || string(p[:n]) != "ab" {
		t.Fatalf("read %q %v", p[:n], err)
	}
	if _, err := c.Write([]byte("1234")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Write([]byte("5")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past maxOut and the deadline: %v", err)
	}
	if got := c.Take(0); string(got) != "1234" {
		t.Fatalf("take %q", got)
	}
	start := time.Now()
	go func() { time.Sleep(30 * time.Millisecond); _, _ = c.Write([]byte("x")) }()
	_ = c.SetWriteDeadline(time.Time{})
	if got := c.Take(time.Second); string(got) != "x" || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("held take: %q after %v", got, time.Since(start))
	}
	c.Close()
	if _, err := c.Read(p); err != io.EOF {
		t.Fatalf("read after close: %v", err)
	}
	if got := c.Take(time.Second); got != nil {
		t.Fatalf("take after close: %q", got)
	}
}

// A pipe closed with an error gives it to reads and writes.
func TestPipeCloseWithError(t *testing.T) {
	c := NewPipe(Addr("l"), Addr("r"), 4)
	c.Feed([]byte("a"))
	boom := errors.New("boom")
	_ = c.CloseWithError(boom)
	_ = c.Close() // the first close sets the error
	p := make([]byte, 4)
	if n, err := c.Read(p); err != nil || n != 1 {
		t.Fatalf("what was fed comes first: %d %v", n, err)
	}
	if _, err := c.Read(p); !errors.Is(err, boom) {
		t.Fatalf("read: %v", err)
	}
	if _, err := c.Write(p); !errors.Is(err, boom) {
		t.Fatalf("write: %v", err)
	}
}
