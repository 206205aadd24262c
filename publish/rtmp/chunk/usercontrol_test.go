package chunk

import (
	"errors"
	"reflect"
	"testing"
)

func TestUserControlFields(t *testing.T) {
	u := NewUserControl(EventSetBufferLength, 1, 3000)
	want := UserControl{Event: EventSetBufferLength, Data: hexBytes("00000001 00000BB8")}
	if !reflect.DeepEqual(u, want) {
		t.Fatalf("got %+v, want %+v", u, want)
	}
	for i, v := range []uint32{1, 3000} {
		if got, err := u.Field(i); err != nil || got != v {
			t.Errorf("Field(%d) = %d, %v, want %d", i, got, err, v)
		}
	}
	for _, i := range []int{-1, 2} {
		if _, err := u.Field(i); !errors.Is(err, ErrInvalidPayloadLength) {
			t.Errorf("Field(%d): got error %v, want ErrInvalidPayloadLength", i, err)
		}
	}
}

func TestPingResponse(t *testing.T) {
	var ping UserControl
	if err := ping.Unmarshal(hexBytes("0006 0001E240")); err != nil {
		t.Fatal(err)
	}
	pong, err := ping.PingResponse()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pong.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := hexBytes("0007 0001E240"); !reflect.DeepEqual(enc, want) {
		t.Errorf("got % X, want % X", enc, want)
	}

	if _, err := NewUserControl(EventStreamBegin, 1).PingResponse(); !errors.Is(err, ErrNotPingRequest) {
		t.Errorf("got error %v, want ErrNotPingRequest", err)
	}
	if _, err := (UserControl{Event: EventPingRequest}).PingResponse(); !errors.Is(err, ErrInvalidPayloadLength) {
		t.Errorf("got error %v, want ErrInvalidPayloadLength", err)
	}
}
