package chunk

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestWriterGolden(t *testing.T) {
	for _, ca := range streamCases() {
		if ca.enc == nil || ca.readOnly {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			enc, err := writeMessages(ca.chunkSize, ca.msgs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, ca.enc) {
				t.Errorf("got\n% X\nwant\n% X", enc, ca.enc)
			}
		})
	}
}

func TestWriterInvalid(t *testing.T) {
	for _, ca := range []struct {
		name string
		m    Message
		want error
	}{
		{"csid 0", Message{ChunkStreamID: 0}, ErrInvalidChunkStreamID},
		{"csid 1", Message{ChunkStreamID: 1}, ErrInvalidChunkStreamID},
		{"csid 65600", Message{ChunkStreamID: 65600}, ErrInvalidChunkStreamID},
		{"csid -1", Message{ChunkStreamID: -1}, ErrInvalidChunkStreamID},
		{"payload too large", Message{ChunkStreamID: 3, Payload: make([]byte, MaxMessageLength+1)}, ErrMessageTooLarge},
	} {
		t.Run(ca.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := w.WriteMessage(&ca.m); !errors.Is(err, ca.want) {
				t.Fatalf("got error %v, want %v", err, ca.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
			// The Writer still works.
			if err := w.WriteMessage(&Message{ChunkStreamID: 3}); err != nil {
				t.Fatal(err)
			}
		})
	}

	w := NewWriter(io.Discard)
	for _, n := range []uint32{0, MaxChunkSize + 1, 0xFFFFFFFF} {
		if err := w.SetChunkSize(n); !errors.Is(err, ErrInvalidChunkSize) {
			t.Errorf("SetChunkSize(%d): got error %v, want ErrInvalidChunkSize", n, err)
		}
	}
	if w.ChunkSize() != DefaultChunkSize {
		t.Errorf("chunk size changed to %d", w.ChunkSize())
	}
	for _, n := range []uint32{1, MaxChunkSize} {
		if err := w.SetChunkSize(n); err != nil || w.ChunkSize() != n {
			t.Errorf("SetChunkSize(%d): error %v, chunk size %d", n, err, w.ChunkSize())
		}
	}
}

type failingWriter struct {
	n   int // bytes accepted before failing
	err error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterErrorIsFinal(t *testing.T) {
	errBroken := errors.New("broken pipe")
	w := NewWriter(&failingWriter{n: 100, err: errBroken})
	m := &Message{ChunkStreamID: 6, TypeID: TypeVideo, StreamID: 1, Payload: pattern(300, 0)}
	if err := w.WriteMessage(m); !errors.Is(err, errBroken) {
		t.Fatalf("got error %v, want %v", err, errBroken)
	}
	if err := w.WriteMessage(&Message{ChunkStreamID: 3}); !errors.Is(err, errBroken) {
		t.Fatalf("after failure: got error %v, want %v", err, errBroken)
	}
}

func TestWriterAllocs(t *testing.T) {
	w := NewWriter(io.Discard)
	if err := w.SetChunkSize(4096); err != nil {
		t.Fatal(err)
	}
	m := &Message{ChunkStreamID: 6, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)}
	if err := w.WriteMessage(m); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		m.Timestamp += 33
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
		m.Timestamp += 0x1000000 // extended delta, continuation chunks with the extended field
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per message", allocs)
	}
}

// BenchmarkWriter writes a 100 kB video message at chunk size 4096.
func BenchmarkWriter(b *testing.B) {
	bw := bufio.NewWriterSize(io.Discard, 64<<10)
	w := NewWriter(bw)
	if err := w.SetChunkSize(4096); err != nil {
		b.Fatal(err)
	}
	m := &Message{ChunkStreamID: 6, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)}
	b.SetBytes(int64(len(m.Payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Timestamp += 33
		if err := w.WriteMessage(m); err != nil {
			b.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
}
