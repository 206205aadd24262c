package rtmp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"onair/publish/flv"
)

func TestDecodeCommand(t *testing.T) {
	status := flv.AMF0Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetStream.Publish.Start"}}
	good, err := encodeCommand("onStatus", 0, nil, status)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		in      []byte
		want    command
		wantErr error
	}{
		{"status", good, command{name: "onStatus", args: []any{nil, status}}, nil},
		{"no name", nil, command{}, ErrProtocol},
		{"name not a string", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, command{}, ErrProtocol},
		{"no transaction id", []byte{2, 0, 1, 'x'}, command{}, ErrProtocol},
		{"transaction id not a number", []byte{2, 0, 1, 'x', 5}, command{}, ErrProtocol},
		{"truncated argument", append([]byte{}, good[:len(good)-3]...), command{name: "onStatus", args: []any{nil}}, errCommandArgs},
		{"unsupported argument", append(append([]byte{}, good[:21]...), 0x11), command{name: "onStatus", args: []any{nil}}, errCommandArgs},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeCommand(c.in)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("decodeCommand(% x): err %v, want %v", c.in, err, c.wantErr)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decodeCommand(% x) = %#v, want %#v", c.in, got, c.want)
			}
		})
	}
}

func TestProperty(t *testing.T) {
	o := flv.AMF0Object{{Key: "code", Value: "c"}, {Key: "n", Value: 1.0}}
	a := flv.AMF0ECMAArray{{Key: "code", Value: "a"}}
	if stringProperty(o, "code") != "c" || stringProperty(a, "code") != "a" || stringProperty(o, "n") != "" ||
		stringProperty("x", "code") != "" || property(o, "n") != 1.0 || property(nil, "n") != nil {
		t.Error("property lookups differ")
	}
}

// FuzzDecodeCommand: no input panics; a command that decodes encodes back
// to the same command.
func FuzzDecodeCommand(f *testing.F) {
	for _, c := range []struct {
		name string
		obj  any
		args []any
	}{
		{"connect", flv.AMF0Object{{Key: "app", Value: "live"}, {Key: "tcUrl", Value: "rtmp://h/live"}}, nil},
		{"publish", nil, []any{"key", "live"}},
		{"_result", flv.AMF0Object{{Key: "fmsVer", Value: "FMS/3,0,1,123"}}, []any{flv.AMF0ECMAArray{{Key: "code", Value: "x"}}}},
	} {
		b, err := encodeCommand(c.name, 1, c.obj, c.args...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, err := decodeCommand(b)
		if err != nil {
			return
		}
		var obj any
		args := cmd.args
		if len(args) > 0 {
			obj, args = args[0], args[1:]
		}
		enc, err := encodeCommand(cmd.name, cmd.txID, obj, args...)
		if err != nil {
			t.Fatalf("encoding %#v: %v", cmd, err)
		}
		again, err := decodeCommand(enc)
		if err != nil {
			t.Fatalf("decoding % x, the encoding of %#v: %v", enc, cmd, err)
		}
		// Compared by encoding: NaN numbers are not DeepEqual.
		if len(again.args) == 0 {
			t.Fatalf("decoding % x: no command object", enc)
		}
		enc2, err := encodeCommand(again.name, again.txID, again.args[0], again.args[1:]...)
		if err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("round trip of %#v: % x then % x (%v)", cmd, enc, enc2, err)
		}
	})
}
