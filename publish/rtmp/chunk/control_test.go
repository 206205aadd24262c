package chunk

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// controlPayload is a control payload that can also decode itself.
type controlPayload interface {
	Control
	Unmarshal(p []byte) error
}

// newControlPayload returns an empty payload of a control message type, or nil.
func newControlPayload(typeID uint8) controlPayload {
	switch typeID {
	case TypeSetChunkSize:
		return &SetChunkSize{}
	case TypeAbort:
		return &Abort{}
	case TypeAck:
		return &Ack{}
	case TypeUserControl:
		return &UserControl{}
	case TypeWindowAckSize:
		return &WindowAckSize{}
	case TypeSetPeerBandwidth:
		return &SetPeerBandwidth{}
	}
	return nil
}

// controlCases is the case table of valid control payloads.
func controlCases() []struct {
	name string
	c    controlPayload
	enc  []byte
} {
	return []struct {
		name string
		c    controlPayload
		enc  []byte
	}{
		{"set chunk size 4096", &SetChunkSize{Size: 4096}, hexBytes("00001000")},
		{"set chunk size 1", &SetChunkSize{Size: 1}, hexBytes("00000001")},
		{"set chunk size max", &SetChunkSize{Size: MaxChunkSize}, hexBytes("7FFFFFFF")},
		{"abort", &Abort{ChunkStreamID: 6}, hexBytes("00000006")},
		{"ack", &Ack{SequenceNumber: 0xDEADBEEF}, hexBytes("DEADBEEF")},
		{"window ack size", &WindowAckSize{Size: 2500000}, hexBytes("002625A0")},
		{"set peer bandwidth hard", &SetPeerBandwidth{Size: 2500000, Limit: LimitHard}, hexBytes("002625A0 00")},
		{"set peer bandwidth dynamic", &SetPeerBandwidth{Size: 5000000, Limit: LimitDynamic}, hexBytes("004C4B40 02")},
		{"stream begin", &UserControl{Event: EventStreamBegin, Data: hexBytes("00000001")}, hexBytes("0000 00000001")},
		{"stream eof", &UserControl{Event: EventStreamEOF, Data: hexBytes("00000001")}, hexBytes("0001 00000001")},
		{"set buffer length", &UserControl{Event: EventSetBufferLength, Data: hexBytes("00000001 00000BB8")}, hexBytes("0003 00000001 00000BB8")},
		{"ping request", &UserControl{Event: EventPingRequest, Data: hexBytes("0001E240")}, hexBytes("0006 0001E240")},
		{"ping response", &UserControl{Event: EventPingResponse, Data: hexBytes("0001E240")}, hexBytes("0007 0001E240")},
		{"unknown event", &UserControl{Event: 0x1A, Data: []byte{}}, hexBytes("001A")},
		{"unknown event with data", &UserControl{Event: 0x1B, Data: pattern(42, 0)}, cat(hexBytes("001B"), pattern(42, 0))},
	}
}

func TestControlMarshal(t *testing.T) {
	for _, ca := range controlCases() {
		t.Run(ca.name, func(t *testing.T) {
			enc, err := ca.c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, ca.enc) {
				t.Errorf("got % X, want % X", enc, ca.enc)
			}
		})
	}
}

func TestControlUnmarshal(t *testing.T) {
	for _, ca := range controlCases() {
		t.Run(ca.name, func(t *testing.T) {
			c := newControlPayload(ca.c.TypeID())
			if err := c.Unmarshal(ca.enc); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, ca.c) {
				t.Errorf("got %+v, want %+v", c, ca.c)
			}
		})
	}
}

func TestControlInvalid(t *testing.T) {
	for _, ca := range []struct {
		name   string
		typeID uint8
		enc    []byte
		want   error
	}{
		{"set chunk size empty", TypeSetChunkSize, nil, ErrInvalidPayloadLength},
		{"set chunk size 5 bytes", TypeSetChunkSize, hexBytes("0000100000"), ErrInvalidPayloadLength},
		{"set chunk size 0", TypeSetChunkSize, hexBytes("00000000"), ErrInvalidChunkSize},
		{"set chunk size first bit", TypeSetChunkSize, hexBytes("80000001"), ErrInvalidChunkSize},
		{"abort 3 bytes", TypeAbort, hexBytes("000006"), ErrInvalidPayloadLength},
		{"ack 5 bytes", TypeAck, hexBytes("0000000600"), ErrInvalidPayloadLength},
		{"window ack size 2 bytes", TypeWindowAckSize, hexBytes("0000"), ErrInvalidPayloadLength},
		{"set peer bandwidth 4 bytes", TypeSetPeerBandwidth, hexBytes("002625A0"), ErrInvalidPayloadLength},
		{"set peer bandwidth limit 3", TypeSetPeerBandwidth, hexBytes("002625A0 03"), ErrInvalidLimitType},
		{"user control empty", TypeUserControl, nil, ErrInvalidPayloadLength},
		{"user control 1 byte", TypeUserControl, hexBytes("00"), ErrInvalidPayloadLength},
		{"stream begin short", TypeUserControl, hexBytes("0000 000001"), ErrInvalidPayloadLength},
		{"ping long", TypeUserControl, hexBytes("0006 0001E24000"), ErrInvalidPayloadLength},
		{"set buffer length short", TypeUserControl, hexBytes("0003 00000001"), ErrInvalidPayloadLength},
	} {
		t.Run(ca.name, func(t *testing.T) {
			err := newControlPayload(ca.typeID).Unmarshal(ca.enc)
			if !errors.Is(err, ca.want) {
				t.Fatalf("got error %v, want %v", err, ca.want)
			}
		})
	}

	for _, c := range []Control{
		SetChunkSize{},
		SetChunkSize{Size: MaxChunkSize + 1},
		SetPeerBandwidth{Limit: 3},
		UserControl{Event: EventStreamBegin},
		UserControl{Event: EventSetBufferLength, Data: make([]byte, 4)},
	} {
		if _, err := c.Marshal(); err == nil {
			t.Errorf("%+v: no error", c)
		}
		if _, err := NewControlMessage(c, 0); err == nil {
			t.Errorf("%+v: no error from NewControlMessage", c)
		}
	}
}

func TestNewControlMessage(t *testing.T) {
	m, err := NewControlMessage(WindowAckSize{Size: 2500000}, 1234)
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{ChunkStreamID: 2, Timestamp: 1234, TypeID: TypeWindowAckSize, Payload: hexBytes("002625A0")}
	if !equalMessage(m, want) {
		t.Errorf("got %s, want %s", describe(m), describe(want))
	}
}

func FuzzControlUnmarshal(f *testing.F) {
	for _, ca := range controlCases() {
		f.Add(ca.c.TypeID(), ca.enc)
	}
	f.Fuzz(func(t *testing.T, typeID uint8, p []byte) {
		c := newControlPayload(typeID%7 + 1)
		if c == nil {
			return
		}
		if err := c.Unmarshal(p); err != nil {
			return
		}
		enc, err := c.Marshal()
		if err != nil {
			t.Fatalf("%+v decoded from % X does not encode: %v", c, p, err)
		}
		if !bytes.Equal(enc, p) {
			t.Fatalf("% X decodes to %+v, which encodes to % X", p, c, enc)
		}
	})
}
