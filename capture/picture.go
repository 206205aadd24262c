package capture

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"time"

	"onair/internal/font"
	"onair/internal/testsignal"
)

// Luma of the parts of the test picture that are not colour bars.
const (
	lumaLower = 40  // background below the bars
	lumaBox   = 200 // the moving box
	lumaText  = 235 // clock and frame counter
)

// sweepPeriod is the time the moving box takes to cross the frame.
const sweepPeriod = 2 * time.Second

// picture is the test pattern for one frame size, in limited-range BT.601
// YUV 4:2:0. Its layout and its static background (colour bars, neutral
// grey elsewhere) are computed once; draw copies the background into a
// frame buffer and draws only what moves: the box, the text, the sync
// square and the timecode stripe.
//
// Layout, top to bottom: the timecode stripe band; 75% colour bars down to
// 3/5 of the height (or the top of the sync square, if higher); a strip in
// which a box sweeps left to right every sweepPeriod; the wall-clock time
// of capture (HH:MM:SS.mmm, local time) and the frame counter. The sync
// square sits in the bottom-right corner.
type picture struct {
	w, h         int
	ySize, cSize int    // bytes of the luma plane and of one chroma plane
	bg           []byte // Y, Cb, Cr planes back to back
	square       image.Rectangle
	barsY0       int
	barsY1       int
	moveY0       int
	moveY1       int
	boxW         int
	scale        int // font pixel size
	textX        int
	textY        [2]int
}

// newPicture lays out and renders the background of a w x h pattern; w and
// h must be even and at least 64.
func newPicture(w, h int) (*picture, error) {
	p := &picture{w: w, h: h, ySize: w * h, cSize: (w / 2) * (h / 2)}
	p.square = testsignal.SyncSquare(w, h)
	if p.square.Empty() || w < testsignal.MinStripeWidth {
		return nil, fmt.Errorf("%w: a %dx%d frame cannot carry the test marks", ErrInvalidConfig, w, h)
	}
	p.barsY0 = testsignal.StripeHeight(h)
	p.barsY1 = h * 3 / 5
	if p.barsY1 > p.square.Min.Y {
		p.barsY1 = p.square.Min.Y
	}
	p.moveY0 = p.barsY1
	p.moveY1 = p.moveY0 + max(2, h/12)
	p.boxW = max(2, w/16)
	p.scale = max(1, min(h/90, w/(2*13*font.Advance)))
	p.textX = max(2, w/32)
	p.textY[0] = p.moveY1 + 2*p.scale
	p.textY[1] = p.textY[0] + lineHeight*p.scale

	p.bg = make([]byte, p.ySize+2*p.cSize)
	y, cb, cr := p.planes(p.bg)
	fillBytes(y, lumaLower)
	fillBytes(cb, testsignal.ChromaNeutral)
	fillBytes(cr, testsignal.ChromaNeutral)
	p.drawBars(y, cb, cr)
	// The marks' regions: black luma (drawn over on each frame) and neutral
	// chroma, so that they stay black and white through encoding.
	if err := testsignal.DrawStripe(y, w, w, h, 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if err := testsignal.DrawSyncSquare(y, w, w, h, false); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	for _, r := range []image.Rectangle{testsignal.StripeRect(w, h), p.square} {
		if err := testsignal.FillNeutralChroma420(cb, cr, w/2, w, h, r); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
		}
	}
	return p, nil
}

// size is the number of bytes of a frame buffer.
func (p *picture) size() int { return len(p.bg) }

// planes slices a frame buffer into its Y, Cb and Cr planes.
func (p *picture) planes(buf []byte) (y, cb, cr []byte) {
	return buf[:p.ySize:p.ySize],
		buf[p.ySize : p.ySize+p.cSize : p.ySize+p.cSize],
		buf[p.ySize+p.cSize : p.ySize+2*p.cSize : p.ySize+2*p.cSize]
}

// drawBars draws seven 75% colour bars (white, yellow, cyan, green,
// magenta, red, blue) over rows barsY0..barsY1-1.
func (p *picture) drawBars(y, cb, cr []byte) {
	cw := p.w / 2
	for i := 0; i < 7; i++ {
		vy, vcb, vcr := bar75(i)
		x0, x1 := i*p.w/7, (i+1)*p.w/7
		for r := p.barsY0; r < p.barsY1; r++ {
			fillBytes(y[r*p.w+x0:r*p.w+x1], vy)
		}
		// Chroma samples whose left luma pixel is in the bar.
		cx0, cx1 := (x0+1)/2, (x1+1)/2
		for r := p.barsY0 / 2; r < (p.barsY1+1)/2; r++ {
			fillBytes(cb[r*cw+cx0:r*cw+cx1], vcb)
			fillBytes(cr[r*cw+cx0:r*cw+cx1], vcr)
		}
	}
}

// bar75 is the limited-range BT.601 colour of 75% bar i (0 white, 1
// yellow, 2 cyan, 3 green, 4 magenta, 5 red, 6 blue).
func bar75(i int) (y, cb, cr byte) {
	r, g, b := 0.0, 0.0, 0.0
	if i == 0 || i == 1 || i == 4 || i == 5 {
		r = 0.75
	}
	if i <= 3 {
		g = 0.75
	}
	if i%2 == 0 {
		b = 0.75
	}
	luma := 0.299*r + 0.587*g + 0.114*b
	return byte(math.Round(16 + 219*luma)),
		byte(math.Round(128 + 224*(b-luma)/1.772)),
		byte(math.Round(128 + 224*(r-luma)/1.402))
}

// draw renders the frame captured at wall (wall-clock time) and pts
// (stream-clock time), number seq, into buf (of size()). scratch is
// reusable text space; draw returns it, possibly grown.
func (p *picture) draw(buf []byte, wall time.Time, pts time.Duration, seq int64, scratch []byte) ([]byte, error) {
	copy(buf, p.bg)
	y, _, _ := p.planes(buf)
	w, h := p.w, p.h

	// Moving box: position from the capture time, so frames the source
	// skipped show as a jump.
	travel := w - p.boxW
	phase := pts % sweepPeriod
	if phase < 0 {
		phase += sweepPeriod
	}
	x := int(int64(travel) * int64(phase) / int64(sweepPeriod))
	for r := p.moveY0; r < p.moveY1 && r < h; r++ {
		fillBytes(y[r*w+x:r*w+x+p.boxW], lumaBox)
	}

	scratch = wall.AppendFormat(scratch[:0], "15:04:05.000")
	drawText(y, w, w, h, p.textX, p.textY[0], p.scale, scratch, lumaText)
	scratch = strconv.AppendInt(append(scratch[:0], "FRAME "...), seq, 10)
	drawText(y, w, w, h, p.textX, p.textY[1], p.scale, scratch, lumaText)

	ms := wall.UnixMilli()
	if err := testsignal.DrawSyncSquare(y, w, w, h, testsignal.SyncOn(ms)); err != nil {
		return scratch, err
	}
	if err := testsignal.DrawStripe(y, w, w, h, ms); err != nil {
		return scratch, err
	}
	return scratch, nil
}
