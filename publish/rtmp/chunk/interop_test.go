package chunk

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	rtmp "github.com/yutopp/go-rtmp"
	"github.com/yutopp/go-rtmp/message"
)

// goRTMPMessage is a message for go-rtmp's ChunkStreamer and the message our
// Reader must return for it.
type goRTMPMessage struct {
	msg  message.Message
	want Message
}

func goRTMPMedia(csid int, ts, streamID uint32, typeID uint8, payload []byte) goRTMPMessage {
	var msg message.Message = &message.VideoMessage{Payload: bytes.NewReader(payload)}
	if typeID == TypeAudio {
		msg = &message.AudioMessage{Payload: bytes.NewReader(payload)}
	}
	return goRTMPMessage{
		msg:  msg,
		want: Message{ChunkStreamID: csid, Timestamp: ts, TypeID: typeID, StreamID: streamID, Payload: payload},
	}
}

// goRTMPControl pairs a go-rtmp control message with ours: the payloads must
// be the same bytes.
func goRTMPControl(t *testing.T, ts uint32, msg message.Message, c Control) goRTMPMessage {
	t.Helper()
	m, err := NewControlMessage(c, ts)
	if err != nil {
		t.Fatal(err)
	}
	return goRTMPMessage{msg: msg, want: *m}
}

// encodeWithGoRTMP writes msgs with go-rtmp's asynchronous ChunkStreamer and
// returns the bytes once every message has been written. With a chunk size,
// it first sends Set Chunk Size on chunk stream 2, which msgs must not use.
func encodeWithGoRTMP(t *testing.T, chunkSize uint32, msgs []goRTMPMessage) []byte {
	t.Helper()
	var out bytes.Buffer
	cs := rtmp.NewChunkStreamer(bytes.NewReader(nil), &out, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if chunkSize != 0 {
		err := cs.Write(ctx, 2, 0, &rtmp.ChunkMessage{Message: &message.SetChunkSize{ChunkSize: chunkSize}})
		if err != nil {
			t.Fatal(err)
		}
		// NewChunkWriter waits until the chunk stream's message is written;
		// chunk stream 2 cannot be written again after that.
		if _, err := cs.NewChunkWriter(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if err := cs.SelfState().SetChunkSize(chunkSize); err != nil {
			t.Fatal(err)
		}
	}

	used := make(map[int]bool)
	for _, m := range msgs {
		err := cs.Write(ctx, m.want.ChunkStreamID, m.want.Timestamp,
			&rtmp.ChunkMessage{StreamID: m.want.StreamID, Message: m.msg})
		if err != nil {
			t.Fatal(err)
		}
		used[m.want.ChunkStreamID] = true
	}
	for csid := range used {
		if _, err := cs.NewChunkWriter(ctx, csid); err != nil {
			t.Fatalf("waiting for chunk stream %d: %v", csid, err)
		}
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	<-cs.Done()
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestInteropGoRTMPWriter decodes what go-rtmp's ChunkStreamer writes. Its
// chunk streams interleave, so only the order within a chunk stream is fixed.
//
// The messages avoid two places where go-rtmp v0.0.7 departs from the
// specification and from FFmpeg: it does not repeat the extended timestamp in
// fmt 3 chunks, and it sends a fmt 3 header right after fmt 0 meaning a delta
// of 0 rather than the fmt 0 timestamp. Both timestamps start at 0 and
// extended deltas stay on messages of a single chunk that change the delta.
func TestInteropGoRTMPWriter(t *testing.T) {
	big := pattern(10000, 1)
	for _, ca := range []struct {
		name      string
		chunkSize uint32
		msgs      func(t *testing.T) []goRTMPMessage
	}{
		{
			name: "default chunk size",
			msgs: func(t *testing.T) []goRTMPMessage {
				return []goRTMPMessage{
					goRTMPMedia(6, 0, 1, TypeVideo, pattern(300, 1)),
					goRTMPMedia(4, 0, 1, TypeAudio, pattern(50, 2)),
					goRTMPMedia(6, 33, 1, TypeVideo, pattern(300, 3)),
					goRTMPMedia(4, 23, 1, TypeAudio, pattern(50, 4)),
					goRTMPMedia(6, 66, 1, TypeVideo, pattern(300, 5)),
					goRTMPMedia(4, 46, 1, TypeAudio, pattern(50, 6)),
					goRTMPMedia(6, 100, 1, TypeVideo, pattern(1000, 7)),
					goRTMPMedia(64, 0, 2, TypeVideo, pattern(129, 8)),
					goRTMPMedia(320, 0, 3, TypeVideo, pattern(128, 9)),
					goRTMPMedia(65599, 0, 3, TypeVideo, pattern(127, 10)),
					goRTMPMedia(6, 90, 1, TypeVideo, pattern(200, 11)), // backwards
					goRTMPMedia(6, 90, 2, TypeVideo, pattern(200, 12)), // other stream
					goRTMPMedia(7, 0, 1, TypeVideo, pattern(10, 13)),
					goRTMPMedia(7, 0x1000000, 1, TypeVideo, pattern(10, 14)), // extended delta
					goRTMPMedia(7, 0x1000010, 1, TypeVideo, pattern(10, 15)),
					goRTMPMedia(7, 0x1000020, 1, TypeVideo, pattern(10, 16)),
				}
			},
		},
		{
			name:      "chunk size 4096",
			chunkSize: 4096,
			msgs: func(t *testing.T) []goRTMPMessage {
				return []goRTMPMessage{
					goRTMPMedia(6, 0, 1, TypeVideo, big),
					goRTMPMedia(4, 0, 1, TypeAudio, pattern(400, 2)),
					goRTMPMedia(6, 40, 1, TypeVideo, big),
					goRTMPMedia(4, 23, 1, TypeAudio, pattern(400, 3)),
					goRTMPMedia(6, 80, 1, TypeVideo, pattern(4097, 4)),
					goRTMPMedia(6, 120, 1, TypeVideo, pattern(64<<10, 5)),
				}
			},
		},
		{
			name: "control messages",
			msgs: func(t *testing.T) []goRTMPMessage {
				return []goRTMPMessage{
					goRTMPControl(t, 0, &message.WinAckSize{Size: 2500000}, WindowAckSize{Size: 2500000}),
					goRTMPControl(t, 0, &message.SetPeerBandwidth{Size: 2500000, Limit: message.LimitTypeDynamic},
						SetPeerBandwidth{Size: 2500000, Limit: LimitDynamic}),
					goRTMPControl(t, 0, &message.Ack{SequenceNumber: 123456}, Ack{SequenceNumber: 123456}),
					goRTMPControl(t, 0, &message.AbortMessage{ChunkStreamID: 9}, Abort{ChunkStreamID: 9}),
					goRTMPControl(t, 0, &message.UserCtrl{Event: &message.UserCtrlEventStreamBegin{StreamID: 1}},
						NewUserControl(EventStreamBegin, 1)),
					goRTMPControl(t, 0, &message.UserCtrl{Event: &message.UserCtrlEventSetBufferLength{StreamID: 1, LengthMs: 3000}},
						NewUserControl(EventSetBufferLength, 1, 3000)),
					goRTMPControl(t, 0, &message.UserCtrl{Event: &message.UserCtrlEventPingRequest{Timestamp: 777}},
						NewUserControl(EventPingRequest, 777)),
					goRTMPControl(t, 0, &message.UserCtrl{Event: &message.UserCtrlEventPingResponse{Timestamp: 777}},
						NewUserControl(EventPingResponse, 777)),
					goRTMPControl(t, 0, &message.SetChunkSize{ChunkSize: 256}, SetChunkSize{Size: 256}),
				}
			},
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			msgs := ca.msgs(t)
			enc := encodeWithGoRTMP(t, ca.chunkSize, msgs)
			checkGoRTMPDecode(t, enc, ca.chunkSize, msgs)
		})
	}
}

// checkGoRTMPDecode reads enc with our Reader and compares the messages of
// each chunk stream, in order, with msgs. A leading Set Chunk Size sent by
// encodeWithGoRTMP is expected when chunkSize is set.
func checkGoRTMPDecode(t *testing.T, enc []byte, chunkSize uint32, msgs []goRTMPMessage) {
	t.Helper()
	got, err := readMessages(ReaderConfig{}, enc)
	if err != io.EOF {
		t.Fatalf("after %d messages: got error %v, want io.EOF", len(got), err)
	}
	want := make(map[int][]Message)
	if chunkSize != 0 {
		m, err := NewControlMessage(SetChunkSize{Size: chunkSize}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want[2] = append(want[2], *m)
	}
	total := len(want[2])
	for _, m := range msgs {
		want[m.want.ChunkStreamID] = append(want[m.want.ChunkStreamID], m.want)
		total++
	}
	if len(got) != total {
		t.Errorf("got %d messages, want %d", len(got), total)
	}
	for _, m := range got {
		q := want[m.ChunkStreamID]
		if len(q) == 0 {
			t.Errorf("unexpected message %s", describe(&m))
			continue
		}
		if !equalMessage(&m, &q[0]) {
			t.Errorf("got %s, want %s", describe(&m), describe(&q[0]))
		}
		want[m.ChunkStreamID] = q[1:]
		if c := newControlPayload(m.TypeID); c != nil {
			if err := c.Unmarshal(m.Payload); err != nil {
				t.Errorf("control message type %d: %v", m.TypeID, err)
			}
		}
	}
}
