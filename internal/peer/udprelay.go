package peer

import (
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Impairment is what a UDPRelay does to each datagram, both ways.
type Impairment struct {
	Loss    float64       // share of datagrams dropped, 0..1
	Delay   time.Duration // added to every datagram
	Reorder float64       // share of datagrams held back an extra 0–Jitter
	Jitter  time.Duration // the most a reordered datagram is held back
}

// UDPRelay forwards UDP datagrams between its clients and a backend,
// losing, delaying and reordering some: a bad network path on loopback.
// Each client address gets its own socket toward the backend, as a NAT
// would.
type UDPRelay struct {
	ln      *net.UDPConn
	backend *net.UDPAddr
	imp     atomic.Pointer[Impairment]
	lost    atomic.Int64

	mu      sync.Mutex
	rng     *rand.Rand
	clients map[string]*net.UDPConn
	closed  bool
	wg      sync.WaitGroup
	timers  sync.WaitGroup
}

// StartUDPRelay relays to backend (host:port) with imp.
func StartUDPRelay(backend string, imp Impairment) (*UDPRelay, error) {
	ba, err := net.ResolveUDPAddr("udp", backend)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	r := &UDPRelay{ln: ln, backend: ba, rng: rand.New(rand.NewPCG(1, 2)), clients: map[string]*net.UDPConn{}}
	r.imp.Store(&imp)
	r.wg.Add(1)
	go r.fromClients()
	return r, nil
}

// Addr is where clients send.
func (r *UDPRelay) Addr() string { return r.ln.LocalAddr().String() }

// Set changes the impairment.
func (r *UDPRelay) Set(imp Impairment) { r.imp.Store(&imp) }

// Lost is how many datagrams the relay dropped on purpose.
func (r *UDPRelay) Lost() int64 { return r.lost.Load() }

// pass sends d with write after the impairment's delay, or drops it.
func (r *UDPRelay) pass(d []byte, write func([]byte)) {
	imp := r.imp.Load()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	lose := r.rng.Float64() < imp.Loss
	delay := imp.Delay
	if imp.Reorder > 0 && imp.Jitter > 0 && r.rng.Float64() < imp.Reorder {
		delay += time.Duration(r.rng.Int64N(int64(imp.Jitter)))
	}
	if !lose {
		r.timers.Add(1)
	}
	r.mu.Unlock()
	if lose {
		r.lost.Add(1)
		return
	}
	if delay == 0 {
		defer r.timers.Done()
		write(d)
		return
	}
	time.AfterFunc(delay, func() { defer r.timers.Done(); write(d) })
}

func (r *UDPRelay) fromClients() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := r.ln.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		up := r.upstream(from)
		if up == nil {
			return
		}
		r.pass(append([]byte(nil), buf[:n]...), func(d []byte) { _, _ = up.Write(d) })
	}
}

// upstream is client from's socket toward the backend.
func (r *UDPRelay) upstream(from *net.UDPAddr) *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if c := r.clients[from.String()]; c != nil {
		return c
	}
	c, err := net.DialUDP("udp", nil, r.backend)
	if err != nil {
		return nil
	}
	r.clients[from.String()] = c
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			r.pass(append([]byte(nil), buf[:n]...), func(d []byte) { _, _ = r.ln.WriteToUDP(d, from) })
		}
	}()
	return c
}

// Close stops the relay and waits for its goroutines and the datagrams
// still held back.
func (r *UDPRelay) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.timers.Wait()
	_ = r.ln.Close()
	r.mu.Lock()
	for _, c := range r.clients {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
