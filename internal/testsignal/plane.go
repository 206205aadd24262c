package testsignal

import (
	"errors"
	"fmt"
	"image"
)

// ErrGeometry is returned by the drawing functions when the plane cannot
// hold the mark: the frame is too small for it (for the stripe: narrower
// than 64 pixels, whose cells would be 0 pixels wide, or lower than 8 rows),
// the stride is smaller than the width, or the buffer is shorter than the
// rows it must hold.
var ErrGeometry = errors.New("testsignal: bad plane geometry")

// checkPlane reports whether buf can hold a plane of h rows of w pixels
// spaced stride bytes apart, without overflowing int arithmetic.
func checkPlane(buf []byte, stride, w, h int) error {
	if w < 1 || h < 1 {
		return fmt.Errorf("%w: size %dx%d is empty", ErrGeometry, w, h)
	}
	if stride < w {
		return fmt.Errorf("%w: stride (%d) is smaller than width (%d)", ErrGeometry, stride, w)
	}
	if len(buf) < w || (h > 1 && (len(buf)-w)/stride < h-1) {
		return fmt.Errorf("%w: buffer of %d bytes cannot hold %d rows of %d bytes with stride %d",
			ErrGeometry, len(buf), h, w, stride)
	}
	return nil
}

// centralHalf is the middle 50% of the span [lo, lo+n): at least one
// pixel, centred.
func centralHalf(lo, n int) (start, length int) {
	length = n / 2
	if length < 1 {
		length = 1
	}
	return lo + (n-length)/2, length
}

// centralMean is the mean value over the central half, in both directions,
// of rectangle r of the plane. r must lie inside the plane and be non-empty.
func centralMean(buf []byte, stride int, r image.Rectangle) int {
	x0, nx := centralHalf(r.Min.X, r.Dx())
	y0, ny := centralHalf(r.Min.Y, r.Dy())
	sum := 0
	for y := y0; y < y0+ny; y++ {
		row := buf[y*stride+x0 : y*stride+x0+nx]
		for _, v := range row {
			sum += int(v)
		}
	}
	return sum / (nx * ny)
}

// fill sets every byte of b to v.
func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// fillRect sets rectangle r of the plane to v. r must lie inside the plane.
func fillRect(buf []byte, stride int, r image.Rectangle, v byte) {
	if r.Empty() {
		return
	}
	first := buf[r.Min.Y*stride+r.Min.X : r.Min.Y*stride+r.Max.X]
	fill(first, v)
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(buf[y*stride+r.Min.X:y*stride+r.Max.X], first)
	}
}

// FillNeutralChroma420 sets the Cb and Cr samples that cover rectangle r
// (in luma pixels, rounded outwards to whole chroma samples) of a YUV 4:2:0
// frame of w x h luma pixels to ChromaNeutral, so that black and white
// luma in r stay black and white after chroma subsampling and encoding.
// cb and cr are the chroma planes, both with stride cstride and
// ceil(w/2) x ceil(h/2) samples. r is clipped to the frame.
func FillNeutralChroma420(cb, cr []byte, cstride, w, h int, r image.Rectangle) error {
	cw, ch := (w+1)/2, (h+1)/2
	if err := checkPlane(cb, cstride, cw, ch); err != nil {
		return fmt.Errorf("cb plane: %w", err)
	}
	if err := checkPlane(cr, cstride, cw, ch); err != nil {
		return fmt.Errorf("cr plane: %w", err)
	}
	r = r.Intersect(image.Rect(0, 0, w, h))
	if r.Empty() {
		return nil
	}
	c := image.Rect(r.Min.X/2, r.Min.Y/2, (r.Max.X+1)/2, (r.Max.Y+1)/2)
	fillRect(cb, cstride, c, ChromaNeutral)
	fillRect(cr, cstride, c, ChromaNeutral)
	return nil
}
