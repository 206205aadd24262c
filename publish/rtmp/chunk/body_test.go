package chunk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// writeShared writes msgs as a server fanning them out does: each payload
// cut into a Body, a header of this Writer's own, then the Body's bytes;
// WriteMessage for the messages AppendHeader refuses. It returns the
// encoding and how many messages went through a Body.
func writeShared(chunkSize uint32, msgs []Message) ([]byte, int, error) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if chunkSize != 0 {
		if err := w.SetChunkSize(chunkSize); err != nil {
			return nil, 0, err
		}
	}
	shared := 0
	var hdr []byte
	for i := range msgs {
		m := &msgs[i]
		body, err := NewBody(m.ChunkStreamID, w.ChunkSize(), m.Payload)
		if err != nil {
			return nil, 0, fmt.Errorf("message %d: %w", i, err)
		}
		var ok bool
		if hdr, ok = w.AppendHeader(hdr[:0], m, body); ok {
			shared++
			buf.Write(hdr)
			buf.Write(body.Bytes())
		} else if err := w.WriteMessage(m); err != nil {
			return nil, 0, fmt.Errorf("message %d: %w", i, err)
		}
		if m.TypeID == TypeSetChunkSize {
			var s SetChunkSize
			if err := s.Unmarshal(m.Payload); err != nil {
				return nil, 0, fmt.Errorf("message %d: %w", i, err)
			}
			if err := w.SetChunkSize(s.Size); err != nil {
				return nil, 0, err
			}
		}
	}
	return buf.Bytes(), shared, nil
}

// TestBodyMatchesWriteMessage: a header from AppendHeader followed by the
// shared Body is byte for byte what WriteMessage writes, and our Reader
// decodes it to the same messages.
func TestBodyMatchesWriteMessage(t *testing.T) {
	for _, ca := range streamCases() {
		if ca.readOnly {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			want, err := writeMessages(ca.chunkSize, ca.msgs)
			if err != nil {
				t.Fatal(err)
			}
			got, shared, err := writeShared(ca.chunkSize, ca.msgs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("shared encoding differs from WriteMessage:\n% X\nwant\n% X", got[:min(len(got), 64)], want[:min(len(want), 64)])
			}
			msgs, err := readMessages(ReaderConfig{ChunkSize: ca.chunkSize}, got)
			if err != io.EOF {
				t.Fatalf("got error %v, want io.EOF", err)
			}
			checkMessages(t, msgs, ca.msgs)
			t.Logf("%d of %d messages through a Body", shared, len(ca.msgs))
		})
	}
}

// TestBodySharedByPeers: one Body per message serves several peers, each
// with its own timeline (as a server rebases every viewer's timestamps),
// and each peer decodes its own messages. A timeline far enough to need
// extended timestamps falls back to WriteMessage.
func TestBodySharedByPeers(t *testing.T) {
	const chunkSize = 4096
	var src []Message
	for i := 0; i < 60; i++ {
		csid, typ, n := 6, TypeVideo, 9000+i*1500
		if i%3 == 2 {
			csid, typ, n = 4, TypeAudio, 300+i
		}
		if i%20 == 0 {
			n = 150000 // a keyframe: many continuation chunks
		}
		src = append(src, Message{ChunkStreamID: csid, Timestamp: uint32(i * 21), TypeID: typ, StreamID: 1, Payload: pattern(n, byte(i))})
	}
	bodies := make([]*Body, len(src))
	for i := range src {
		var err error
		if bodies[i], err = NewBody(src[i].ChunkStreamID, chunkSize, src[i].Payload); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func() [][]byte {
		var bs [][]byte
		for _, b := range bodies {
			bs = append(bs, append([]byte(nil), b.Bytes()...))
		}
		return bs
	}
	before := snapshot()
	for _, base := range []uint32{0, 7, 5000, extendedTimestamp - 600, 0xFFFFFFFF - 500} {
		t.Run(fmt.Sprintf("base %#x", base), func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := w.SetChunkSize(chunkSize); err != nil {
				t.Fatal(err)
			}
			want := make([]Message, len(src))
			var hdr []byte
			shared := 0
			for i := range src {
				m := src[i]
				m.Timestamp += base
				want[i] = m
				var ok bool
				if hdr, ok = w.AppendHeader(hdr[:0], &m, bodies[i]); ok {
					shared++
					buf.Write(hdr)
					buf.Write(bodies[i].Bytes())
				} else if err := w.WriteMessage(&m); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readMessages(ReaderConfig{ChunkSize: chunkSize}, buf.Bytes())
			if err != io.EOF {
				t.Fatalf("got error %v, want io.EOF", err)
			}
			checkMessages(t, got, want)
			if base < extendedTimestamp-1000 && shared != len(src) {
				t.Errorf("%d of %d messages through a Body, want all", shared, len(src))
			}
			t.Logf("%d of %d messages through a Body", shared, len(src))
		})
	}
	if !equalBytes(snapshot(), before) {
		t.Error("a Body changed while being sent")
	}
}

func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestAppendHeaderRefuses: a Body of another chunk stream, chunk size or
// length is refused and leaves the Writer as it was.
func TestAppendHeaderRefuses(t *testing.T) {
	m := &Message{ChunkStreamID: 6, Timestamp: 40, TypeID: TypeVideo, StreamID: 1, Payload: pattern(300, 1)}
	mk := func(csid int, size uint32, n int) *Body {
		b, err := NewBody(csid, size, pattern(n, 1))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, ca := range []struct {
		name string
		body *Body
	}{
		{"nil", nil},
		{"other chunk stream", mk(4, DefaultChunkSize, 300)},
		{"other chunk size", mk(6, 4096, 300)},
		{"other length", mk(6, DefaultChunkSize, 299)},
	} {
		t.Run(ca.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			hdr, ok := w.AppendHeader([]byte("x"), m, ca.body)
			if ok || string(hdr) != "x" {
				t.Fatalf("AppendHeader accepted it: ok %v, % X", ok, hdr)
			}
			// The Writer still sends m with a fmt 0 header, as if new.
			if err := w.WriteMessage(m); err != nil {
				t.Fatal(err)
			}
			want, _ := writeMessages(0, []Message{*m})
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("after a refusal WriteMessage wrote\n% X\nwant\n% X", buf.Bytes()[:20], want[:20])
			}
		})
	}
	// A broken Writer refuses too.
	w := NewWriter(&failingWriter{err: errors.New("broken pipe")})
	_ = w.WriteMessage(m)
	if _, ok := w.AppendHeader(nil, m, mk(6, DefaultChunkSize, 300)); ok {
		t.Error("a broken Writer accepted a Body")
	}
}

func TestNewBodyInvalid(t *testing.T) {
	for _, ca := range []struct {
		name      string
		csid      int
		chunkSize uint32
		n         int
		want      error
	}{
		{"csid 1", 1, 128, 10, ErrInvalidChunkStreamID},
		{"chunk size 0", 6, 0, 10, ErrInvalidChunkSize},
		{"chunk size too large", 6, MaxChunkSize + 1, 10, ErrInvalidChunkSize},
		{"payload too large", 6, 4096, MaxMessageLength + 1, ErrMessageTooLarge},
	} {
		if _, err := NewBody(ca.csid, ca.chunkSize, make([]byte, ca.n)); !errors.Is(err, ca.want) {
			t.Errorf("%s: got error %v, want %v", ca.name, err, ca.want)
		}
	}
	for _, ca := range []struct {
		csid int
		n    int
		want int
	}{
		{6, 0, 0}, {6, 4096, 4096}, {6, 4097, 4098}, {6, 3 * 4096, 3*4096 + 2}, {64, 4097, 4099}, {320, 8193, 8199},
	} {
		b, err := NewBody(ca.csid, 4096, pattern(ca.n, 0))
		if err != nil || len(b.Bytes()) != ca.want {
			t.Errorf("csid %d, %d bytes: body of %d bytes (error %v), want %d", ca.csid, ca.n, len(b.Bytes()), err, ca.want)
		}
	}
}

func TestAppendHeaderAllocs(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.SetChunkSize(4096); err != nil {
		t.Fatal(err)
	}
	m := &Message{ChunkStreamID: 6, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)}
	body, err := NewBody(6, 4096, m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	hdr := make([]byte, 0, MaxHeaderLen)
	if _, ok := w.AppendHeader(hdr, m, body); !ok {
		t.Fatal("refused")
	}
	allocs := testing.AllocsPerRun(100, func() {
		m.Timestamp += 33
		if _, ok := w.AppendHeader(hdr, m, body); !ok {
			t.Fatal("refused")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per header", allocs)
	}
}

// TestAppendMessage: AppendMessage gives WriteMessage's bytes, extended
// timestamps included, and leaves the Writer in the same state.
func TestAppendMessage(t *testing.T) {
	for _, ca := range streamCases() {
		if ca.readOnly {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			want, err := writeMessages(ca.chunkSize, ca.msgs)
			if err != nil {
				t.Fatal(err)
			}
			w := NewWriter(io.Discard)
			if ca.chunkSize != 0 {
				if err := w.SetChunkSize(ca.chunkSize); err != nil {
					t.Fatal(err)
				}
			}
			var got []byte
			for i := range ca.msgs {
				m := &ca.msgs[i]
				shared := false
				if i%2 == 1 {
					// Every other message through a Body: both paths share
					// the Writer's state.
					body, err := NewBody(m.ChunkStreamID, w.ChunkSize(), m.Payload)
					if err != nil {
						t.Fatal(err)
					}
					var h []byte
					if h, shared = w.AppendHeader(got, m, body); shared {
						got = append(h, body.Bytes()...)
					}
				}
				if !shared {
					if got, err = w.AppendMessage(got, m); err != nil {
						t.Fatal(err)
					}
				}
				if m.TypeID == TypeSetChunkSize {
					var s SetChunkSize
					if err := s.Unmarshal(m.Payload); err != nil {
						t.Fatal(err)
					}
					if err := w.SetChunkSize(s.Size); err != nil {
						t.Fatal(err)
					}
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendMessage differs from WriteMessage:\n% X\nwant\n% X", got[:min(len(got), 64)], want[:min(len(want), 64)])
			}
		})
	}
	w := NewWriter(io.Discard)
	dst := []byte("x")
	if got, err := w.AppendMessage(dst, &Message{ChunkStreamID: 1}); !errors.Is(err, ErrInvalidChunkStreamID) || string(got) != "x" {
		t.Errorf("csid 1: got %q, error %v", got, err)
	}
}
