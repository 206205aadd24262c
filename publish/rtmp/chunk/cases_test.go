package chunk

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// streamCase is a sequence of messages and, for some, their chunk stream
// encoding computed by hand from the specification. The table feeds the
// writer, reader, round-trip, truncation and fuzz tests.
type streamCase struct {
	name      string
	chunkSize uint32 // initial chunk size of both sides; 0 means DefaultChunkSize
	msgs      []Message
	// enc is the expected encoding, nil if not computed by hand.
	enc []byte
	// readOnly marks an enc that a valid peer may send but Writer does not
	// produce (interleaved chunk streams, aborted messages, other header choices).
	readOnly bool
}

// streamCases returns a fresh copy of the case table.
func streamCases() []streamCase {
	p10 := pattern(10, 0)
	p200 := pattern(200, 1)
	p129 := pattern(129, 2)
	p130 := pattern(130, 3)
	p300a := pattern(300, 4)
	p300b := pattern(300, 5)

	return []streamCase{
		{
			name: "tiny fmt 0 on csid 3",
			msgs: []Message{{ChunkStreamID: 3, Timestamp: 1000, TypeID: TypeCommandAMF0, StreamID: 1, Payload: p10}},
			enc:  cat(hexBytes("03 0003E8 00000A 14 01000000"), p10),
		},
		{
			name: "empty payload",
			msgs: []Message{{ChunkStreamID: 3, TypeID: TypeDataAMF0, Payload: []byte{}}},
			enc:  hexBytes("03 000000 000000 12 00000000"),
		},
		{
			name: "exactly chunk size",
			msgs: []Message{{ChunkStreamID: 6, Timestamp: 40, TypeID: TypeVideo, StreamID: 1, Payload: pattern(128, 6)}},
			enc:  cat(hexBytes("06 000028 000080 09 01000000"), pattern(128, 6)),
		},
		{
			name: "chunk size plus one",
			msgs: []Message{{ChunkStreamID: 6, Timestamp: 40, TypeID: TypeVideo, StreamID: 1, Payload: p129}},
			enc:  cat(hexBytes("06 000028 000081 09 01000000"), p129[:128], hexBytes("C6"), p129[128:]),
		},
		{
			name: "64 KiB video",
			msgs: []Message{
				{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: pattern(64<<10, 7)},
				{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: pattern(64<<10, 8)},
			},
		},
		{
			name: "header compression",
			msgs: []Message{
				{ChunkStreamID: 4, Timestamp: 0, TypeID: TypeAudio, StreamID: 1, Payload: pattern(4, 0)},
				{ChunkStreamID: 4, Timestamp: 20, TypeID: TypeAudio, StreamID: 1, Payload: pattern(4, 1)},
				{ChunkStreamID: 4, Timestamp: 40, TypeID: TypeAudio, StreamID: 1, Payload: pattern(4, 2)},
				{ChunkStreamID: 4, Timestamp: 60, TypeID: TypeAudio, StreamID: 1, Payload: pattern(5, 3)},
				{ChunkStreamID: 4, Timestamp: 50, TypeID: TypeAudio, StreamID: 1, Payload: pattern(5, 4)},
				{ChunkStreamID: 4, Timestamp: 50, TypeID: TypeAudio, StreamID: 2, Payload: pattern(5, 5)},
				{ChunkStreamID: 4, Timestamp: 70, TypeID: TypeAudio, StreamID: 2, Payload: pattern(5, 6)},
				{ChunkStreamID: 4, Timestamp: 70, TypeID: TypeVideo, StreamID: 2, Payload: pattern(5, 7)},
			},
			enc: cat(
				hexBytes("04 000000 000004 08 01000000"), pattern(4, 0), // first on csid: fmt 0
				hexBytes("84 000014"), pattern(4, 1), // delta 20: fmt 2
				hexBytes("C4"), pattern(4, 2), // same delta: fmt 3
				hexBytes("44 000014 000005 08"), pattern(5, 3), // length changes: fmt 1
				hexBytes("04 000032 000005 08 01000000"), pattern(5, 4), // backwards: fmt 0
				hexBytes("04 000032 000005 08 02000000"), pattern(5, 5), // stream id changes: fmt 0
				hexBytes("84 000014"), pattern(5, 6), // no fmt 3 right after fmt 0
				hexBytes("44 000000 000005 09"), pattern(5, 7), // type changes: fmt 1
			),
		},
		{
			name: "timestamp 0xFFFFFE",
			msgs: []Message{{ChunkStreamID: 3, Timestamp: 0xFFFFFE, TypeID: TypeVideo, StreamID: 1, Payload: p10}},
			enc:  cat(hexBytes("03 FFFFFE 00000A 09 01000000"), p10),
		},
		{
			name: "timestamp 0xFFFFFF",
			msgs: []Message{{ChunkStreamID: 3, Timestamp: 0xFFFFFF, TypeID: TypeVideo, StreamID: 1, Payload: p10}},
			enc:  cat(hexBytes("03 FFFFFF 00000A 09 01000000 00FFFFFF"), p10),
		},
		{
			name: "timestamp 0x1000000 with continuation",
			msgs: []Message{{ChunkStreamID: 6, Timestamp: 0x1000000, TypeID: TypeVideo, StreamID: 1, Payload: p200}},
			enc: cat(
				hexBytes("06 FFFFFF 0000C8 09 01000000 01000000"), p200[:128],
				hexBytes("C6 01000000"), p200[128:], // the extended timestamp is repeated
			),
		},
		{
			name: "extended deltas",
			msgs: []Message{
				{ChunkStreamID: 4, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: p130},
				{ChunkStreamID: 4, Timestamp: 0x1000000, TypeID: TypeVideo, StreamID: 1, Payload: p130},
				{ChunkStreamID: 4, Timestamp: 0x2000000, TypeID: TypeVideo, StreamID: 1, Payload: p130},
				{ChunkStreamID: 4, Timestamp: 0x2000010, TypeID: TypeVideo, StreamID: 1, Payload: p130},
				{ChunkStreamID: 4, Timestamp: 0x2000020, TypeID: TypeVideo, StreamID: 1, Payload: p130},
			},
			enc: cat(
				hexBytes("04 000000 000082 09 01000000"), p130[:128], hexBytes("C4"), p130[128:],
				hexBytes("84 FFFFFF 01000000"), p130[:128], hexBytes("C4 01000000"), p130[128:],
				hexBytes("C4 01000000"), p130[:128], hexBytes("C4 01000000"), p130[128:],
				hexBytes("84 000010"), p130[:128], hexBytes("C4"), p130[128:],
				hexBytes("C4"), p130[:128], hexBytes("C4"), p130[128:],
			),
		},
		{
			name: "timestamps wrap and go backwards",
			msgs: []Message{
				{ChunkStreamID: 5, Timestamp: 0xFFFFFFF0, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 5, Timestamp: 0xFFFFFFFF, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 5, Timestamp: 0x10, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 5, Timestamp: 0x20, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 5, Timestamp: 0x5, TypeID: TypeAudio, StreamID: 1, Payload: p10},
			},
		},
		{
			name: "basic header forms",
			msgs: []Message{
				{ChunkStreamID: 2, TypeID: TypeCommandAMF0, Payload: []byte{0xA}},
				{ChunkStreamID: 63, TypeID: TypeCommandAMF0, Payload: []byte{0xB}},
				{ChunkStreamID: 64, TypeID: TypeCommandAMF0, Payload: []byte{0xC}},
				{ChunkStreamID: 319, TypeID: TypeCommandAMF0, Payload: []byte{0xD}},
				{ChunkStreamID: 320, TypeID: TypeCommandAMF0, Payload: []byte{0xE}},
				{ChunkStreamID: 65599, TypeID: TypeCommandAMF0, Payload: []byte{0xF}},
			},
			enc: hexBytes(
				"02 000000 000001 14 00000000 0A" +
					"3F 000000 000001 14 00000000 0B" +
					"00 00 000000 000001 14 00000000 0C" +
					"00 FF 000000 000001 14 00000000 0D" +
					"01 0001 000000 000001 14 00000000 0E" +
					"01 FFFF 000000 000001 14 00000000 0F"),
		},
		{
			name: "several csids and stream ids",
			msgs: []Message{
				{ChunkStreamID: 3, Timestamp: 0, TypeID: TypeCommandAMF0, StreamID: 0, Payload: p200},
				{ChunkStreamID: 4, Timestamp: 0, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: p300a},
				{ChunkStreamID: 4, Timestamp: 23, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: p300b},
				{ChunkStreamID: 8, Timestamp: 33, TypeID: TypeVideo, StreamID: 2, Payload: p129},
				{ChunkStreamID: 8, Timestamp: 66, TypeID: TypeVideo, StreamID: 3, Payload: p129},
				{ChunkStreamID: 8, Timestamp: 99, TypeID: TypeVideo, StreamID: 2, Payload: p129},
				{ChunkStreamID: 4, Timestamp: 46, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 6, Timestamp: 66, TypeID: TypeVideo, StreamID: 1, Payload: p300a},
				{ChunkStreamID: 3, Timestamp: 70, TypeID: TypeCommandAMF0, StreamID: 1, Payload: p10},
			},
		},
		{
			// A peer may interleave the chunks of several chunk streams.
			name: "interleaved chunk streams",
			msgs: []Message{
				{ChunkStreamID: 4, Timestamp: 10, TypeID: TypeAudio, StreamID: 1, Payload: p10},
				{ChunkStreamID: 64, Timestamp: 5, TypeID: TypeVideo, StreamID: 2, Payload: p200},
				{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: p300a},
				{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: p300b},
			},
			enc: cat(
				hexBytes("06 000000 00012C 09 01000000"), p300a[:128],
				hexBytes("00 00 000005 0000C8 09 02000000"), p200[:128],
				hexBytes("04 00000A 00000A 08 01000000"), p10,
				hexBytes("C6"), p300a[128:256],
				hexBytes("C0 00"), p200[128:],
				hexBytes("C6"), p300a[256:],
				hexBytes("86 000021"), p300b[:128],
				hexBytes("C6"), p300b[128:256],
				hexBytes("C6"), p300b[256:],
			),
			readOnly: true,
		},
		{
			// A fmt 3 header right after fmt 0 takes the fmt 0 timestamp as its
			// delta (specification, section 5.3.1.2.4).
			name: "fmt 3 after fmt 0",
			msgs: []Message{
				{ChunkStreamID: 3, Timestamp: 100, TypeID: TypeCommandAMF0, Payload: []byte{1}},
				{ChunkStreamID: 3, Timestamp: 200, TypeID: TypeCommandAMF0, Payload: []byte{2}},
				{ChunkStreamID: 3, Timestamp: 300, TypeID: TypeCommandAMF0, Payload: []byte{3}},
			},
			enc:      hexBytes("03 000064 000001 14 00000000 01 C3 02 C3 03"),
			readOnly: true,
		},
		{
			// The Abort on csid 2 discards the message started on csid 4.
			name: "abort",
			msgs: []Message{
				{ChunkStreamID: 2, TypeID: TypeAbort, Payload: hexBytes("00000004")},
				{ChunkStreamID: 4, Timestamp: 20, TypeID: TypeAudio, StreamID: 1, Payload: p10},
			},
			enc: cat(
				hexBytes("04 00000A 0000C8 08 01000000"), p200[:128],
				hexBytes("02 000000 000004 02 00000000 00000004"),
				hexBytes("44 00000A 00000A 08"), p10, // fmt 1: delta 10 from the aborted message
			),
			readOnly: true,
		},
		{
			name: "chunk size changes",
			msgs: []Message{
				{ChunkStreamID: 2, TypeID: TypeSetChunkSize, Payload: hexBytes("00000004")},
				{ChunkStreamID: 3, TypeID: TypeCommandAMF0, Payload: p10},
				{ChunkStreamID: 2, TypeID: TypeSetChunkSize, Payload: hexBytes("00001000")},
				{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: pattern(10000, 9)},
				{ChunkStreamID: 2, TypeID: TypeSetChunkSize, Payload: hexBytes("00000001")},
				{ChunkStreamID: 4, Timestamp: 0, TypeID: TypeAudio, StreamID: 1, Payload: pattern(5, 10)},
				{ChunkStreamID: 2, TypeID: TypeSetChunkSize, Payload: hexBytes("7FFFFFFF")},
				{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: pattern(64<<10, 11)},
			},
		},
		{
			name: "small chunk size golden",
			msgs: []Message{
				{ChunkStreamID: 2, TypeID: TypeSetChunkSize, Payload: hexBytes("00000004")},
				{ChunkStreamID: 3, TypeID: TypeCommandAMF0, Payload: p10},
			},
			enc: cat(
				hexBytes("02 000000 000004 01 00000000 00000004"),
				hexBytes("03 000000 00000A 14 00000000"), p10[:4],
				hexBytes("C3"), p10[4:8],
				hexBytes("C3"), p10[8:],
			),
		},
		{
			name:      "initial chunk size 4096",
			chunkSize: 4096,
			msgs: []Message{
				{ChunkStreamID: 6, Timestamp: 0, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 12)},
				{ChunkStreamID: 6, Timestamp: 33, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 13)},
				{ChunkStreamID: 6, Timestamp: 66, TypeID: TypeVideo, StreamID: 1, Payload: pattern(100000, 14)},
			},
		},
	}
}

// pattern returns n bytes that differ between seeds.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7) ^ seed
	}
	return p
}

// hexBytes decodes hex digits, ignoring spaces.
func hexBytes(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// writeMessages writes msgs with a Writer, switching its chunk size after each
// Set Chunk Size message as a session does.
func writeMessages(chunkSize uint32, msgs []Message) ([]byte, error) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if chunkSize != 0 {
		if err := w.SetChunkSize(chunkSize); err != nil {
			return nil, err
		}
	}
	for i := range msgs {
		if err := w.WriteMessage(&msgs[i]); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		if msgs[i].TypeID == TypeSetChunkSize {
			var s SetChunkSize
			if err := s.Unmarshal(msgs[i].Payload); err != nil {
				return nil, fmt.Errorf("message %d: %w", i, err)
			}
			if err := w.SetChunkSize(s.Size); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

// readMessages reads messages until an error, and returns them with the error
// (io.EOF at a clean end).
func readMessages(cfg ReaderConfig, enc []byte) ([]Message, error) {
	r, err := NewReader(bytes.NewReader(enc), cfg)
	if err != nil {
		return nil, err
	}
	var msgs []Message
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, *m)
	}
}

func equalMessage(a, b *Message) bool {
	return a.ChunkStreamID == b.ChunkStreamID && a.Timestamp == b.Timestamp &&
		a.TypeID == b.TypeID && a.StreamID == b.StreamID && bytes.Equal(a.Payload, b.Payload)
}

func describe(m *Message) string {
	return fmt.Sprintf("{csid %d ts %#x type %d stream %d len %d}",
		m.ChunkStreamID, m.Timestamp, m.TypeID, m.StreamID, len(m.Payload))
}

func checkMessages(t *testing.T, got, want []Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d messages, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if !equalMessage(&got[i], &want[i]) {
			t.Errorf("message %d: got %s, want %s", i, describe(&got[i]), describe(&want[i]))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, ca := range streamCases() {
		t.Run(ca.name, func(t *testing.T) {
			enc, err := writeMessages(ca.chunkSize, ca.msgs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readMessages(ReaderConfig{ChunkSize: ca.chunkSize}, enc)
			if !errors.Is(err, io.EOF) {
				t.Fatalf("got error %v, want io.EOF", err)
			}
			checkMessages(t, got, ca.msgs)
		})
	}
}
