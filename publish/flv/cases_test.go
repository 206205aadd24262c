package flv

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// The tests of this package follow the style of bluenviron/mediacommon: each
// type has one table of cases, which its unmarshal test, its marshal test and
// the seed corpus of its fuzz target all read. The helpers below hold the
// loops these share.

// codecCase is an entry of a shared case table: enc unmarshals to dec, and dec
// marshals to enc.
type codecCase[T any] struct {
	name string
	enc  []byte
	dec  T
}

// errorCase is an entry of an error table: in is refused with err.
type errorCase[In any] struct {
	name string
	in   In
	err  error
}

// testCodec is how a type is unmarshaled and marshaled.
type testCodec[T any] struct {
	unmarshal func([]byte) (T, error)
	marshal   func(T) ([]byte, error)
	// equal compares two values; reflect.DeepEqual when nil.
	equal func(a, b T) bool
}

// methodCodecPtr is *T for a type T with Marshal and Unmarshal methods.
type methodCodecPtr[T any] interface {
	*T
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// methodCodec is the codec of a type with Marshal and Unmarshal methods.
func methodCodec[T any, P methodCodecPtr[T]]() testCodec[T] {
	return testCodec[T]{
		unmarshal: func(b []byte) (T, error) {
			var v T
			err := P(&v).Unmarshal(b)
			return v, err
		},
		marshal: func(v T) ([]byte, error) { return P(&v).Marshal() },
	}
}

// runUnmarshalCases checks that the enc of each case unmarshals to its dec;
// checks then run on what was unmarshaled.
func runUnmarshalCases[T any](t *testing.T, cases []codecCase[T], unmarshal func([]byte) (T, error), checks ...func(*testing.T, T)) {
	t.Helper()
	for _, ca := range cases {
		t.Run(ca.name, func(t *testing.T) {
			dec, err := unmarshal(ca.enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(dec, ca.dec) {
				t.Fatalf("got %#v, want %#v", dec, ca.dec)
			}
			for _, check := range checks {
				check(t, dec)
			}
		})
	}
}

// runMarshalCases checks that the dec of each case marshals to its enc.
func runMarshalCases[T any](t *testing.T, cases []codecCase[T], marshal func(T) ([]byte, error)) {
	t.Helper()
	for _, ca := range cases {
		t.Run(ca.name, func(t *testing.T) {
			enc, err := marshal(ca.dec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, ca.enc) {
				t.Fatalf("got % x, want % x", enc, ca.enc)
			}
		})
	}
}

// runErrorCases checks that fn fails on the in of each case with its err.
func runErrorCases[In any](t *testing.T, cases []errorCase[In], fn func(In) error) {
	t.Helper()
	for _, ca := range cases {
		t.Run(ca.name, func(t *testing.T) {
			if err := fn(ca.in); !errors.Is(err, ca.err) {
				t.Fatalf("got %v, want %v", err, ca.err)
			}
		})
	}
}

// runUnmarshalErrorCases checks that the Unmarshal method of T fails on the in
// of each case with its err, and leaves its receiver, set to start beforehand,
// unchanged.
func runUnmarshalErrorCases[T any, P methodCodecPtr[T]](t *testing.T, cases []errorCase[[]byte], start T) {
	t.Helper()
	for _, ca := range cases {
		t.Run(ca.name, func(t *testing.T) {
			v := start
			if err := P(&v).Unmarshal(ca.in); !errors.Is(err, ca.err) {
				t.Fatalf("got %v, want %v", err, ca.err)
			}
			if !reflect.DeepEqual(v, start) {
				t.Fatalf("changed on error: got %#v, want %#v", v, start)
			}
		})
	}
}

// seedFuzz adds the enc of each case to the seed corpus of f.
func seedFuzz[T any](f *testing.F, cases []codecCase[T]) {
	for _, ca := range cases {
		f.Add(ca.enc)
	}
}

// seedFuzzErrors adds the input of each error case to the seed corpus of f.
func seedFuzzErrors(f *testing.F, cases []errorCase[[]byte]) {
	for _, ca := range cases {
		f.Add(ca.in)
	}
}

// fuzzRoundTrip fuzzes c.unmarshal: whatever it accepts must pass
// c.roundTrip; check, when not nil, then checks the input b against the value
// dec it unmarshaled to and the encoding enc that marshaled to.
func fuzzRoundTrip[T any](f *testing.F, c testCodec[T], check func(t *testing.T, b []byte, dec T, enc []byte)) {
	f.Fuzz(func(t *testing.T, b []byte) {
		dec, err := c.unmarshal(b)
		if err != nil {
			return
		}
		enc := c.roundTrip(t, dec)
		if check != nil {
			check(t, b, dec, enc)
		}
	})
}

// roundTrip checks that dec marshals, that its encoding unmarshals back to
// the same value, and that this marshals to the same encoding again. It
// returns the encoding.
func (c testCodec[T]) roundTrip(t *testing.T, dec T) []byte {
	t.Helper()
	enc, err := c.marshal(dec)
	if err != nil {
		t.Fatalf("marshal of %#v: %v", dec, err)
	}
	again, err := c.unmarshal(enc)
	if err != nil {
		t.Fatalf("unmarshal of % x, the encoding of %#v: %v", enc, dec, err)
	}
	equal := c.equal
	if equal == nil {
		equal = func(a, b T) bool { return reflect.DeepEqual(a, b) }
	}
	if !equal(again, dec) {
		t.Fatalf("round trip: got %#v, want %#v", again, dec)
	}
	enc2, err := c.marshal(again)
	if err != nil {
		t.Fatalf("marshal of %#v: %v", again, err)
	}
	if !bytes.Equal(enc2, enc) {
		t.Fatalf("round trip: encoded % x, then % x", enc, enc2)
	}
	return enc
}
