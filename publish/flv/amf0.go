package flv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// AMF0 type markers.
const (
	amf0Number      = 0x00
	amf0Boolean     = 0x01
	amf0String      = 0x02
	amf0Object      = 0x03
	amf0Null        = 0x05
	amf0Undefined   = 0x06
	amf0ECMAArray   = 0x08
	amf0ObjectEnd   = 0x09
	amf0StrictArray = 0x0a
	amf0Date        = 0x0b
	amf0LongString  = 0x0c
)

// MaxAMF0Depth is how deeply objects and arrays may nest in AMF0 data that
// this package encodes or decodes.
const MaxAMF0Depth = 32

var (
	// ErrAMF0Type is returned by AppendAMF0 and MarshalAMF0 for a Go value
	// with no AMF0 type, and by DecodeAMF0 and UnmarshalAMF0 for a type
	// marker they do not handle (reference, typed object, AMF3 switch, ...)
	// or an object-end marker where a value belongs.
	ErrAMF0Type = errors.New("unsupported AMF0 type")

	// ErrAMF0Depth is returned by the AMF0 encoding and decoding functions
	// when objects and arrays nest deeper than MaxAMF0Depth.
	ErrAMF0Depth = errors.New("AMF0 nesting too deep")
)

// AMF0Property is one key and value of an AMF0Object or AMF0ECMAArray.
type AMF0Property struct {
	Key   string
	Value any
}

// AMF0Object is an anonymous AMF0 object: properties in the order they are
// written. Keys are at most 65535 bytes.
type AMF0Object []AMF0Property

// Get returns the value of the first property named key.
func (o AMF0Object) Get(key string) (any, bool) { return getProperty(o, key) }

// AMF0ECMAArray is an AMF0 ECMA array, the associative array of onMetaData:
// properties in the order they are written. Its encoded count is advisory;
// the decoder reads up to the end marker, as players do.
type AMF0ECMAArray []AMF0Property

// Get returns the value of the first property named key.
func (a AMF0ECMAArray) Get(key string) (any, bool) { return getProperty(a, key) }

func getProperty(props []AMF0Property, key string) (any, bool) {
	for _, p := range props {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// AMF0StrictArray is an AMF0 strict array: a counted list of values.
type AMF0StrictArray []any

// AMF0Undefined is the AMF0 undefined value.
type AMF0Undefined struct{}

// AMF0Date is an AMF0 date: milliseconds since 1970-01-01 UTC and a time
// zone that the specification reserves (write 0). Kept as sent, so that
// fractional or non-finite values survive a round trip; see Time.
type AMF0Date struct {
	Milliseconds float64
	TimeZone     int16
}

// NewAMF0Date returns the date of t, to the millisecond.
func NewAMF0Date(t time.Time) AMF0Date {
	return AMF0Date{Milliseconds: float64(t.UnixMilli())}
}

// Time returns the date as a time.Time in UTC, to the millisecond; the zero
// Time for values that are not finite.
func (d AMF0Date) Time() time.Time {
	if math.IsNaN(d.Milliseconds) || math.IsInf(d.Milliseconds, 0) {
		return time.Time{}
	}
	return time.UnixMilli(int64(d.Milliseconds)).UTC()
}

// MarshalAMF0 encodes values in AMF0 (Action Message Format 0), one after
// the other, as an RTMP command ("connect", 1, {...}) or a script data tag
// ("onMetaData", {...}) holds them.
//
// This package handles the AMF0 types that FLV and RTMP use: number,
// boolean, string (and long string), object, null, undefined, ECMA array,
// strict array and date; not references, typed objects, XML or the switch
// to AMF3. Go values map to them as follows; decoding gives the first Go
// type listed:
//
//	number        float64 (encoding also takes the other integer and float types)
//	boolean       bool
//	string        string (a long string when longer than 65535 bytes)
//	object        AMF0Object
//	null          nil
//	undefined     AMF0Undefined
//	ECMA array    AMF0ECMAArray
//	strict array  AMF0StrictArray
//	date          AMF0Date
//
// Errors: ErrAMF0Type, ErrAMF0Depth, ErrOutOfRange (a key longer than 65535
// bytes).
func MarshalAMF0(values ...any) ([]byte, error) {
	return AppendAMF0(nil, values...)
}

// AppendAMF0 appends the encoding of values to b; see MarshalAMF0.
func AppendAMF0(b []byte, values ...any) ([]byte, error) {
	for i, v := range values {
		var err error
		if b, err = appendAMF0(b, v, 0); err != nil {
			return nil, fmt.Errorf("AMF0 value %d: %w", i, err)
		}
	}
	return b, nil
}

func appendAMF0(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, amf0Null), nil
	case float64:
		return appendAMF0Number(b, v), nil
	case float32:
		return appendAMF0Number(b, float64(v)), nil
	case int:
		return appendAMF0Number(b, float64(v)), nil
	case int8:
		return appendAMF0Number(b, float64(v)), nil
	case int16:
		return appendAMF0Number(b, float64(v)), nil
	case int32:
		return appendAMF0Number(b, float64(v)), nil
	case int64:
		return appendAMF0Number(b, float64(v)), nil
	case uint:
		return appendAMF0Number(b, float64(v)), nil
	case uint8:
		return appendAMF0Number(b, float64(v)), nil
	case uint16:
		return appendAMF0Number(b, float64(v)), nil
	case uint32:
		return appendAMF0Number(b, float64(v)), nil
	case uint64:
		return appendAMF0Number(b, float64(v)), nil
	case bool:
		return appendAMF0Bool(b, v), nil
	case string:
		return appendAMF0String(b, v)
	case AMF0Undefined:
		return append(b, amf0Undefined), nil
	case AMF0Date:
		b = append(b, amf0Date)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v.Milliseconds))
		return binary.BigEndian.AppendUint16(b, uint16(v.TimeZone)), nil
	case AMF0Object:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: object at depth %d, at most %d", ErrAMF0Depth, depth+1, MaxAMF0Depth)
		}
		return appendAMF0Properties(append(b, amf0Object), v, depth)
	case AMF0ECMAArray:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: ECMA array at depth %d, at most %d", ErrAMF0Depth, depth+1, MaxAMF0Depth)
		}
		if uint64(len(v)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: ECMA array of %d properties", ErrOutOfRange, len(v))
		}
		b = binary.BigEndian.AppendUint32(append(b, amf0ECMAArray), uint32(len(v)))
		return appendAMF0Properties(b, v, depth)
	case AMF0StrictArray:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: strict array at depth %d, at most %d", ErrAMF0Depth, depth+1, MaxAMF0Depth)
		}
		if uint64(len(v)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: strict array of %d values", ErrOutOfRange, len(v))
		}
		b = binary.BigEndian.AppendUint32(append(b, amf0StrictArray), uint32(len(v)))
		for i, e := range v {
			var err error
			if b, err = appendAMF0(b, e, depth+1); err != nil {
				return nil, fmt.Errorf("strict array value %d: %w", i, err)
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: Go type %T", ErrAMF0Type, v)
}

func appendAMF0Number(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, amf0Number), math.Float64bits(f))
}

func appendAMF0Bool(b []byte, v bool) []byte {
	if v {
		return append(b, amf0Boolean, 1)
	}
	return append(b, amf0Boolean, 0)
}

func appendAMF0String(b []byte, s string) ([]byte, error) {
	if len(s) <= 0xffff {
		return appendAMF0Key(append(b, amf0String), s), nil
	}
	if uint64(len(s)) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: string of %d bytes", ErrOutOfRange, len(s))
	}
	b = binary.BigEndian.AppendUint32(append(b, amf0LongString), uint32(len(s)))
	return append(b, s...), nil
}

// appendAMF0Key appends a UTF-8 string of at most 65535 bytes with its
// 16-bit length, as keys and short strings are written.
func appendAMF0Key(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendAMF0Properties(b []byte, props []AMF0Property, depth int) ([]byte, error) {
	for _, p := range props {
		if len(p.Key) > 0xffff {
			return nil, fmt.Errorf("%w: key of %d bytes, at most 65535", ErrOutOfRange, len(p.Key))
		}
		b = appendAMF0Key(b, p.Key)
		var err error
		if b, err = appendAMF0(b, p.Value, depth+1); err != nil {
			return nil, fmt.Errorf("property %q: %w", p.Key, err)
		}
	}
	return append(b, 0, 0, amf0ObjectEnd), nil
}

// UnmarshalAMF0 decodes AMF0 values one after the other up to the end of b;
// MarshalAMF0 lists the Go types they decode to. An empty b gives no values.
// Errors: those of DecodeAMF0.
func UnmarshalAMF0(b []byte) ([]any, error) {
	var values []any
	d := amf0Decoder{b: b}
	for d.pos < len(b) {
		v, err := d.value(0)
		if err != nil {
			return nil, fmt.Errorf("AMF0 value %d: %w", len(values), err)
		}
		values = append(values, v)
	}
	return values, nil
}

// DecodeAMF0 decodes one value from the start of b and reports how many
// bytes it took. Strings are copied; nothing aliases b. Errors:
// ErrTruncated, ErrAMF0Type, ErrAMF0Depth.
func DecodeAMF0(b []byte) (v any, n int, err error) {
	d := amf0Decoder{b: b}
	v, err = d.value(0)
	if err != nil {
		return nil, 0, err
	}
	return v, d.pos, nil
}

type amf0Decoder struct {
	b   []byte
	pos int
}

func (d *amf0Decoder) need(n int, what string) error {
	if len(d.b)-d.pos < n {
		return fmt.Errorf("%w: AMF0 %s at byte %d needs %d bytes, %d remain",
			ErrTruncated, what, d.pos, n, len(d.b)-d.pos)
	}
	return nil
}

func (d *amf0Decoder) u16(what string) (int, error) {
	if err := d.need(2, what); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint16(d.b[d.pos:])
	d.pos += 2
	return int(v), nil
}

func (d *amf0Decoder) u32(what string) (uint32, error) {
	if err := d.need(4, what); err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint32(d.b[d.pos:])
	d.pos += 4
	return v, nil
}

func (d *amf0Decoder) f64(what string) (float64, error) {
	if err := d.need(8, what); err != nil {
		return 0, err
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b[d.pos:]))
	d.pos += 8
	return v, nil
}

func (d *amf0Decoder) str(n uint64, what string) (string, error) {
	if uint64(len(d.b)-d.pos) < n {
		return "", fmt.Errorf("%w: AMF0 %s at byte %d: length (%d) exceeds remaining %d bytes",
			ErrTruncated, what, d.pos, n, len(d.b)-d.pos)
	}
	s := string(d.b[d.pos : d.pos+int(n)])
	d.pos += int(n)
	return s, nil
}

// value decodes one value; depth counts the containers around it.
func (d *amf0Decoder) value(depth int) (any, error) {
	if err := d.need(1, "type marker"); err != nil {
		return nil, err
	}
	marker := d.b[d.pos]
	d.pos++
	switch marker {
	case amf0Number:
		return d.f64("number")
	case amf0Boolean:
		if err := d.need(1, "boolean"); err != nil {
			return nil, err
		}
		d.pos++
		return d.b[d.pos-1] != 0, nil
	case amf0String:
		n, err := d.u16("string length")
		if err != nil {
			return nil, err
		}
		return d.str(uint64(n), "string")
	case amf0LongString:
		n, err := d.u32("long string length")
		if err != nil {
			return nil, err
		}
		return d.str(uint64(n), "long string")
	case amf0Null:
		return nil, nil
	case amf0Undefined:
		return AMF0Undefined{}, nil
	case amf0Date:
		ms, err := d.f64("date")
		if err != nil {
			return nil, err
		}
		tz, err := d.u16("date time zone")
		if err != nil {
			return nil, err
		}
		return AMF0Date{Milliseconds: ms, TimeZone: int16(tz)}, nil
	case amf0Object:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: object at byte %d is at depth %d, at most %d",
				ErrAMF0Depth, d.pos-1, depth+1, MaxAMF0Depth)
		}
		props, err := d.properties(depth)
		if err != nil {
			return nil, err
		}
		return AMF0Object(props), nil
	case amf0ECMAArray:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: ECMA array at byte %d is at depth %d, at most %d",
				ErrAMF0Depth, d.pos-1, depth+1, MaxAMF0Depth)
		}
		if _, err := d.u32("ECMA array count"); err != nil {
			return nil, err
		}
		props, err := d.properties(depth)
		if err != nil {
			return nil, err
		}
		return AMF0ECMAArray(props), nil
	case amf0StrictArray:
		if depth >= MaxAMF0Depth {
			return nil, fmt.Errorf("%w: strict array at byte %d is at depth %d, at most %d",
				ErrAMF0Depth, d.pos-1, depth+1, MaxAMF0Depth)
		}
		start := d.pos - 1
		n, err := d.u32("strict array count")
		if err != nil {
			return nil, err
		}
		// Every value takes at least its marker byte.
		if uint64(n) > uint64(len(d.b)-d.pos) {
			return nil, fmt.Errorf("%w: strict array at byte %d: count (%d) exceeds remaining %d bytes",
				ErrTruncated, start, n, len(d.b)-d.pos)
		}
		arr := make(AMF0StrictArray, 0, n)
		for i := uint32(0); i < n; i++ {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, fmt.Errorf("strict array at byte %d, value %d: %w", start, i, err)
			}
			arr = append(arr, v)
		}
		return arr, nil
	case amf0ObjectEnd:
		return nil, fmt.Errorf("%w: object-end marker at byte %d where a value belongs", ErrAMF0Type, d.pos-1)
	}
	return nil, fmt.Errorf("%w: type marker 0x%02x at byte %d", ErrAMF0Type, marker, d.pos-1)
}

// properties decodes keys and values up to and including the end marker
// (an empty key, then 0x09).
func (d *amf0Decoder) properties(depth int) ([]AMF0Property, error) {
	start := d.pos - 1
	props := []AMF0Property{}
	for {
		n, err := d.u16("key length")
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if err := d.need(1, "object end marker"); err != nil {
				return nil, err
			}
			if d.b[d.pos] == amf0ObjectEnd {
				d.pos++
				return props, nil
			}
		}
		key, err := d.str(uint64(n), "key")
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, fmt.Errorf("container at byte %d, property %q: %w", start, key, err)
		}
		props = append(props, AMF0Property{Key: key, Value: v})
	}
}
