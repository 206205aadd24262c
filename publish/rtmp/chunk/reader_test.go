package chunk

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

func TestReaderGolden(t *testing.T) {
	for _, ca := range streamCases() {
		if ca.enc == nil {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			got, err := readMessages(ReaderConfig{ChunkSize: ca.chunkSize}, ca.enc)
			if err != io.EOF {
				t.Fatalf("got error %v, want io.EOF", err)
			}
			checkMessages(t, got, ca.msgs)
		})
	}
}

// encodings returns the hand-made or written encoding of each case.
func encodings(t testing.TB) map[string][]byte {
	encs := make(map[string][]byte)
	for _, ca := range streamCases() {
		enc := ca.enc
		if enc == nil {
			var err error
			if enc, err = writeMessages(ca.chunkSize, ca.msgs); err != nil {
				t.Fatal(err)
			}
		}
		encs[ca.name] = enc
	}
	return encs
}

func TestReaderBytesRead(t *testing.T) {
	for _, ca := range streamCases() {
		enc := encodings(t)[ca.name]
		r, err := NewReader(bytes.NewReader(enc), ReaderConfig{ChunkSize: ca.chunkSize})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.ReadMessage(); err != nil {
				break
			}
		}
		if r.BytesRead() != uint64(len(enc)) {
			t.Errorf("%s: BytesRead() = %d, want %d", ca.name, r.BytesRead(), len(enc))
		}
	}
}

// TestReaderTruncated cuts each encoding at every byte offset (for the
// larger ones, at every offset near a message boundary and at a sample of
// the others) and checks that reading ends with io.EOF exactly at message
// boundaries with no incomplete message, and with io.ErrUnexpectedEOF anywhere
// else.
func TestReaderTruncated(t *testing.T) {
	for _, ca := range streamCases() {
		enc := encodings(t)[ca.name]
		cfg := ReaderConfig{ChunkSize: ca.chunkSize}

		// Offsets where a message ends and no other is incomplete.
		boundaries := map[int]bool{0: true}
		r, err := NewReader(bytes.NewReader(enc), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.ReadMessage(); err != nil {
				break
			}
			if r.partial == 0 {
				boundaries[int(r.BytesRead())] = true
			}
		}

		near := func(i int) bool {
			for d := -40; d <= 40; d++ {
				if boundaries[i+d] {
					return true
				}
			}
			return false
		}
		for i := 0; i < len(enc); i++ {
			if len(enc) > 8<<10 && !near(i) && i%101 != 0 {
				continue
			}
			got, err := readMessages(cfg, enc[:i])
			if boundaries[i] {
				if err != io.EOF {
					t.Fatalf("%s: cut at %d (message boundary): got error %v, want io.EOF", ca.name, i, err)
				}
			} else if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s: cut at %d: got error %v, want io.ErrUnexpectedEOF", ca.name, i, err)
			}
			if len(got) > len(ca.msgs) {
				t.Fatalf("%s: cut at %d: %d messages", ca.name, i, len(got))
			}
		}
	}
}

func TestReaderErrors(t *testing.T) {
	for _, ca := range []struct {
		name string
		cfg  ReaderConfig
		enc  []byte
		good int // messages read before the error
		want error
	}{
		{
			name: "oversize message",
			cfg:  ReaderConfig{MaxMessageLength: 100},
			enc:  hexBytes("03 000000 000065 09 01000000"),
			want: ErrMessageTooLarge,
		},
		{
			name: "oversize message with fmt 1",
			cfg:  ReaderConfig{MaxMessageLength: 100},
			enc:  cat(hexBytes("03 000000 000001 09 01000000 00"), hexBytes("43 000000 000065 09")),
			good: 1,
			want: ErrMessageTooLarge,
		},
		{
			name: "fmt 3 on unknown csid",
			enc:  hexBytes("C3 00"),
			want: ErrNoPreviousHeader,
		},
		{
			name: "fmt 1 on unknown csid",
			enc:  hexBytes("43 000000 000001 09 00"),
			want: ErrNoPreviousHeader,
		},
		{
			name: "fmt 2 on unknown csid",
			enc:  cat(hexBytes("03 000000 000001 09 01000000 00"), hexBytes("84 000000 00")),
			good: 1,
			want: ErrNoPreviousHeader,
		},
		{
			name: "zero chunk size",
			enc:  hexBytes("02 000000 000004 01 00000000 00000000"),
			want: ErrInvalidChunkSize,
		},
		{
			name: "chunk size with the first bit set",
			enc:  hexBytes("02 000000 000004 01 00000000 80000000"),
			want: ErrInvalidChunkSize,
		},
		{
			name: "short Set Chunk Size",
			enc:  hexBytes("02 000000 000003 01 00000000 001000"),
			want: ErrInvalidPayloadLength,
		},
		{
			name: "long Abort",
			enc:  hexBytes("02 000000 000005 02 00000000 0000000300"),
			want: ErrInvalidPayloadLength,
		},
		{
			name: "fmt 0 inside a message",
			enc:  cat(hexBytes("06 000000 000100 09 01000000"), pattern(128, 0), hexBytes("06 000000 000001 09 01000000 00")),
			want: ErrInterruptedMessage,
		},
		{
			name: "fmt 2 inside a message",
			enc:  cat(hexBytes("06 000000 000100 09 01000000"), pattern(128, 0), hexBytes("86 000001"), pattern(128, 0)),
			want: ErrInterruptedMessage,
		},
		{
			name: "too many partial messages",
			cfg:  ReaderConfig{MaxPartialMessages: 2},
			enc: cat(
				hexBytes("04 000000 000100 09 01000000"), pattern(128, 0),
				hexBytes("05 000000 000100 09 01000000"), pattern(128, 0),
				hexBytes("03 000000 000001 09 01000000 00"), // single-chunk messages don't count
				hexBytes("06 000000 000100 09 01000000"), pattern(128, 0),
			),
			good: 1,
			want: ErrTooManyPartialMessages,
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(ca.enc), ca.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < ca.good; i++ {
				if _, err := r.ReadMessage(); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			m, err := r.ReadMessage()
			if !errors.Is(err, ca.want) || m != nil {
				t.Fatalf("got %v, error %v, want error %v", m, err, ca.want)
			}
			t.Log(err)
			if _, again := r.ReadMessage(); again != err {
				t.Errorf("next call: got error %v, want the same error", again)
			}
		})
	}
}

func TestReaderPartialLimitFreed(t *testing.T) {
	// Completed and aborted messages no longer count against MaxPartialMessages.
	enc := cat(
		hexBytes("04 000000 000100 09 01000000"), pattern(128, 0),
		hexBytes("05 000000 000100 09 01000000"), pattern(128, 0),
		hexBytes("C4"), pattern(128, 0), // completes csid 4
		hexBytes("02 000000 000004 02 00000000 00000005"), // aborts csid 5
		hexBytes("06 000000 000100 09 01000000"), pattern(128, 0),
		hexBytes("07 000000 000100 09 01000000"), pattern(128, 0),
	)
	r, err := NewReader(bytes.NewReader(enc), ReaderConfig{MaxPartialMessages: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{4, 2} {
		m, err := r.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if m.ChunkStreamID != want {
			t.Fatalf("got message on csid %d, want %d", m.ChunkStreamID, want)
		}
	}
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got error %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestReaderChunkSize(t *testing.T) {
	enc := hexBytes("02 000000 000004 01 00000000 00001000")
	r, err := NewReader(bytes.NewReader(enc), ReaderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r.ChunkSize() != DefaultChunkSize {
		t.Fatalf("initial chunk size %d", r.ChunkSize())
	}
	m, err := r.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m.TypeID != TypeSetChunkSize || r.ChunkSize() != 4096 {
		t.Fatalf("got message type %d, chunk size %d", m.TypeID, r.ChunkSize())
	}
}

func TestNewReaderInvalid(t *testing.T) {
	if _, err := NewReader(nil, ReaderConfig{ChunkSize: MaxChunkSize + 1}); !errors.Is(err, ErrInvalidChunkSize) {
		t.Errorf("got error %v, want ErrInvalidChunkSize", err)
	}
	if _, err := NewReader(nil, ReaderConfig{MaxPartialMessages: -1}); err == nil {
		t.Error("no error for negative MaxPartialMessages")
	}
}

// TestReaderMemoryBounded announces the largest messages on many chunk
// streams, with a giant chunk size, and sends little data: the Reader must not
// allocate by announced length or chunk size.
func TestReaderMemoryBounded(t *testing.T) {
	var enc []byte
	for csid := 3; csid < 3+DefaultMaxPartialMessages; csid++ {
		enc = append(enc, byte(csid))
		enc = append(enc, hexBytes("000000 FFFFFF 09 01000000")...)
		enc = append(enc, pattern(1000, byte(csid))...)
	}
	r, err := NewReader(bytes.NewReader(enc), ReaderConfig{ChunkSize: MaxChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got error %v, want io.ErrUnexpectedEOF", err)
	}
	runtime.ReadMemStats(&after)
	const limit = DefaultMaxPartialMessages*allocStep + 1<<20
	if n := after.TotalAlloc - before.TotalAlloc; n > limit {
		t.Errorf("allocated %d bytes, want at most %d", n, limit)
	}
}

// repeatReader serves the same bytes forever.
type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

// BenchmarkReader reads 100 kB video messages at chunk size 4096.
func BenchmarkReader(b *testing.B) {
	msgs := []Message{
		{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)},
		{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)},
	}
	prefix, err := writeMessages(4096, msgs)
	if err != nil {
		b.Fatal(err)
	}
	// Every later message, 33 ms apart, has the same encoding (fmt 3 headers).
	all, err := writeMessages(4096, append(msgs, Message{ChunkStreamID: 6, Timestamp: 66, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 0)}))
	if err != nil {
		b.Fatal(err)
	}
	next := all[len(prefix):]

	r, err := NewReader(io.MultiReader(bytes.NewReader(prefix), &repeatReader{b: next}), ReaderConfig{ChunkSize: 4096})
	if err != nil {
		b.Fatal(err)
	}
	for range msgs {
		if _, err := r.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := r.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if len(m.Payload) != 100000 {
			b.Fatalf("payload length %d", len(m.Payload))
		}
	}
}
