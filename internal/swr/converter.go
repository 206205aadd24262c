package swr

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// FrameConverter converts decoded audio frames of any sample format, rate
// and channel layout to interleaved float32 at a fixed rate and channel
// count: a Resampler that is remade whenever the input format changes
// mid-stream (a decoder that reconfigures, a file with another track).
// The zero value is not usable: make one with NewFrameConverter.
type FrameConverter struct {
	rate, channels int
	r              *Resampler
	out            []float32
}

// NewFrameConverter makes a converter to rate Hz with channels channels;
// the first Convert checks them.
func NewFrameConverter(rate, channels int) *FrameConverter {
	return &FrameConverter{rate: rate, channels: channels}
}

// Convert returns f's samples converted; the slice is reused by the next
// call, and is empty while the resampler holds samples back. A frame with
// no rate or no channels gives an error wrapping ErrInvalidArgument.
func (c *FrameConverter) Convert(f *astiav.Frame) ([]float32, error) {
	if c.r == nil || !c.r.Matches(f) {
		c.Close()
		inRate, inCh := f.SampleRate(), f.ChannelLayout().NbChannels()
		if inRate <= 0 || inCh <= 0 {
			return nil, fmt.Errorf("%w: audio frame with %d Hz, %d channels", ErrInvalidArgument, inRate, inCh)
		}
		r, err := NewFromFrame(f, c.rate, c.channels)
		if err != nil {
			return nil, fmt.Errorf("audio resampler: %w", err)
		}
		c.r = r
	}
	out, err := c.r.ConvertFrame(f, c.out[:0])
	if err != nil {
		return nil, fmt.Errorf("resampling audio: %w", err)
	}
	c.out = out
	return out, nil
}

// Close frees the resampler; a later Convert makes a new one. It is safe
// to call more than once.
func (c *FrameConverter) Close() {
	c.r.Close()
	c.r = nil
}
