package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNotPingRequest is returned by UserControl.PingResponse when the event is
// not EventPingRequest.
var ErrNotPingRequest = errors.New("user control event is not a ping request")

// UserControlEvent is the event type of a User Control message.
type UserControlEvent uint16

// User control events (RTMP 1.0 specification, section 7.1.7), with their data.
const (
	EventStreamBegin      UserControlEvent = 0 // message stream id: the stream became functional
	EventStreamEOF        UserControlEvent = 1 // message stream id: playback ended
	EventStreamDry        UserControlEvent = 2 // message stream id: no more data for now
	EventSetBufferLength  UserControlEvent = 3 // message stream id, buffer length in ms
	EventStreamIsRecorded UserControlEvent = 4 // message stream id: the stream is recorded
	EventPingRequest      UserControlEvent = 6 // server timestamp: answer with EventPingResponse
	EventPingResponse     UserControlEvent = 7 // the timestamp of the ping request
)

// UserControl is the payload of a User Control message: an event type and its
// data. Data is kept whole for the events this package does not know.
type UserControl struct {
	Event UserControlEvent
	Data  []byte
}

// NewUserControl returns the event with its data made of fields, each
// 4 bytes big endian: for example NewUserControl(EventStreamBegin, streamID)
// or NewUserControl(EventSetBufferLength, streamID, ms).
func NewUserControl(event UserControlEvent, fields ...uint32) UserControl {
	data := make([]byte, 0, 4*len(fields))
	for _, f := range fields {
		data = binary.BigEndian.AppendUint32(data, f)
	}
	return UserControl{Event: event, Data: data}
}

// Field returns the i-th 4-byte field of the data: the message stream id of
// the stream events (i = 0), the buffer length of EventSetBufferLength (i = 1),
// the timestamp of the pings (i = 0). It returns ErrInvalidPayloadLength when
// the data is too short.
func (u UserControl) Field(i int) (uint32, error) {
	if i < 0 || len(u.Data) < 4*(i+1) {
		return 0, fmt.Errorf("%w: event %d data length (%d) holds no field %d",
			ErrInvalidPayloadLength, u.Event, len(u.Data), i)
	}
	return binary.BigEndian.Uint32(u.Data[4*i:]), nil
}

// PingResponse returns the EventPingResponse answering the EventPingRequest u,
// with the same timestamp. It returns ErrNotPingRequest for another event.
func (u UserControl) PingResponse() (UserControl, error) {
	if u.Event != EventPingRequest {
		return UserControl{}, fmt.Errorf("%w: event %d", ErrNotPingRequest, u.Event)
	}
	ts, err := u.Field(0)
	if err != nil {
		return UserControl{}, err
	}
	return NewUserControl(EventPingResponse, ts), nil
}

// TypeID returns TypeUserControl.
func (UserControl) TypeID() uint8 { return TypeUserControl }

// Marshal encodes u. It returns ErrInvalidPayloadLength when the data length
// is not the one of a known event.
func (u UserControl) Marshal() ([]byte, error) {
	if err := checkEventData(u.Event, len(u.Data)); err != nil {
		return nil, err
	}
	p := make([]byte, 2, 2+len(u.Data))
	binary.BigEndian.PutUint16(p, uint16(u.Event))
	return append(p, u.Data...), nil
}

// Unmarshal decodes p into u; u.Data is a copy. It returns
// ErrInvalidPayloadLength when p holds no event type, or when the data length
// is not the one of a known event.
func (u *UserControl) Unmarshal(p []byte) error {
	if len(p) < 2 {
		return fmt.Errorf("%w: payload length (%d) is less than %d", ErrInvalidPayloadLength, len(p), 2)
	}
	event := UserControlEvent(binary.BigEndian.Uint16(p))
	if err := checkEventData(event, len(p)-2); err != nil {
		return err
	}
	u.Event = event
	u.Data = append([]byte{}, p[2:]...)
	return nil
}

// checkEventData checks the data length of the known events.
func checkEventData(event UserControlEvent, n int) error {
	want := -1
	switch event {
	case EventStreamBegin, EventStreamEOF, EventStreamDry, EventStreamIsRecorded,
		EventPingRequest, EventPingResponse:
		want = 4
	case EventSetBufferLength:
		want = 8
	}
	if want >= 0 && n != want {
		return fmt.Errorf("%w: event %d data length (%d) is not %d", ErrInvalidPayloadLength, event, n, want)
	}
	return nil
}
