package capture

import "sync"

// stopErr is why a source stopped on its own before Close: recorded by its
// goroutine (or device callback), read by its Err method from any
// goroutine. The first reason recorded stays.
type stopErr struct {
	mu  sync.Mutex
	err error
}

// set records err unless a reason is already recorded, and reports
// whether it did.
func (s *stopErr) set(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	s.err = err
	return true
}

// get is the reason recorded, nil while the source runs.
func (s *stopErr) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
