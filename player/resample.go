package player

import (
	"errors"
	"fmt"

	"github.com/asticode/go-astiav"

	"onair/internal/swr"
)

// resampler converts decoded audio frames to the output's interleaved
// float32 (swr.FrameConverter); a frame with no rate or channels is
// corrupt (ErrCorrupt).
type resampler struct{ c *swr.FrameConverter }

func newResampler(rate, channels int) *resampler {
	return &resampler{c: swr.NewFrameConverter(rate, channels)}
}

// convert returns f's samples converted (nil while the resampler holds
// them back); the slice is reused by the next call.
func (r *resampler) convert(f *astiav.Frame) ([]float32, error) {
	out, err := r.c.Convert(f)
	if errors.Is(err, swr.ErrInvalidArgument) {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

func (r *resampler) free() { r.c.Close() }
