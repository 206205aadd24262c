package chunk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// maxSeedPayload bounds the payloads of the fuzz seeds: large inputs slow
// fuzzing down, and the headers are what matters.
const maxSeedPayload = 512

// seedMessages returns msgs with their payloads cut to maxSeedPayload bytes.
func seedMessages(msgs []Message) []Message {
	seeds := make([]Message, len(msgs))
	for i, m := range msgs {
		if m.TypeID != TypeSetChunkSize && m.TypeID != TypeAbort {
			m.Payload = m.Payload[:min(len(m.Payload), maxSeedPayload)]
		}
		seeds[i] = m
	}
	return seeds
}

// FuzzReader reads arbitrary bytes: the Reader must not panic, must stay
// within its limits and must keep returning its first error.
func FuzzReader(f *testing.F) {
	for _, ca := range streamCases() {
		enc := ca.enc
		if enc == nil {
			var err error
			if enc, err = writeMessages(ca.chunkSize, seedMessages(ca.msgs)); err != nil {
				f.Fatal(err)
			}
		}
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := ReaderConfig{MaxMessageLength: 4096, MaxPartialMessages: 4}
		r, err := NewReader(bytes.NewReader(data), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for {
			m, err := r.ReadMessage()
			if err != nil {
				if _, again := r.ReadMessage(); again != err {
					t.Fatalf("first error %v, then %v", err, again)
				}
				if errors.Is(err, io.ErrUnexpectedEOF) && r.BytesRead() != uint64(len(data)) {
					t.Fatalf("unexpected EOF after %d of %d bytes", r.BytesRead(), len(data))
				}
				break
			}
			if len(m.Payload) > int(cfg.MaxMessageLength) {
				t.Fatalf("message of %d bytes, limit %d", len(m.Payload), cfg.MaxMessageLength)
			}
			if !validChunkStreamID(m.ChunkStreamID) {
				t.Fatalf("chunk stream id %d", m.ChunkStreamID)
			}
			if r.partial > cfg.MaxPartialMessages {
				t.Fatalf("%d partial messages, limit %d", r.partial, cfg.MaxPartialMessages)
			}
		}
		if r.BytesRead() > uint64(len(data)) {
			t.Fatalf("read %d of %d bytes", r.BytesRead(), len(data))
		}
	})
}

// programHeaderLen is the length of the header of each message in a fuzz
// program: chunk stream id (3 bytes, modulo the id range), timestamp (4),
// type (1), stream id (4), payload length (3), followed by up to that many
// payload bytes.
const programHeaderLen = 15

// messagesFromProgram derives messages from fuzz bytes. It makes the payloads
// of Set Chunk Size and Abort valid, as a session would.
func messagesFromProgram(prog []byte) []Message {
	var msgs []Message
	for len(prog) >= programHeaderLen {
		m := Message{
			ChunkStreamID: MinChunkStreamID + int(uint24(prog))%(MaxChunkStreamID-MinChunkStreamID+1),
			Timestamp:     binary.BigEndian.Uint32(prog[3:]),
			TypeID:        prog[7],
			StreamID:      binary.BigEndian.Uint32(prog[8:]),
		}
		n := min(int(uint24(prog[12:])), len(prog)-programHeaderLen)
		m.Payload = prog[programHeaderLen : programHeaderLen+n]
		prog = prog[programHeaderLen+n:]

		switch m.TypeID {
		case TypeSetChunkSize:
			var v uint32
			if len(m.Payload) >= 4 {
				v = binary.BigEndian.Uint32(m.Payload)
			}
			if v == 0 || v > MaxChunkSize {
				v = 1 + v%MaxChunkSize
			}
			m.Payload = binary.BigEndian.AppendUint32(nil, v)
		case TypeAbort:
			m.Payload = append(append([]byte{}, m.Payload...), 0, 0, 0, 0)[:4]
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// programFromMessages is the inverse of messagesFromProgram, for seeds.
func programFromMessages(msgs []Message) []byte {
	var prog []byte
	for _, m := range msgs {
		h := make([]byte, programHeaderLen)
		putUint24(h, uint32(m.ChunkStreamID-MinChunkStreamID))
		binary.BigEndian.PutUint32(h[3:], m.Timestamp)
		h[7] = m.TypeID
		binary.BigEndian.PutUint32(h[8:], m.StreamID)
		putUint24(h[12:], uint32(len(m.Payload)))
		prog = append(append(prog, h...), m.Payload...)
	}
	return prog
}

// FuzzRoundTrip writes fuzz-derived messages with a Writer and reads them
// back with a Reader; the shared encoding (AppendHeader and a Body) must
// give the same bytes.
func FuzzRoundTrip(f *testing.F) {
	for _, ca := range streamCases() {
		f.Add(ca.chunkSize, programFromMessages(seedMessages(ca.msgs)))
	}
	f.Fuzz(func(t *testing.T, chunkSize uint32, prog []byte) {
		chunkSize = 1 + chunkSize%MaxChunkSize
		msgs := messagesFromProgram(prog)
		enc, err := writeMessages(chunkSize, msgs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readMessages(ReaderConfig{ChunkSize: chunkSize}, enc)
		if err != io.EOF {
			t.Fatalf("got error %v, want io.EOF", err)
		}
		checkMessages(t, got, msgs)
		shared, _, err := writeShared(chunkSize, msgs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(shared, enc) {
			t.Fatalf("shared encoding differs from WriteMessage")
		}
	})
}

func TestProgram(t *testing.T) {
	for _, ca := range streamCases() {
		msgs := messagesFromProgram(programFromMessages(ca.msgs))
		checkMessages(t, msgs, ca.msgs)
	}
}
