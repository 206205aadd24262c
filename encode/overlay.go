package encode

import (
	"fmt"
	"image"
	"math"
	"time"

	"onair/internal/font"
	"onair/internal/media"
)

// Overlays drawn on the YUV canvas: the title (top-left) and the wall clock
// (top-right), each white on a translucent dark box so that it reads on any
// picture, and a picture-in-picture with a thin white border.

// Corner is the corner of the output a picture-in-picture sits in.
type Corner int

const (
	// CornerBottomRight is the default: clear of the title and the clock.
	CornerBottomRight Corner = iota
	CornerBottomLeft
	CornerTopRight
	CornerTopLeft
)

func (c Corner) String() string {
	switch c {
	case CornerBottomRight:
		return "bottom-right"
	case CornerBottomLeft:
		return "bottom-left"
	case CornerTopRight:
		return "top-right"
	case CornerTopLeft:
		return "top-left"
	}
	return fmt.Sprintf("Corner(%d)", int(c))
}

// ParseCorner reads "bottom-right", "bottom-left", "top-right" or "top-left".
func ParseCorner(s string) (Corner, error) {
	for _, c := range []Corner{CornerBottomRight, CornerBottomLeft, CornerTopRight, CornerTopLeft} {
		if s == c.String() {
			return c, nil
		}
	}
	return 0, fmt.Errorf("corner %q: want bottom-right, bottom-left, top-right or top-left: %w", s, ErrInvalidConfig)
}

// PiPConfig places a second picture over the main one.
type PiPConfig struct {
	// Corner of the output the PiP sits in. Default CornerBottomRight.
	Corner Corner
	// Size is the PiP's width, border included, as a fraction of the output
	// width: 0 < Size <= 1. Default 0.25. The height follows the PiP
	// picture's aspect ratio, within the output's height.
	Size float64
	// Margin is the gap in pixels between the PiP and the output's edges.
	// Default (0): the overlays' margin, Height/40; negative: none.
	Margin int
}

func (c *PiPConfig) setDefaults() error {
	if c.Size == 0 {
		c.Size = 0.25
	}
	if !(c.Size > 0 && c.Size <= 1) {
		return fmt.Errorf("picture-in-picture size %g: want 0 < size <= 1 (a fraction of the width): %w", c.Size, ErrInvalidConfig)
	}
	if c.Corner < CornerBottomRight || c.Corner > CornerTopLeft {
		return fmt.Errorf("picture-in-picture corner %d: %w", int(c.Corner), ErrInvalidConfig)
	}
	return nil
}

// Colours of the overlays (limited-range BT.601).
const (
	textLuma      = 235 // white text
	borderLuma    = 235 // white PiP border
	chromaNeutral = 128
	// boxKeep is how much of the picture shows through a text box, in
	// 1/256: about 40%.
	boxKeep = 102
)

// darkY and darkC map a sample to its value under a text box.
var darkY, darkC = darkTables()

func darkTables() (y, c [256]byte) {
	for v := 0; v < 256; v++ {
		yv := min(max(v, 16), 235)
		y[v] = byte(16 + ((yv-16)*boxKeep+128)/256)
		cv := min(max(v, 16), 240) - chromaNeutral
		c[v] = byte(chromaNeutral + int(math.Round(float64(cv*boxKeep)/256)))
	}
	return y, c
}

// overlayLayout sizes the overlays for one output size.
type overlayLayout struct {
	scale  int // font pixel size
	pad    int // box padding around the text
	margin int // gap between an overlay and the output's edges (even)
}

func newOverlayLayout(w, h int) overlayLayout {
	s := max(1, h/180)
	return overlayLayout{scale: s, pad: 2 * s, margin: max(2, evenDown(h/40))}
}

// boxSize is the size of the box around n characters.
func (l overlayLayout) boxSize(n int) (w, h int) {
	tw := 0
	if n > 0 {
		tw = n*font.Advance*l.scale - l.scale // no blank column after the last
	}
	return evenUp(tw + 2*l.pad), evenUp(font.H*l.scale + 2*l.pad)
}

// maxChars is how many characters fit in a box at most w pixels wide.
func (l overlayLayout) maxChars(w int) int {
	return max(0, (w-2*l.pad+l.scale)/(font.Advance*l.scale))
}

func evenUp(v int) int { return (v + 1) &^ 1 }

// textBox is a line of text on a translucent dark box.
type textBox struct {
	rect image.Rectangle // the box, even corners, inside the output
	text string
	mask []bool // rect-sized: lit font pixels
	l    overlayLayout
}

// newTextBox lays s out in a box whose top-left corner is at (x, y),
// clipped to the w x h output.
func newTextBox(s string, x, y, w, h int, l overlayLayout) *textBox {
	b := &textBox{l: l}
	bw, bh := l.boxSize(len([]rune(s)))
	b.rect = image.Rect(x, y, x+bw, y+bh).Intersect(image.Rect(0, 0, w, h))
	b.setText(s)
	return b
}

// setText renders s into the mask; the box keeps its place and size.
func (b *textBox) setText(s string) {
	b.text = s
	n := b.rect.Dx() * b.rect.Dy()
	if cap(b.mask) < n {
		b.mask = make([]bool, n)
	}
	b.mask = b.mask[:n]
	for i := range b.mask {
		b.mask[i] = false
	}
	stride := b.rect.Dx()
	sc := b.l.scale
	for i, c := range []rune(s) {
		g, _ := font.Glyph(c)
		gx := b.l.pad + i*font.Advance*sc
		for r, bits := range g {
			for col := 0; col < font.W; col++ {
				if bits&(0x10>>col) == 0 {
					continue
				}
				for py := b.l.pad + r*sc; py < b.l.pad+(r+1)*sc && py < b.rect.Dy(); py++ {
					for px := gx + col*sc; px < gx+(col+1)*sc && px < stride; px++ {
						b.mask[py*stride+px] = true
					}
				}
			}
		}
	}
}

// draw darkens the box and writes the text: white luma on lit pixels,
// neutral chroma wherever a chroma sample covers one.
func (b *textBox) draw(m yuvImage) {
	r := b.rect
	if r.Empty() {
		return
	}
	stride := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := m.y[y*m.yStride+r.Min.X : y*m.yStride+r.Max.X]
		mrow := b.mask[(y-r.Min.Y)*stride:]
		for x, v := range row {
			if mrow[x] {
				row[x] = textLuma
			} else {
				row[x] = darkY[v]
			}
		}
	}
	for cy := r.Min.Y / 2; cy < r.Max.Y/2; cy++ {
		o := cy * m.cStride
		cb := m.cb[o+r.Min.X/2 : o+r.Max.X/2]
		cr := m.cr[o+r.Min.X/2 : o+r.Max.X/2]
		m0 := b.mask[(2*cy-r.Min.Y)*stride:]
		m1 := b.mask[(2*cy+1-r.Min.Y)*stride:]
		for cx := range cb {
			if m0[2*cx] || m0[2*cx+1] || m1[2*cx] || m1[2*cx+1] {
				cb[cx], cr[cx] = chromaNeutral, chromaNeutral
			} else {
				cb[cx], cr[cx] = darkC[cb[cx]], darkC[cr[cx]]
			}
		}
	}
}

// clockFormat is the wall clock's text: local time, to the second.
const clockFormat = "15:04:05"

// titleAndClock lays out the text overlays of a w x h output: the title
// top-left, truncated so as not to run into the clock, and the clock
// top-right. Either is nil when not wanted.
func titleAndClock(title string, clock bool, w, h int) (titleBox, clockBox *textBox) {
	l := newOverlayLayout(w, h)
	avail := w - 2*l.margin
	if clock {
		cw, _ := l.boxSize(len(clockFormat))
		clockBox = newTextBox(clockFormat, max(0, w-l.margin-cw), l.margin, w, h, l)
		clockBox.setText("")
		avail -= cw + l.margin
	}
	if title != "" {
		rs := []rune(title)
		if n := l.maxChars(avail); len(rs) > n {
			rs = rs[:n]
		}
		if len(rs) > 0 {
			titleBox = newTextBox(string(rs), l.margin, l.margin, w, h, l)
		}
	}
	return titleBox, clockBox
}

// drawClock draws the wall-clock time wall into the clock box.
func (b *textBox) drawClock(m yuvImage, wall time.Time) {
	if s := wall.Format(clockFormat); s != b.text {
		b.setText(s)
	}
	b.draw(m)
}

// pipRect places a srcW x srcH picture-in-picture on a w x h output: outer
// is the PiP with its border, inner the picture inside the border. All
// corners are even.
func pipRect(w, h, srcW, srcH int, cfg PiPConfig, margin, border int) (outer, inner image.Rectangle) {
	if srcW <= 0 || srcH <= 0 {
		return image.Rectangle{}, image.Rectangle{}
	}
	if cfg.Margin > 0 {
		margin = evenUp(cfg.Margin)
	} else if cfg.Margin < 0 {
		margin = 0
	}
	ow := min(w, max(2*border+2, 2*int(math.Round(cfg.Size*float64(w)/2))))
	iw := ow - 2*border
	ih := evenRound(int64(iw)*int64(srcH), int64(srcW))
	if maxIH := evenDown(h - 2*margin - 2*border); ih > maxIH {
		ih = max(2, maxIH)
		iw = min(iw, evenRound(int64(ih)*int64(srcW), int64(srcH)))
	}
	ow, oh := iw+2*border, ih+2*border
	x, y := margin, margin
	if cfg.Corner == CornerBottomRight || cfg.Corner == CornerTopRight {
		x = w - margin - ow
	}
	if cfg.Corner == CornerBottomRight || cfg.Corner == CornerBottomLeft {
		y = h - margin - oh
	}
	x, y = evenDown(max(0, x)), evenDown(max(0, y))
	outer = image.Rect(x, y, x+ow, y+oh)
	inner = outer.Inset(border)
	return outer, inner
}

// pipOverlay holds the newest picture-in-picture, already scaled to its
// place, and composites it on each output frame.
type pipOverlay struct {
	cfg          PiPConfig
	w, h         int // output size
	margin       int
	border       int
	outer, inner image.Rectangle
	img          yuvImage // the scaled picture, inner-sized
	buf          []byte
	ok           bool // a picture is held
}

func newPiPOverlay(cfg PiPConfig, w, h int) *pipOverlay {
	return &pipOverlay{cfg: cfg, w: w, h: h, margin: newOverlayLayout(w, h).margin, border: 2 * max(1, h/720)}
}

// update scales f into the PiP's place; the caller still releases f.
func (p *pipOverlay) update(f *media.VideoFrame, sc *scalers) error {
	outer, inner := pipRect(p.w, p.h, f.Width, f.Height, p.cfg, p.margin, p.border)
	if inner.Empty() {
		return fmt.Errorf("picture-in-picture of %dx%d: no room on %dx%d", f.Width, f.Height, p.w, p.h)
	}
	if inner.Size() != p.inner.Size() || p.buf == nil {
		p.buf = make([]byte, yuvSize(inner.Dx(), inner.Dy()))
		p.img = newYUVImage(p.buf, inner.Dx(), inner.Dy())
	}
	p.outer, p.inner = outer, inner
	if err := sc.scale(f, image.Rect(0, 0, f.Width, f.Height), p.img, image.Rect(0, 0, p.img.w, p.img.h)); err != nil {
		p.ok = false
		return err
	}
	p.ok = true
	return nil
}

// draw composites the held picture and its border onto m.
func (p *pipOverlay) draw(m yuvImage) {
	if !p.ok {
		return
	}
	m.fill(p.outer, borderLuma, chromaNeutral, chromaNeutral)
	r := p.inner
	for y := 0; y < p.img.h; y++ {
		copy(m.y[(r.Min.Y+y)*m.yStride+r.Min.X:], p.img.y[y*p.img.yStride:y*p.img.yStride+p.img.w])
	}
	cw := p.img.w / 2
	for y := 0; y < p.img.h/2; y++ {
		o := (r.Min.Y/2+y)*m.cStride + r.Min.X/2
		copy(m.cb[o:o+cw], p.img.cb[y*p.img.cStride:])
		copy(m.cr[o:o+cw], p.img.cr[y*p.img.cStride:])
	}
}
