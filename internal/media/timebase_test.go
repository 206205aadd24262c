package media

import (
	"testing"
	"time"
)

func TestTimeBase(t *testing.T) {
	cases := []struct {
		name     string
		ticks    int64
		num, den int
		d        time.Duration
	}{
		{"90kHz one second", 90000, 1, 90000, time.Second},
		{"90kHz one tick rounds", 1, 1, 90000, 11111 * time.Nanosecond},
		{"FLV milliseconds", 40, 1, 1000, 40 * time.Millisecond},
		{"48kHz frame", 1024, 1, 48000, 21333333 * time.Nanosecond},
		{"NTSC frame", 1, 1001, 30000, 33366667 * time.Nanosecond},
		{"negative", -90000, 1, 90000, -time.Second},
		{"zero den", 5, 1, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FromTimeBase(c.ticks, c.num, c.den); got != c.d {
				t.Errorf("FromTimeBase(%d, %d/%d) = %v, want %v", c.ticks, c.num, c.den, got, c.d)
			}
			if c.den == 0 {
				return
			}
			if got := ToTimeBase(c.d, c.num, c.den); got != c.ticks {
				t.Errorf("ToTimeBase(%v, %d/%d) = %d, want %d", c.d, c.num, c.den, got, c.ticks)
			}
		})
	}
	if got := ToTimeBase(time.Second, 0, 1); got != 0 {
		t.Errorf("ToTimeBase with num 0 = %d, want 0", got)
	}
}

func TestSamples(t *testing.T) {
	cases := []struct {
		name string
		n    int64
		rate int
		d    time.Duration
		back int64 // DurationSamples(d, rate)
	}{
		{"one second", 48000, 48000, time.Second, 48000},
		{"AAC frame truncates", 1024, 48000, 21333333 * time.Nanosecond, 1023},
		{"44.1kHz 10ms", 441, 44100, 10 * time.Millisecond, 441},
		{"no rate", 100, 0, 0, 0},
		{"a day at 192kHz", 192000 * 86400, 192000, 24 * time.Hour, 192000 * 86400},
		{"negative truncates toward 0", -1, 3, -333333333, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SamplesDuration(c.n, c.rate); got != c.d {
				t.Errorf("SamplesDuration(%d, %d) = %v, want %v", c.n, c.rate, got, c.d)
			}
			if got := DurationSamples(c.d, c.rate); got != c.back {
				t.Errorf("DurationSamples(%v, %d) = %d, want %d", c.d, c.rate, got, c.back)
			}
		})
	}
}
