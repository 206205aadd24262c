package testsignal

import (
	"fmt"
	"image"
)

// Sync square geometry and timing (spec section 2).
const (
	// SyncMargin is the distance in pixels between the sync square and the
	// frame's right and bottom edges.
	SyncMargin = 16
	// SyncPeriodMS is the period of the sync marks, in milliseconds.
	SyncPeriodMS = 1000
	// SyncOnMS is how long the marks are on at the start of each period, in
	// milliseconds: frames captured in [k*1000, k*1000+100) ms show a white
	// square.
	SyncOnMS = 100
)

// SyncSquare is the sync square of a w x h frame: side floor(h/6), in the
// bottom-right corner, SyncMargin pixels from the right and bottom edges.
// It is the empty rectangle when the frame is too small to hold it (side 0,
// or the square would cross the left or top edge).
func SyncSquare(w, h int) image.Rectangle {
	side := h / 6
	r := image.Rect(w-SyncMargin-side, h-SyncMargin-side, w-SyncMargin, h-SyncMargin)
	if side < 1 || r.Min.X < 0 || r.Min.Y < 0 {
		return image.Rectangle{}
	}
	return r
}

// SyncOn reports whether a frame captured at unixMS (wall-clock Unix
// milliseconds) shows a white sync square: unixMS mod 1000 < 100, with the
// modulo taken towards minus infinity so times before 1970 work too.
func SyncOn(unixMS int64) bool {
	m := unixMS % SyncPeriodMS
	if m < 0 {
		m += SyncPeriodMS
	}
	return m < SyncOnMS
}

// DrawSyncSquare fills the sync square of luma plane y (w x h pixels, rows
// stride bytes apart) white (LumaWhite) when on, black (LumaBlack)
// otherwise; use on = SyncOn(unixMS). It writes nothing outside the square.
// For YUV 4:2:0 frames, also make the square's chroma neutral with
// FillNeutralChroma420(..., SyncSquare(w, h)). It returns ErrGeometry when
// the frame cannot hold the square or the plane is too small.
func DrawSyncSquare(y []byte, stride, w, h int, on bool) error {
	if err := checkPlane(y, stride, w, h); err != nil {
		return err
	}
	r := SyncSquare(w, h)
	if r.Empty() {
		return fmt.Errorf("%w: a %dx%d frame cannot hold the sync square", ErrGeometry, w, h)
	}
	v := byte(LumaBlack)
	if on {
		v = LumaWhite
	}
	fillRect(y, stride, r, v)
	return nil
}

// ReadSyncSquare reports whether the sync square of luma plane y is white:
// the mean luma over its central half (middle 50% of width and height) is
// at least LumaThreshold. It is false when the plane cannot hold the square.
func ReadSyncSquare(y []byte, stride, w, h int) bool {
	if checkPlane(y, stride, w, h) != nil {
		return false
	}
	r := SyncSquare(w, h)
	if r.Empty() {
		return false
	}
	return centralMean(y, stride, r) >= LumaThreshold
}
