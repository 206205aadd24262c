package loopback

// internalOut is an output the server feeds from the hub as a viewer (the
// HLS segmenter, the recorder): a slow one loses units, it never holds the
// publisher up.
type internalOut interface {
	comparable
	hubReader() *Reader
	run()
}

// startInternal makes out with mk from a lazy hub reader of stream name
// (audio waits for the next video unit before waking it) and runs it on a
// server goroutine as outs[name], letting an older one go; it leaves outs
// when its run ends. outs is guarded by s.mu.
func startInternal[T internalOut](s *Server, outs map[string]T, name string, mk func(*Reader) T) {
	r, err := s.hub.Play(name, "internal")
	if err != nil {
		return
	}
	r.setLazy()
	o := mk(r)
	s.mu.Lock()
	old, had := outs[name]
	outs[name] = o
	s.mu.Unlock()
	if had {
		s.hub.Leave(name, old.hubReader())
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		o.run()
		s.mu.Lock()
		if outs[name] == o {
			delete(outs, name)
		}
		s.mu.Unlock()
	}()
}
