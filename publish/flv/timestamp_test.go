package flv

import (
	"reflect"
	"testing"
	"time"
)

func TestTimestamper(t *testing.T) {
	const ms = time.Millisecond
	for _, ca := range []struct {
		name   string
		base   time.Duration
		dts    []time.Duration
		want   []uint32
		raised int64
	}{
		{
			"AAC priming: negative first timestamp clamped to 0",
			0,
			[]time.Duration{-21333 * time.Microsecond, 0, 21333 * time.Microsecond, 42667 * time.Microsecond},
			[]uint32{0, 0, 21, 43},
			1,
		},
		{
			"decreasing timestamp raised to the previous one",
			0,
			[]time.Duration{100 * ms, 90 * ms, 100 * ms, 120 * ms},
			[]uint32{100, 100, 100, 120},
			1,
		},
		{
			"relative to base",
			10 * time.Second,
			[]time.Duration{10 * time.Second, 10*time.Second + 40*ms, 9 * time.Second, 11 * time.Second},
			[]uint32{0, 40, 40, 1000},
			1,
		},
		{
			"rounding",
			0,
			[]time.Duration{400 * time.Microsecond, 500 * time.Microsecond, 1499 * time.Microsecond, 1500 * time.Microsecond},
			[]uint32{0, 1, 1, 2},
			0,
		},
		{
			"above 2^24 ms",
			0,
			[]time.Duration{(1<<24 - 1) * ms, 1 << 24 * ms, 5 * time.Hour},
			[]uint32{1<<24 - 1, 1 << 24, 18_000_000},
			0,
		},
		{
			"wraps modulo 2^32 and stays monotonic unwrapped",
			0,
			[]time.Duration{(1<<32 - 1) * ms, 1 << 32 * ms, (1<<32 + 5) * ms, (1<<32 + 4) * ms},
			[]uint32{1<<32 - 1, 0, 5, 5},
			1,
		},
	} {
		t.Run(ca.name, func(t *testing.T) {
			ts := Timestamper{Base: ca.base}
			var got []uint32
			for _, d := range ca.dts {
				got = append(got, ts.Timestamp(d))
			}
			if !reflect.DeepEqual(got, ca.want) || ts.Raised() != ca.raised {
				t.Fatalf("got %v, raised %d; want %v, raised %d", got, ts.Raised(), ca.want, ca.raised)
			}
		})
	}
}

func TestTagTimestamp(t *testing.T) {
	for _, ca := range []struct {
		d    time.Duration
		want uint32
	}{
		{0, 0},
		{-time.Millisecond, 0},
		{1500 * time.Microsecond, 2},
		{-400 * time.Microsecond, 0},
		{(1<<32 + 7) * time.Millisecond, 7},
	} {
		if got := tagTimestamp(ca.d); got != ca.want {
			t.Errorf("tagTimestamp(%v) = %d, want %d", ca.d, got, ca.want)
		}
	}
}
