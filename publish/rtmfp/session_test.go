package rtmfp

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"onair/internal/leaktest"
)

// lossyLink carries datagrams one way, losing some, after a delay.
type lossyLink struct {
	ch   chan []byte
	loss float64
	rng  *rand.Rand
	mu   sync.Mutex
}

func (l *lossyLink) send(d []byte) error {
	l.mu.Lock()
	lose := l.rng.Float64() < l.loss
	l.mu.Unlock()
	if !lose {
		select {
		case l.ch <- append([]byte(nil), d...):
		default: // a full link drops, as a router's queue would
		}
	}
	return nil
}

// sessionPair is two sessions joined by lossy links, with the crypto the
// handshake would have agreed.
type sessionPair struct {
	a, b  *session
	links [2]*lossyLink
	wg    sync.WaitGroup
	stop  chan struct{}
}

func newSessionPair(t *testing.T, loss float64, delay time.Duration, onFlowB func(*recvFlow) bool) *sessionPair {
	t.Helper()
	secret := []byte("shared")
	ca, err := sessionCrypto(secret, []byte("A"), []byte("B"), true, true, hmacLen, true, true)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := sessionCrypto(secret, []byte("B"), []byte("A"), true, true, hmacLen, true, true)
	// The receiving ends decrypt with their own crypto's rx state.
	rxA, _ := sessionCrypto(secret, []byte("A"), []byte("B"), true, true, hmacLen, true, true)
	rxB, _ := sessionCrypto(secret, []byte("B"), []byte("A"), true, true, hmacLen, true, true)
	p := &sessionPair{stop: make(chan struct{})}
	for i := range p.links {
		p.links[i] = &lossyLink{ch: make(chan []byte, 4096), loss: loss, rng: rand.New(rand.NewPCG(uint64(i), 7))}
	}
	p.a = newSession(sessionConfig{send: p.links[0].send, txSID: [4]byte{0, 0, 0, 2}, mode: modeInitiator, crypto: ca})
	p.b = newSession(sessionConfig{send: p.links[1].send, txSID: [4]byte{0, 0, 0, 1}, mode: modeResponder, crypto: cb, onFlow: onFlowB})
	deliver := func(l *lossyLink, to *session, rx *packetCrypto) {
		defer p.wg.Done()
		for {
			select {
			case <-p.stop:
				return
			case d := <-l.ch:
				time.Sleep(delay)
				if pkt, err := rx.open(d); err == nil {
					to.receive(pkt)
				} else {
					t.Errorf("a packet did not open: %v", err)
				}
			}
		}
	}
	p.wg.Add(2)
	go deliver(p.links[0], p.b, rxB)
	go deliver(p.links[1], p.a, rxA)
	return p
}

func (p *sessionPair) close() {
	p.a.close()
	p.b.close()
	close(p.stop)
	p.wg.Wait()
}

// TestReliableFlowUnderLoss: 300 messages of up to 5000 bytes (several
// fragments each) over links losing 10 % of packets both ways arrive
// whole and in order, and the losses show in the counters.
func TestReliableFlowUnderLoss(t *testing.T) {
	before := runtime.NumGoroutine()
	var mu sync.Mutex
	var got [][]byte
	all := make(chan struct{})
	const n = 300
	p := newSessionPair(t, 0.10, 0, func(f *recvFlow) bool {
		f.onMessage = func(m []byte) {
			mu.Lock()
			got = append(got, append([]byte(nil), m...))
			if len(got) == n {
				close(all)
			}
			mu.Unlock()
		}
		return true
	})
	f := p.a.openFlow(priRoutine, tcMetadata(0), 0, false)
	rng := rand.New(rand.NewPCG(1, 2))
	var sent [][]byte
	for i := 0; i < n; i++ {
		m := make([]byte, 4+rng.IntN(5000))
		binary.BigEndian.PutUint32(m, uint32(i))
		sent = append(sent, m)
		if err := p.a.write(f, m, &message{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		mu.Lock()
		t.Errorf("%d of %d messages came; stats %+v", len(got), n, p.a.statsNow())
		mu.Unlock()
	}
	mu.Lock()
	for i := range got {
		if !bytes.Equal(got[i], sent[i]) {
			t.Fatalf("message %d differs", i)
		}
	}
	mu.Unlock()
	st := p.a.statsNow()
	if st.Retransmits == 0 || st.Lost == 0 || st.BytesAcked == 0 {
		t.Errorf("stats under 10 %% loss: %+v", st)
	}
	t.Logf("sender: %+v", st)
	p.close()
	leaktest.Check(t, before, 2*time.Second)
}

// TestLiveMessagesAbandoned: with the link cut, messages past their
// deadline are abandoned (counted) instead of holding up the flow; once
// the link is back, the next messages arrive and the abandoned ones never
// do.
func TestLiveMessagesAbandoned(t *testing.T) {
	var mu sync.Mutex
	var got []uint32
	p := newSessionPair(t, 0, 0, func(f *recvFlow) bool {
		f.onMessage = func(m []byte) {
			mu.Lock()
			got = append(got, binary.BigEndian.Uint32(m))
			mu.Unlock()
		}
		return true
	})
	defer p.close()
	f := p.a.openFlow(priPriority, tcMetadata(1), 0, false)
	write := func(i uint32) {
		m := binary.BigEndian.AppendUint32(nil, i)
		if err := p.a.write(f, append(m, make([]byte, 3000)...), &message{deadline: time.Now().Add(300 * time.Millisecond), video: true}); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	time.Sleep(100 * time.Millisecond)
	p.links[0].mu.Lock()
	p.links[0].loss = 1
	p.links[0].mu.Unlock()
	for i := uint32(2); i <= 5; i++ {
		write(i)
	}
	time.Sleep(600 * time.Millisecond)
	p.links[0].mu.Lock()
	p.links[0].loss = 0
	p.links[0].mu.Unlock()
	write(6)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		last := uint32(0)
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		mu.Unlock()
		if last == 6 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != 1 || got[1] != 6 {
		t.Errorf("received %v, want [1 6]", got)
	}
	if st := p.a.statsNow(); st.Abandoned != 4 {
		t.Errorf("abandoned %d, want 4: %+v", st.Abandoned, st)
	}
}
