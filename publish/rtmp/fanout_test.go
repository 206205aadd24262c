package rtmp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"onair/publish/rtmp/chunk"
)

// fanoutPair is a server session on one end of a TCP connection, past the
// set-up (chunk size sent, stream 1), and the player's end, read with our
// chunk Reader.
type fanoutPair struct {
	s  *ServerSession
	nc net.Conn // the player's end
	r  *chunk.Reader
}

func newFanoutPair(t *testing.T, chunkSize uint32) *fanoutPair {
	t.Helper()
	ln := listen(t)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- nc
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	snc := <-accepted
	if snc == nil {
		t.Fatal("accept failed")
	}
	s := NewServerSession(snc, ServerConfig{ChunkSize: chunkSize, WriteTimeout: 5 * time.Second, Logger: discardLogger()})
	s.streamID = 1
	if err := s.setChunkSize(chunkSize); err != nil {
		t.Fatal(err)
	}
	r, err := chunk.NewReader(bufio.NewReader(nc), chunk.ReaderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := &fanoutPair{s: s, nc: nc, r: r}
	t.Cleanup(func() { s.Close(); nc.Close() })
	return p
}

// read returns the next n media messages the player receives; from any
// goroutine.
func (p *fanoutPair) read(n int) ([]chunk.Message, error) {
	_ = p.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []chunk.Message
	for len(got) < n {
		m, err := p.r.ReadMessage()
		if err != nil {
			return got, fmt.Errorf("after %d of %d messages: %w", len(got), n, err)
		}
		if m.TypeID == typeAudio || m.TypeID == typeVideo || m.TypeID == typeDataAMF0 {
			got = append(got, *m)
		}
	}
	return got, nil
}

// readAsync reads n media messages in another goroutine.
func (p *fanoutPair) readAsync(n int) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		got, err := p.read(n)
		ch <- readResult{got, err}
	}()
	return ch
}

type readResult struct {
	msgs []chunk.Message
	err  error
}

func (r readResult) check(t *testing.T, want []Out) {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkMedia(t, r.msgs, want)
}

func mediaMessage(o Out) chunk.Message {
	return chunk.Message{ChunkStreamID: mediaCSID(o.TypeID), TypeID: o.TypeID, StreamID: 1, Timestamp: o.Timestamp, Payload: o.Payload}
}

func checkMedia(t *testing.T, got []chunk.Message, want []Out) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		w := mediaMessage(want[i])
		g := got[i]
		if g.ChunkStreamID != w.ChunkStreamID || g.TypeID != w.TypeID || g.StreamID != w.StreamID ||
			g.Timestamp != w.Timestamp || !bytes.Equal(g.Payload, w.Payload) {
			t.Fatalf("message %d: got csid %d type %d stream %d ts %#x len %d, want csid %d type %d stream %d ts %#x len %d",
				i, g.ChunkStreamID, g.TypeID, g.StreamID, g.Timestamp, len(g.Payload),
				w.ChunkStreamID, w.TypeID, w.StreamID, w.Timestamp, len(w.Payload))
		}
	}
}

// fanoutStream is a stream's media, prepared for chunkSize, with sizes from
// audio frames to a keyframe of many chunks.
func fanoutStream(n int, chunkSize uint32) []*Prepared {
	var ps []*Prepared
	for i := 0; i < n; i++ {
		typ, size := uint8(typeVideo), 8000+i*700
		switch {
		case i%3 == 1:
			typ, size = typeAudio, 370
		case i%17 == 0:
			size = 180000
		case i == 5:
			typ, size = typeDataAMF0, 200
		}
		payload := make([]byte, size)
		for j := range payload {
			payload[j] = byte(i*31 + j)
		}
		ps = append(ps, Prepare(typ, payload, chunkSize))
	}
	return ps
}

func timed(ps []*Prepared, base uint32) []Out {
	out := make([]Out, len(ps))
	for i, p := range ps {
		out[i] = Out{Timestamp: base + uint32(i)*20, Prepared: p}
	}
	return out
}

// TestPreparedDecodes: media sent through the shared encoding, in batches
// with WritePrepared, one at a time with TryWritePrepared and with
// WriteMedia, decode to the same messages, whichever way each went: a
// shared Body, or the whole message for this session when the chunk size
// differs or the timestamps need the extended field.
func TestPreparedDecodes(t *testing.T) {
	for _, ca := range []struct {
		name        string
		chunkSize   uint32 // the session's
		preparedFor uint32
		base        uint32
	}{
		{"shared", 4096, 4096, 0},
		{"other chunk size", 4096, 128, 0},
		{"extended timestamps", 4096, 4096, 0xFFFFFF - 300},
		{"small chunks", 128, 128, 1000},
	} {
		t.Run(ca.name, func(t *testing.T) {
			checkLeaks(t)
			p := newFanoutPair(t, ca.chunkSize)
			want := timed(fanoutStream(60, ca.preparedFor), ca.base)
			done := p.readAsync(len(want))
			for i := 0; i < len(want); {
				k := min(len(want)-i, 1+i%4)
				batch := want[i : i+k]
				switch i % 3 {
				case 0:
					if err := p.s.WritePrepared(batch); err != nil {
						t.Fatal(err)
					}
				case 1:
					for j := range batch {
						taken, unsent := p.s.TryWritePrepared(batch[j])
						if !taken {
							if err := p.s.WritePrepared(batch[j:]); err != nil {
								t.Fatal(err)
							}
							break
						}
						if unsent {
							if err := p.s.Flush(); err != nil {
								t.Fatal(err)
							}
						}
					}
				default:
					for _, m := range batch {
						if err := p.s.WriteMedia(m.TypeID, m.Timestamp, m.Payload); err != nil {
							t.Fatal(err)
						}
					}
				}
				i += k
			}
			(<-done).check(t, want)
			var total uint64
			for _, m := range want {
				total += uint64(len(m.Payload))
			}
			if got := p.s.BytesSent(); got != total {
				t.Errorf("BytesSent %d, want %d", got, total)
			}
		})
	}
}

// TestTryWritePreparedNeverBlocks: to a player that does not read,
// TryWritePrepared returns at once; once the socket is full it leaves the
// rest of a message pending and takes nothing more; Flush and WritePrepared
// send the pending bytes first, so the player gets everything in order.
func TestTryWritePreparedNeverBlocks(t *testing.T) {
	checkLeaks(t)
	p := newFanoutPair(t, 4096)
	want := timed(fanoutStream(400, 4096), 0)
	i, unsentAt := 0, -1
	for ; i < len(want) && unsentAt < 0; i++ {
		start := time.Now()
		taken, unsent := p.s.TryWritePrepared(want[i])
		if d := time.Since(start); d > time.Second {
			t.Fatalf("TryWritePrepared took %v", d)
		}
		if !taken {
			t.Fatalf("message %d not taken, with nothing pending", i)
		}
		if unsent {
			unsentAt = i
		}
	}
	if unsentAt < 0 {
		t.Fatalf("%d messages never filled the socket", len(want))
	}
	if taken, _ := p.s.TryWritePrepared(want[i]); taken {
		t.Fatal("taken with bytes pending")
	}
	t.Logf("socket full at message %d", unsentAt)
	done := p.readAsync(len(want))
	if err := p.s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := p.s.WritePrepared(want[i:]); err != nil {
		t.Fatal(err)
	}
	(<-done).check(t, want)
}

// TestPreparedSharedBySessions: several sessions send the same Prepared
// messages at once, each on its own timeline; each player decodes its own.
func TestPreparedSharedBySessions(t *testing.T) {
	checkLeaks(t)
	ps := fanoutStream(80, 4096)
	bases := []uint32{0, 777, 0xFFFFFF - 500}
	pairs := make([]*fanoutPair, len(bases))
	reads := make([]<-chan readResult, len(bases))
	errs := make(chan error, len(bases))
	for i, base := range bases {
		pairs[i] = newFanoutPair(t, 4096)
		want := timed(ps, base)
		reads[i] = pairs[i].readAsync(len(want))
		go func(i int, s *ServerSession) {
			for j := 0; j < len(want); j++ {
				if taken, _ := s.TryWritePrepared(want[j]); !taken {
					if err := s.WritePrepared(want[j : j+1]); err != nil {
						errs <- fmt.Errorf("session %d: %w", i, err)
						return
					}
				}
			}
			errs <- s.Flush()
		}(i, pairs[i].s)
	}
	for range bases {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, base := range bases {
		(<-reads[i]).check(t, timed(ps, base))
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestTryWritePreparedAllocs: the fan-out path allocates nothing.
func TestTryWritePreparedAllocs(t *testing.T) {
	checkLeaks(t)
	p := newFanoutPair(t, 4096)
	go func() { _, _ = io.Copy(io.Discard, p.nc) }()
	video := Prepare(typeVideo, make([]byte, 12000), 4096)
	audio := Prepare(typeAudio, make([]byte, 300), 4096)
	ts := uint32(0)
	send := func() {
		ts += 21
		if taken, unsent := p.s.TryWritePrepared(Out{ts, video}, Out{ts, audio}, Out{ts, audio}); !taken || unsent {
			// The reader is slow for once: let it catch up.
			if !taken {
				_ = p.s.WritePrepared([]Out{{ts, video}, {ts, audio}, {ts, audio}})
			}
			_ = p.s.Flush()
		}
	}
	send()
	if allocs := testing.AllocsPerRun(200, send); allocs != 0 {
		t.Errorf("%v allocations per TryWritePrepared", allocs)
	}
}
