package flv

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// longString is a string too long for the 16-bit AMF0 string length.
var longString = strings.Repeat("a", 70000)

var casesAMF0 = []codecCase[[]any]{
	{"number", hexBytes("00 3f f8 00 00 00 00 00 00"), []any{1.5}},
	{"negative number", hexBytes("00 c0 59 00 00 00 00 00 00"), []any{-100.0}},
	{"true", hexBytes("01 01"), []any{true}},
	{"false", hexBytes("01 00"), []any{false}},
	{"string", hexBytes("02 00 0a 6f 6e 4d 65 74 61 44 61 74 61"), []any{"onMetaData"}},
	{"empty string", hexBytes("02 00 00"), []any{""}},
	{"UTF-8 string", hexBytes("02 00 05 c3 a9 74 c3 a9"), []any{"été"}},
	{"long string", append(hexBytes("0c 00 01 11 70"), longString...), []any{longString}},
	{"null", hexBytes("05"), []any{nil}},
	{"undefined", hexBytes("06"), []any{AMF0Undefined{}}},
	{"empty object", hexBytes("03 00 00 09"), []any{AMF0Object{}}},
	{
		"nested object",
		hexBytes(`03 00 03 61 70 70 02 00 04 6c 69 76 65
			00 04 69 6e 66 6f 03 00 04 63 6f 64 65 02 00 02 6f 6b 00 00 09
			00 00 09`),
		[]any{AMF0Object{
			{Key: "app", Value: "live"},
			{Key: "info", Value: AMF0Object{{Key: "code", Value: "ok"}}},
		}},
	},
	{
		"ECMA array",
		hexBytes(`08 00 00 00 02 00 05 77 69 64 74 68 00 40 94 00 00 00 00 00 00
			00 06 73 74 65 72 65 6f 01 01 00 00 09`),
		[]any{AMF0ECMAArray{{Key: "width", Value: 1280.0}, {Key: "stereo", Value: true}}},
	},
	{"empty ECMA array", hexBytes("08 00 00 00 00 00 00 09"), []any{AMF0ECMAArray{}}},
	{
		"strict array",
		hexBytes("0a 00 00 00 03 00 3f f0 00 00 00 00 00 00 02 00 01 61 05"),
		[]any{AMF0StrictArray{1.0, "a", nil}},
	},
	{"empty strict array", hexBytes("0a 00 00 00 00"), []any{AMF0StrictArray{}}},
	{
		"date",
		hexBytes("0b 42 76 80 6b 5b c0 00 00 00 00"),
		[]any{AMF0Date{Milliseconds: 1546300800000}},
	},
	{
		"RTMP connect command",
		hexBytes(`02 00 07 63 6f 6e 6e 65 63 74 00 3f f0 00 00 00 00 00 00
			03 00 03 61 70 70 02 00 04 6c 69 76 65 00 00 09`),
		[]any{"connect", 1.0, AMF0Object{{Key: "app", Value: "live"}}},
	},
	{"no values", nil, nil},
}

var codecAMF0 = testCodec[[]any]{
	unmarshal: UnmarshalAMF0,
	marshal:   func(values []any) ([]byte, error) { return MarshalAMF0(values...) },
	// NaN numbers are not equal to themselves: compare what the values print
	// as. Their bits are checked by the encodings a round trip compares.
	equal: func(a, b []any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) },
}

func TestUnmarshalAMF0(t *testing.T) {
	runUnmarshalCases(t, casesAMF0, codecAMF0.unmarshal)
}

func TestMarshalAMF0(t *testing.T) {
	runMarshalCases(t, casesAMF0, codecAMF0.marshal)
}

func TestDecodeAMF0(t *testing.T) {
	enc := hexBytes("02 00 01 61 05")
	v, n, err := DecodeAMF0(enc)
	if err != nil || v != "a" || n != 4 {
		t.Fatalf("got %v, %d, %v; want a, 4, nil", v, n, err)
	}
}

func TestMarshalAMF0Numbers(t *testing.T) {
	want := hexBytes("00 40 45 00 00 00 00 00 00")
	for _, v := range []any{42, int8(42), int16(42), int32(42), int64(42), uint(42), uint8(42), uint16(42), uint32(42), uint64(42), float32(42), 42.0} {
		if got, err := MarshalAMF0(v); err != nil || !bytes.Equal(got, want) {
			t.Errorf("MarshalAMF0(%T %v) = % x, %v; want % x", v, v, got, err, want)
		}
	}
}

func TestUnmarshalAMF0Tolerant(t *testing.T) {
	runUnmarshalCases(t, []codecCase[[]any]{
		{
			// Some encoders write 0 or a wrong count; players read to the end marker.
			"ECMA array with a wrong count",
			hexBytes("08 00 00 00 00 00 01 61 01 01 00 00 09"),
			[]any{AMF0ECMAArray{{Key: "a", Value: true}}},
		},
		{"nonzero boolean", hexBytes("01 02"), []any{true}},
		{"empty key before a value", hexBytes("03 00 00 05 00 00 09"), []any{AMF0Object{{Key: "", Value: nil}}}},
	}, codecAMF0.unmarshal)
}

func TestUnmarshalAMF0Error(t *testing.T) {
	runErrorCases(t, []errorCase[[]byte]{
		{"reference", hexBytes("07 00 01"), ErrAMF0Type},
		{"typed object", hexBytes("10 00 01 61 00 00 09"), ErrAMF0Type},
		{"AMF3 switch", hexBytes("11 01"), ErrAMF0Type},
		{"object end as a value", hexBytes("09"), ErrAMF0Type},
		{"object end inside an array", hexBytes("0a 00 00 00 01 09"), ErrAMF0Type},
		{"nested too deep", append(bytes.Repeat(hexBytes("0a 00 00 00 01"), MaxAMF0Depth+1), 5), ErrAMF0Depth},
		{"strict array count beyond data", hexBytes("0a ff ff ff ff 05"), ErrTruncated},
		{"long string length beyond data", hexBytes("0c ff ff ff ff 61"), ErrTruncated},
		{"object without end", hexBytes("03 00 01 61 05"), ErrTruncated},
	}, func(b []byte) error {
		_, err := UnmarshalAMF0(b)
		return err
	})
}

func TestUnmarshalAMF0Depth(t *testing.T) {
	enc := append(bytes.Repeat(hexBytes("0a 00 00 00 01"), MaxAMF0Depth), 5)
	if _, err := UnmarshalAMF0(enc); err != nil {
		t.Fatalf("%d nested arrays: %v", MaxAMF0Depth, err)
	}
}

func TestUnmarshalAMF0Truncated(t *testing.T) {
	for _, ca := range casesAMF0 {
		if len(ca.dec) != 1 {
			continue
		}
		t.Run(ca.name, func(t *testing.T) {
			for n := 0; n < len(ca.enc); n++ {
				if _, _, err := DecodeAMF0(ca.enc[:n]); !errors.Is(err, ErrTruncated) {
					t.Fatalf("%d of %d bytes: got %v, want %v", n, len(ca.enc), err, ErrTruncated)
				}
			}
		})
	}
}

func TestMarshalAMF0Error(t *testing.T) {
	deep := AMF0StrictArray{nil}
	for i := 0; i < MaxAMF0Depth; i++ {
		deep = AMF0StrictArray{deep}
	}
	runErrorCases(t, []errorCase[any]{
		{"Go struct", struct{}{}, ErrAMF0Type},
		{"Go map", map[string]any{"a": 1}, ErrAMF0Type},
		{"unsupported value inside an object", AMF0Object{{Key: "a", Value: []byte{1}}}, ErrAMF0Type},
		{"key too long", AMF0ECMAArray{{Key: longString, Value: 1.0}}, ErrOutOfRange},
		{"nested too deep", deep, ErrAMF0Depth},
	}, func(v any) error {
		_, err := MarshalAMF0("ok", v)
		return err
	})
}

func TestAMF0Get(t *testing.T) {
	o := AMF0Object{{Key: "app", Value: "live"}, {Key: "app", Value: "other"}}
	if v, ok := o.Get("app"); !ok || v != "live" {
		t.Errorf("Get(app) = %v, %v; want live, true", v, ok)
	}
	if _, ok := o.Get("tcUrl"); ok {
		t.Errorf("Get(tcUrl) found a value")
	}
	a := AMF0ECMAArray{{Key: "width", Value: 1280.0}}
	if v, ok := a.Get("width"); !ok || v != 1280.0 {
		t.Errorf("Get(width) = %v, %v; want 1280, true", v, ok)
	}
}

func TestAMF0Date(t *testing.T) {
	tm := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	d := NewAMF0Date(tm)
	if d.Milliseconds != 1546300800000 || !d.Time().Equal(tm) {
		t.Fatalf("got %+v, %v", d, d.Time())
	}
	if got := (AMF0Date{Milliseconds: math.NaN()}).Time(); !got.IsZero() {
		t.Fatalf("NaN date: got %v, want the zero Time", got)
	}
}

func FuzzUnmarshalAMF0(f *testing.F) {
	seedFuzz(f, casesAMF0)
	fuzzRoundTrip(f, codecAMF0, nil)
}
