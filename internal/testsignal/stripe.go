package testsignal

import (
	"errors"
	"fmt"
	"image"
)

// Stripe layout (spec section 1).
const (
	// CellCount is the number of cells in the stripe.
	CellCount = 64
	// MinStripeHeight is the least height of the stripe band, in rows; it
	// is also the least frame height that can carry the stripe.
	MinStripeHeight = 8
	// MinStripeWidth is the least frame width that can carry the stripe:
	// one pixel per cell.
	MinStripeWidth = CellCount
	// TimestampBits is the width of the stripe's timestamp.
	TimestampBits = 48
	// MaxTimestamp is the largest Unix millisecond time the stripe can
	// carry (about the year 10889).
	MaxTimestamp = 1<<TimestampBits - 1
)

// Cell positions.
const (
	cellTimestamp = 2  // cells 2..49: timestamp, MSB first
	cellCRC       = 50 // cells 50..57: CRC-8, MSB first
	cellZero      = 58 // cells 58..61: 0
)

// ErrTimestampRange is returned by EncodeCells and DrawStripe when the
// timestamp is negative or above MaxTimestamp.
var ErrTimestampRange = errors.New("testsignal: timestamp out of range")

// Cells is the content of a timecode stripe, cell 0 first; true is a white
// cell (a 1), false a black one (a 0).
type Cells [CellCount]bool

// StripeHeight is the height in rows of the stripe band of a frame h rows
// high: max(8, floor(h/24)).
func StripeHeight(h int) int {
	if s := h / 24; s > MinStripeHeight {
		return s
	}
	return MinStripeHeight
}

// CellWidth is the width in pixels of one stripe cell in a frame w pixels
// wide: floor(w/64). It is 0 for frames narrower than 64 pixels, which
// cannot carry the stripe.
func CellWidth(w int) int {
	if w < 0 {
		return 0
	}
	return w / CellCount
}

// StripeRect is the stripe band of a w x h frame: full width, rows
// 0..StripeHeight(h)-1.
func StripeRect(w, h int) image.Rectangle {
	return image.Rect(0, 0, w, StripeHeight(h))
}

// timestampBytes is the 48-bit timestamp as 6 bytes, big-endian.
func timestampBytes(unixMS int64) [6]byte {
	var b [6]byte
	for i := range b {
		b[i] = byte(unixMS >> (8 * (5 - i)))
	}
	return b
}

// EncodeCells lays out a stripe carrying unixMS: markers 1,0 in cells 0,1,
// the 48-bit timestamp in cells 2..49, its CRC-8 in cells 50..57, zeros in
// 58..61, markers 0,1 in cells 62,63.
func EncodeCells(unixMS int64) (Cells, error) {
	var c Cells
	if unixMS < 0 || unixMS > MaxTimestamp {
		return c, fmt.Errorf("%w: %d ms is outside 0..%d", ErrTimestampRange, unixMS, int64(MaxTimestamp))
	}
	c[0], c[1] = true, false
	for i := 0; i < TimestampBits; i++ {
		c[cellTimestamp+i] = unixMS>>(TimestampBits-1-i)&1 == 1
	}
	b := timestampBytes(unixMS)
	crc := CRC8(b[:])
	for i := 0; i < 8; i++ {
		c[cellCRC+i] = crc>>(7-i)&1 == 1
	}
	c[62], c[63] = false, true
	return c, nil
}

// DecodeCells is the inverse of EncodeCells. ok is false when the markers,
// the zero cells or the CRC do not match: the stripe is undecodable.
func DecodeCells(c Cells) (unixMS int64, ok bool) {
	if !c[0] || c[1] || c[62] || !c[63] {
		return 0, false
	}
	for i := cellZero; i < 62; i++ {
		if c[i] {
			return 0, false
		}
	}
	for i := 0; i < TimestampBits; i++ {
		unixMS <<= 1
		if c[cellTimestamp+i] {
			unixMS |= 1
		}
	}
	var crc byte
	for i := 0; i < 8; i++ {
		crc <<= 1
		if c[cellCRC+i] {
			crc |= 1
		}
	}
	b := timestampBytes(unixMS)
	if CRC8(b[:]) != crc {
		return 0, false
	}
	return unixMS, true
}

// checkStripe reports whether a luma plane can carry the stripe.
func checkStripe(y []byte, stride, w, h int) error {
	if w < MinStripeWidth {
		return fmt.Errorf("%w: width (%d) is below %d, stripe cells would be 0 pixels wide",
			ErrGeometry, w, MinStripeWidth)
	}
	if h < MinStripeHeight {
		return fmt.Errorf("%w: height (%d) is below the stripe band's %d rows", ErrGeometry, h, MinStripeHeight)
	}
	return checkPlane(y, stride, w, h)
}

// DrawStripe writes the timecode stripe carrying unixMS into the top band
// of luma plane y (w x h pixels, rows stride bytes apart): 64 cells of
// CellWidth(w) pixels, white (LumaWhite) for 1 and black (LumaBlack) for 0,
// over rows 0..StripeHeight(h)-1, and black right of cell 63. It writes
// nothing outside the band. For YUV 4:2:0 frames, also make the band's
// chroma neutral with FillNeutralChroma420(..., StripeRect(w, h)).
//
// It returns ErrGeometry when the plane cannot carry the stripe (w < 64,
// h < 8, bad stride or short buffer) and ErrTimestampRange when unixMS is
// outside 0..MaxTimestamp.
func DrawStripe(y []byte, stride, w, h int, unixMS int64) error {
	if err := checkStripe(y, stride, w, h); err != nil {
		return err
	}
	cells, err := EncodeCells(unixMS)
	if err != nil {
		return err
	}
	cw := CellWidth(w)
	row := y[:w]
	for i, on := range cells {
		v := byte(LumaBlack)
		if on {
			v = LumaWhite
		}
		fill(row[i*cw:(i+1)*cw], v)
	}
	fill(row[CellCount*cw:], LumaBlack)
	for r := 1; r < StripeHeight(h); r++ {
		copy(y[r*stride:r*stride+w], row)
	}
	return nil
}

// ReadCells samples the stripe's cells from luma plane y: for each cell the
// mean luma over its central half (the middle 50% of its width and of the
// band's height), a 1 when the mean is at least LumaThreshold. ok is false
// when the plane cannot carry a stripe.
func ReadCells(y []byte, stride, w, h int) (c Cells, ok bool) {
	if checkStripe(y, stride, w, h) != nil {
		return c, false
	}
	cw, sh := CellWidth(w), StripeHeight(h)
	for i := range c {
		c[i] = centralMean(y, stride, image.Rect(i*cw, 0, (i+1)*cw, sh)) >= LumaThreshold
	}
	return c, true
}

// ReadStripe reads the timestamp (Unix ms) from the stripe of luma plane y
// (w x h pixels, rows stride bytes apart), per the spec's reading rule.
// ok is false when the frame is undecodable: the plane cannot carry a
// stripe, or the markers, zero cells or CRC do not match. It never panics,
// whatever the bytes and geometry.
func ReadStripe(y []byte, stride, w, h int) (unixMS int64, ok bool) {
	c, ok := ReadCells(y, stride, w, h)
	if !ok {
		return 0, false
	}
	return DecodeCells(c)
}
