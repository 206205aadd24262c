package swr

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// tone is one channel's sine.
type tone struct{ freq, amp float64 }

func (t tone) at(i, rate int) float64 {
	return t.amp * math.Sin(2*math.Pi*t.freq*float64(i)/float64(rate))
}

// floats is n interleaved samples from sample first on, channel c
// carrying tones[c].
func floats(tones []tone, rate, first, n int) []float32 {
	out := make([]float32, 0, n*len(tones))
	for i := first; i < first+n; i++ {
		for _, t := range tones {
			out = append(out, float32(t.at(i, rate)))
		}
	}
	return out
}

// framePlane is plane i of f, size bytes. go-astiav v0.16.0 cannot write
// a frame's samples, and a test file cannot use cgo; AVFrame begins with
// its public uint8_t *data[AV_NUM_DATA_POINTERS], so the pointers are
// read from there.
func framePlane(t *testing.T, f *astiav.Frame, i, size int) []byte {
	t.Helper()
	if ls := f.Linesize()[0]; ls < size {
		t.Fatalf("plane %d has linesize %d, want at least %d", i, ls, size)
	}
	data := (*[astiav.NumDataPointers]*byte)(f.UnsafePointer())
	if data[i] == nil {
		t.Fatalf("frame has no plane %d", i)
	}
	return unsafe.Slice(data[i], size)
}

// audioFrame is a frame of n samples from sample first on, channel c
// carrying tones[c] (one or two channels), in format sf (s16 or fltp).
func audioFrame(t *testing.T, sf astiav.SampleFormat, rate int, tones []tone, first, n int) *astiav.Frame {
	t.Helper()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetSampleFormat(sf)
	f.SetSampleRate(rate)
	layout := astiav.ChannelLayoutMono
	if len(tones) == 2 {
		layout = astiav.ChannelLayoutStereo
	}
	f.SetChannelLayout(layout)
	f.SetNbSamples(n)
	if err := f.AllocBuffer(0); err != nil {
		t.Fatal(err)
	}
	ch := len(tones)
	switch sf {
	case astiav.SampleFormatS16:
		p := framePlane(t, f, 0, n*ch*2)
		for i := 0; i < n; i++ {
			for c, tn := range tones {
				v := int16(math.Round(tn.at(first+i, rate) * 32767))
				binary.LittleEndian.PutUint16(p[(i*ch+c)*2:], uint16(v))
			}
		}
	case astiav.SampleFormatFltp:
		for c, tn := range tones {
			p := framePlane(t, f, c, n*4)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint32(p[i*4:], math.Float32bits(float32(tn.at(first+i, rate))))
			}
		}
	default:
		t.Fatalf("no test frames in %s", sf)
	}
	return f
}

// channel is channel c of interleaved samples of ch channels.
func channel(samples []float32, ch, c int) []float64 {
	out := make([]float64, 0, len(samples)/ch)
	for i := c; i < len(samples); i += ch {
		out = append(out, float64(samples[i]))
	}
	return out
}

// measure is x's frequency (from its rising zero crossings, interpolated)
// and amplitude (from its RMS), skipping the first and last skip samples
// (the resampler's start and the tail it still holds).
func measure(t *testing.T, x []float64, rate, skip int) (freq, amp float64) {
	t.Helper()
	if len(x) < 3*skip {
		t.Fatalf("only %d samples", len(x))
	}
	x = x[skip : len(x)-skip]
	var firstAt, lastAt float64
	crossings := 0
	var sq float64
	for i := 1; i < len(x); i++ {
		sq += x[i] * x[i]
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + -x[i-1]/(x[i]-x[i-1])
			if crossings == 0 {
				firstAt = at
			}
			lastAt = at
			crossings++
		}
	}
	if crossings < 2 {
		t.Fatalf("%d zero crossings", crossings)
	}
	freq = float64(crossings-1) * float64(rate) / (lastAt - firstAt)
	amp = math.Sqrt(2 * sq / float64(len(x)-1))
	return freq, amp
}

func checkTone(t *testing.T, what string, x []float64, rate int, want tone) {
	t.Helper()
	freq, amp := measure(t, x, rate, rate/100)
	if math.Abs(freq-want.freq) > want.freq/1000 {
		t.Errorf("%s: frequency %.2f Hz, want %.0f", what, freq, want.freq)
	}
	if math.Abs(amp-want.amp) > want.amp/100 {
		t.Errorf("%s: amplitude %.4f, want %.4f", what, amp, want.amp)
	}
}

func TestFrameToFloat(t *testing.T) {
	tones := []tone{{1000, 0.5}, {440, 0.25}}
	for _, sf := range []astiav.SampleFormat{astiav.SampleFormatS16, astiav.SampleFormatFltp} {
		t.Run(sf.Name(), func(t *testing.T) {
			const inRate, outRate, block = 44100, 48000, 1024
			first := audioFrame(t, sf, inRate, tones, 0, block)
			r, err := NewFromFrame(first, outRate, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.InFormat() != sf || r.InRate() != inRate || r.InChannels() != 2 || r.OutRate() != outRate || r.OutChannels() != 2 {
				t.Fatalf("resampler from %s %d Hz %d ch to %d Hz %d ch", r.InFormat(), r.InRate(), r.InChannels(), r.OutRate(), r.OutChannels())
			}
			// One second, in blocks, appended after a marker that must survive.
			out := []float32{42}
			for at := 0; at < inRate; at += block {
				n := min(block, inRate-at)
				f := audioFrame(t, sf, inRate, tones, at, n)
				if !r.Matches(f) {
					t.Fatal("a frame of the same format does not match")
				}
				before := len(out)
				if out, err = r.ConvertFrame(f, out); err != nil {
					t.Fatal(err)
				}
				if (len(out)-before)%2 != 0 {
					t.Fatalf("appended %d values, not whole stereo samples", len(out)-before)
				}
			}
			if out[0] != 42 {
				t.Fatalf("dst's contents overwritten: %v", out[0])
			}
			out = out[1:]
			// All but the resampling filter's delay.
			if n := len(out) / 2; n > outRate || n < outRate-64 {
				t.Errorf("%d samples out for 1 s in, want about %d", n, outRate)
			}
			checkTone(t, "left", channel(out, 2, 0), outRate, tones[0])
			checkTone(t, "right", channel(out, 2, 1), outRate, tones[1])
		})
	}
}

func TestFloatRateChange(t *testing.T) {
	tones := []tone{{997, 0.7}, {3000, 0.3}}
	for _, c := range []struct{ in, out int }{{48000, 44100}, {44100, 48000}, {16000, 48000}, {48000, 48000}} {
		r, err := NewFloat(c.in, 2, c.out, 2)
		if err != nil {
			t.Fatal(err)
		}
		var out []float32
		block := c.in / 100
		for at := 0; at < c.in; at += block {
			if out, err = r.ConvertFloat(floats(tones, c.in, at, block), out); err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		if n := len(out) / 2; n > c.out || n < c.out-64 {
			t.Errorf("%d→%d Hz: %d samples out for 1 s in, want about %d", c.in, c.out, n, c.out)
		}
		checkTone(t, "left", channel(out, 2, 0), c.out, tones[0])
		checkTone(t, "right", channel(out, 2, 1), c.out, tones[1])
	}
}

func TestMonoToStereo(t *testing.T) {
	r, err := NewFloat(48000, 1, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := floats([]tone{{1000, 0.5}}, 48000, 0, 4800)
	out, err := r.ConvertFloat(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2*len(in) {
		t.Fatalf("%d values out for %d mono samples, want %d", len(out), len(in), 2*len(in))
	}
	// libswresample's default mono→stereo matrix puts the centre channel
	// on both sides at -3 dB.
	for i, v := range in {
		l, rt := out[2*i], out[2*i+1]
		if l != rt {
			t.Fatalf("sample %d: left %v, right %v", i, l, rt)
		}
		if want := v * math.Sqrt2 / 2; math.Abs(float64(l-want)) > 1e-4 {
			t.Fatalf("sample %d: %v from %v, want %v", i, l, v, want)
		}
	}
}

func TestClose(t *testing.T) {
	r, err := NewFloat(48000, 2, 44100, 2)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	var nilR *Resampler
	nilR.Close()
	if _, err := r.ConvertFloat(make([]float32, 20), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("ConvertFloat after Close: %v", err)
	}
	f := audioFrame(t, astiav.SampleFormatS16, 48000, []tone{{1000, 0.5}}, 0, 100)
	fr, err := NewFromFrame(f, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	fr.Close()
	fr.Close()
	if _, err := fr.ConvertFrame(f, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("ConvertFrame after Close: %v", err)
	}
}

func TestBadArguments(t *testing.T) {
	for _, c := range [][4]int{
		{0, 2, 48000, 2}, {-1, 2, 48000, 2}, {48000, 0, 48000, 2}, {48000, MaxChannels + 1, 48000, 2},
		{48000, 2, 0, 2}, {48000, 2, 48000, 0}, {48000, 2, 48000, -2}, {math.MaxInt32 + 1, 1, 48000, 1},
	} {
		if r, err := NewFloat(c[0], c[1], c[2], c[3]); !errors.Is(err, ErrInvalidArgument) {
			r.Close()
			t.Errorf("NewFloat(%v): %v, want ErrInvalidArgument", c, err)
		}
	}

	if _, err := NewFromFrame(nil, 48000, 2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewFromFrame(nil): %v", err)
	}
	good := audioFrame(t, astiav.SampleFormatS16, 44100, []tone{{1000, 0.5}, {1000, 0.5}}, 0, 256)
	if _, err := NewFromFrame(good, 0, 2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewFromFrame to 0 Hz: %v", err)
	}
	if _, err := NewFromFrame(good, 48000, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewFromFrame to 0 channels: %v", err)
	}
	empty := astiav.AllocFrame()
	defer empty.Free()
	empty.SetSampleFormat(astiav.SampleFormatS16)
	if _, err := NewFromFrame(empty, 48000, 2); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "input rate 0 Hz") {
		t.Errorf("NewFromFrame of a frame with no rate: %v", err)
	}
	empty.SetSampleRate(44100)
	if _, err := NewFromFrame(empty, 48000, 2); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "0 input channels") {
		t.Errorf("NewFromFrame of a frame with no channels: %v", err)
	}
	empty.SetChannelLayout(astiav.ChannelLayoutStereo)
	empty.SetSampleFormat(astiav.SampleFormatNone)
	if _, err := NewFromFrame(empty, 48000, 2); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "unknown input sample format -1") {
		t.Errorf("NewFromFrame of a frame with no sample format: %v", err)
	}
	empty.SetSampleFormat(astiav.SampleFormatS16)
	if r, err := NewFromFrame(empty, 48000, 2); err != nil { // its parameters are all it reads
		t.Errorf("NewFromFrame of a frame without data: %v", err)
	} else {
		r.Close()
	}

	// Nine channels to stereo: libswresample has no matrix for it, and
	// says so with its own error.
	_, err := NewFloat(48000, 9, 48000, 2)
	var ae astiav.Error
	if !errors.Is(err, ErrFFmpeg) || !errors.As(err, &ae) || !errors.Is(err, astiav.Error(-22)) || // EINVAL
		!strings.HasSuffix(err.Error(), ": "+ae.Error()) || !strings.Contains(err.Error(), "Invalid argument") {
		t.Errorf("NewFloat from 9 channels to 2: %v, want ErrFFmpeg with FFmpeg's EINVAL and message", err)
	} else {
		t.Logf("9 channels to 2: %v", err)
	}

	r, err := NewFromFrame(good, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ConvertFloat(make([]float32, 4), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConvertFloat on a frame resampler: %v", err)
	}
	if _, err := r.ConvertFrame(nil, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConvertFrame(nil): %v", err)
	}
	for _, f := range []*astiav.Frame{
		audioFrame(t, astiav.SampleFormatFltp, 44100, []tone{{1000, 0.5}, {1000, 0.5}}, 0, 256),
		audioFrame(t, astiav.SampleFormatS16, 48000, []tone{{1000, 0.5}, {1000, 0.5}}, 0, 256),
		audioFrame(t, astiav.SampleFormatS16, 44100, []tone{{1000, 0.5}}, 0, 256),
	} {
		if r.Matches(f) {
			t.Errorf("a %s %d Hz %d-channel frame matches", f.SampleFormat(), f.SampleRate(), f.ChannelLayout().NbChannels())
		}
		if _, err := r.ConvertFrame(f, nil); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ConvertFrame of a frame of another format: %v", err)
		}
	}
	// The format right but no buffer.
	bare := astiav.AllocFrame()
	defer bare.Free()
	bare.SetSampleFormat(astiav.SampleFormatS16)
	bare.SetSampleRate(44100)
	bare.SetChannelLayout(astiav.ChannelLayoutStereo)
	bare.SetNbSamples(256)
	if !r.Matches(bare) {
		t.Error("a frame of the same format but no data does not match")
	}
	if _, err := r.ConvertFrame(bare, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConvertFrame of a frame without data: %v", err)
	}

	fl, err := NewFloat(48000, 2, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	if _, err := fl.ConvertFloat(make([]float32, 5), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConvertFloat of half a sample: %v", err)
	}
	if _, err := fl.ConvertFrame(good, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ConvertFrame on a float resampler: %v", err)
	}
	if out, err := fl.ConvertFloat(nil, []float32{1}); err != nil || len(out) != 1 {
		t.Errorf("ConvertFloat of nothing: %v, %v", out, err)
	}
}
