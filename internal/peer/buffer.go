package peer

import (
	"bytes"
	"sync"
)

// LockedBuffer is a bytes.Buffer that goroutines may share: a peer's
// output, written by exec's copying goroutines while a test or the bench
// reads it.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
