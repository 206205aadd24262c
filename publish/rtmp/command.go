package rtmp

import (
	"errors"
	"fmt"

	"onair/publish/flv"
)

// command is an AMF0 command message: its name, its transaction id and the
// values after them (the command object first).
type command struct {
	name string
	txID float64
	args []any
}

// errCommandArgs marks a command whose name and transaction id decoded but
// whose arguments did not: the command comes back with the arguments
// before the bad one, usable by a caller that counts the error.
var errCommandArgs = errors.New("undecodable command arguments")

// decodeCommand decodes an AMF0 command message with publish/flv's AMF0
// codec. Errors: ErrProtocol when the name or transaction id is missing or
// of the wrong type (or flv's ErrTruncated, ErrAMF0Type, ErrAMF0Depth);
// errCommandArgs, with the command so far, when an argument does not
// decode.
func decodeCommand(p []byte) (command, error) {
	var cmd command
	v, n, err := flv.DecodeAMF0(p)
	if err != nil {
		return command{}, fmt.Errorf("%w: command name: %w", ErrProtocol, err)
	}
	name, ok := v.(string)
	if !ok {
		return command{}, fmt.Errorf("%w: command name is %T, not a string", ErrProtocol, v)
	}
	p = p[n:]
	v, n, err = flv.DecodeAMF0(p)
	if err != nil {
		return command{}, fmt.Errorf("%w: transaction id of %q: %w", ErrProtocol, name, err)
	}
	txID, ok := v.(float64)
	if !ok {
		return command{}, fmt.Errorf("%w: transaction id of %q is %T, not a number", ErrProtocol, name, v)
	}
	p = p[n:]
	cmd.name, cmd.txID = name, txID
	for len(p) > 0 {
		v, n, err := flv.DecodeAMF0(p)
		if err != nil {
			return cmd, fmt.Errorf("%w: %q argument %d: %w", errCommandArgs, name, len(cmd.args), err)
		}
		cmd.args = append(cmd.args, v)
		p = p[n:]
	}
	return cmd, nil
}

// encodeCommand encodes name, txID, the command object obj and args.
func encodeCommand(name string, txID float64, obj any, args ...any) ([]byte, error) {
	b, err := flv.AppendAMF0(nil, name, txID, obj)
	if err == nil {
		b, err = flv.AppendAMF0(b, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", name, err)
	}
	return b, nil
}

// property is the value of key in an AMF0 object or ECMA array v, or nil.
func property(v any, key string) any {
	var p any
	switch o := v.(type) {
	case flv.AMF0Object:
		p, _ = o.Get(key)
	case flv.AMF0ECMAArray:
		p, _ = o.Get(key)
	}
	return p
}

// stringProperty is the string value of key in an AMF0 object or ECMA
// array v, or "".
func stringProperty(v any, key string) string {
	s, _ := property(v, key).(string)
	return s
}
