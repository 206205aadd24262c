package encode

import (
	"errors"
	"image"
	"testing"
	"time"

	"onair/internal/media"
)

// testWall is the wall-clock time the renderer tests draw.
var testWall = time.Date(2024, 5, 6, 7, 8, 9, 0, time.Local)

// patternFrame is a w x h YUV420P frame with a gradient in every plane, so
// that any change shows.
func patternFrame(w, h int) *media.VideoFrame {
	f := yuvFrame(w, h, yuvBlack)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f.Planes[0][y*w+x] = byte(16 + (x+y)%200)
		}
	}
	for i := range f.Planes[1] {
		f.Planes[1][i] = byte(40 + i%180)
		f.Planes[2][i] = byte(200 - i%150)
	}
	return f
}

// diffBounds is the smallest rectangle (in luma pixels) holding every
// sample where a and b differ, and how many luma samples equal v there.
func diffBounds(a, b *media.VideoFrame, v byte) (r image.Rectangle, nv int) {
	add := func(x0, y0, x1, y1 int) {
		p := image.Rect(x0, y0, x1, y1)
		if r.Empty() {
			r = p
		} else {
			r = r.Union(p)
		}
	}
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			if va := a.Planes[0][y*a.Strides[0]+x]; va != b.Planes[0][y*b.Strides[0]+x] {
				add(x, y, x+1, y+1)
				if va == v {
					nv++
				}
			}
		}
	}
	for i := 1; i < 3; i++ {
		for y := 0; y < a.Height/2; y++ {
			for x := 0; x < a.Width/2; x++ {
				if a.Planes[i][y*a.Strides[i]+x] != b.Planes[i][y*b.Strides[i]+x] {
					add(2*x, 2*y, 2*x+2, 2*y+2)
				}
			}
		}
	}
	return r, nv
}

func TestTextOverlayStaysInItsBox(t *testing.T) {
	const w, h = 1280, 720
	for _, tc := range []struct {
		name  string
		title string
		clock bool
	}{
		{"title", "On Air: Test 1", false},
		{"clock", "", true},
		{"both", "A VERY LONG TITLE THAT WOULD RUN ALL THE WAY INTO THE CLOCK ON THE RIGHT", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRenderer(PreprocessConfig{Width: w, Height: h, FPS: 30, OverlayText: tc.title, OverlayClock: tc.clock})
			defer r.close()
			src := patternFrame(w, h)
			ref := patternFrame(w, h)
			out, sh, err := r.render(src, testWall)
			if err != nil {
				t.Fatal(err)
			}
			defer sh.unref()
			if out == src {
				t.Fatal("a frame with an overlay was passed through")
			}
			var boxes []image.Rectangle
			if r.title != nil {
				boxes = append(boxes, r.title.rect)
			}
			if r.clock != nil {
				boxes = append(boxes, r.clock.rect)
				if r.clock.text != "07:08:09" {
					t.Errorf("clock shows %q", r.clock.text)
				}
			}
			if len(boxes) == 2 && boxes[0].Overlaps(boxes[1]) {
				t.Errorf("title %v runs into the clock %v", boxes[0], boxes[1])
			}
			for _, b := range boxes {
				if b.Empty() || !b.In(image.Rect(0, 0, w, h)) {
					t.Fatalf("box %v", b)
				}
				// Inside each box: text pixels, and the rest darker.
				d, lit := diffBounds(cropFrame(out, b), cropFrame(ref, b), textLuma)
				if lit == 0 || d.Empty() {
					t.Errorf("box %v: no text drawn", b)
				}
			}
			// Outside the boxes, nothing changed. Compare with the boxes
			// blanked out in both frames.
			for _, b := range boxes {
				yuvOf(out).fill(b, 0, 0, 0)
				yuvOf(ref).fill(b, 0, 0, 0)
			}
			if d, _ := diffBounds(out, ref, 0); !d.Empty() {
				t.Errorf("pixels changed outside the boxes %v, within %v", boxes, d)
			}
		})
	}
}

func TestTextOverlayReadsOnAnyPicture(t *testing.T) {
	// On white and on black the box is dark and the text white.
	for _, bg := range [][3]int{{235, 128, 128}, {16, 128, 128}, yuvRed} {
		r := newRenderer(PreprocessConfig{Width: 640, Height: 360, FPS: 30, OverlayText: "T"})
		out, sh, err := r.render(yuvFrame(640, 360, bg), testWall)
		if err != nil {
			t.Fatal(err)
		}
		b := r.title.rect
		box := pixel(out, b.Min.X, b.Min.Y)
		if box[0] > 16+(bg[0]-16)/2 {
			t.Errorf("on %v the box is not dark: %v", bg, box)
		}
		lit := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if pixel(out, x, y)[0] == textLuma {
					lit++
					if p := pixel(out, x, y); p[1] != chromaNeutral || p[2] != chromaNeutral {
						t.Fatalf("text pixel (%d, %d) is tinted: %v", x, y, p)
					}
				}
			}
		}
		if lit == 0 {
			t.Errorf("on %v no text", bg)
		}
		sh.unref()
		r.close()
	}
}

// yuvOf views a tight YUV420P frame as a yuvImage.
func yuvOf(f *media.VideoFrame) yuvImage {
	return yuvImage{w: f.Width, h: f.Height, y: f.Planes[0], cb: f.Planes[1], cr: f.Planes[2],
		yStride: f.Strides[0], cStride: f.Strides[1]}
}

// cropFrame is the part r (even corners) of f, sharing its planes.
func cropFrame(f *media.VideoFrame, r image.Rectangle) *media.VideoFrame {
	g := *f
	g.SetRelease(nil)
	g.Width, g.Height = r.Dx(), r.Dy()
	g.Planes[0] = f.Planes[0][r.Min.Y*f.Strides[0]+r.Min.X:]
	for i := 1; i < 3; i++ {
		g.Planes[i] = f.Planes[i][r.Min.Y/2*f.Strides[i]+r.Min.X/2:]
	}
	return &g
}

func TestPiPRect(t *testing.T) {
	r := image.Rect
	for _, tc := range []struct {
		name         string
		sw, sh       int
		cfg          PiPConfig
		outer, inner image.Rectangle
	}{
		// 1280x720, overlay margin 18, border 2: 320 wide, 182 high.
		{"bottom-right", 1920, 1080, PiPConfig{Corner: CornerBottomRight, Size: 0.25}, r(942, 520, 1262, 702), r(944, 522, 1260, 700)},
		{"bottom-left", 1920, 1080, PiPConfig{Corner: CornerBottomLeft, Size: 0.25}, r(18, 520, 338, 702), r(20, 522, 336, 700)},
		{"top-right", 1920, 1080, PiPConfig{Corner: CornerTopRight, Size: 0.25}, r(942, 18, 1262, 200), r(944, 20, 1260, 198)},
		{"top-left", 1920, 1080, PiPConfig{Corner: CornerTopLeft, Size: 0.25}, r(18, 18, 338, 200), r(20, 20, 336, 198)},
		{"margin 40", 1920, 1080, PiPConfig{Size: 0.25, Margin: 40}, r(920, 498, 1240, 680), r(922, 500, 1238, 678)},
		{"no margin", 1920, 1080, PiPConfig{Size: 0.25, Margin: -1}, r(960, 538, 1280, 720), r(962, 540, 1278, 718)},
		// 4:3 picture: taller box.
		{"4:3", 640, 480, PiPConfig{Size: 0.25}, r(942, 460, 1262, 702), r(944, 462, 1260, 700)},
		// A tall picture is held within the height.
		{"portrait", 1080, 1920, PiPConfig{Corner: CornerTopLeft, Size: 0.5}, r(18, 18, 404, 702), r(20, 20, 402, 700)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outer, inner := pipRect(1280, 720, tc.sw, tc.sh, tc.cfg, 18, 2)
			if outer != tc.outer || inner != tc.inner {
				t.Fatalf("pipRect = %v, %v; want %v, %v", outer, inner, tc.outer, tc.inner)
			}
		})
	}
}

func TestPiPLandsInItsCorner(t *testing.T) {
	const w, h = 1280, 720
	grey := [3]int{128, 128, 128}
	red := [4]byte{255, 0, 0, 255}
	corners := map[Corner]image.Point{
		CornerTopLeft: {100, 60}, CornerTopRight: {w - 100, 60},
		CornerBottomLeft: {100, h - 60}, CornerBottomRight: {w - 100, h - 60},
	}
	for c := range corners {
		t.Run(c.String(), func(t *testing.T) {
			cfg := PreprocessConfig{Width: w, Height: h, FPS: 30, PiP: &PiPConfig{Corner: c}, Out: func(*media.VideoFrame) {}}
			if err := cfg.setDefaults(); err != nil {
				t.Fatal(err)
			}
			r := newRenderer(cfg)
			defer r.close()
			// No PiP picture yet: passed through.
			main := yuvFrame(w, h, grey)
			if out, sh, _ := r.render(main, testWall); out != main {
				t.Error("without a PiP picture the frame was not passed through")
			} else {
				sh.unref()
			}
			if err := r.updatePiP(rgbaFrame(320, 180, func(int, int) [4]byte { return red })); err != nil {
				t.Fatal(err)
			}
			out, sh, err := r.render(yuvFrame(w, h, grey), testWall)
			if err != nil {
				t.Fatal(err)
			}
			defer sh.unref()
			outer, inner := r.pip.outer, r.pip.inner
			for cc, p := range corners {
				got := pixel(out, p.X, p.Y)
				switch {
				case cc == c && !near(got, yuvRed, 3):
					t.Errorf("its corner %v at %v: %v, want red", cc, p, got)
				case cc != c && got != grey:
					t.Errorf("corner %v at %v: %v, want the main picture", cc, p, got)
				}
			}
			if got := pixel(out, outer.Min.X, outer.Min.Y); got != [3]int{borderLuma, 128, 128} {
				t.Errorf("border at %v: %v", outer.Min, got)
			}
			if got := pixel(out, inner.Min.X+1, inner.Min.Y+1); !near(got, yuvRed, 3) {
				t.Errorf("inside the border at %v: %v", inner.Min, got)
			}
			// Outside the PiP, the main picture.
			d, _ := diffBounds(out, yuvFrame(w, h, grey), 0)
			if d != outer {
				t.Errorf("changed region %v, want the PiP %v", d, outer)
			}
		})
	}
}

func TestPiPConfigChecks(t *testing.T) {
	for _, cfg := range []PiPConfig{{Size: 1.5}, {Size: -0.1}, {Corner: Corner(9)}} {
		c := cfg
		if err := c.setDefaults(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	c := PiPConfig{}
	if err := c.setDefaults(); err != nil || c.Size != 0.25 {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	for _, cn := range []Corner{CornerBottomRight, CornerBottomLeft, CornerTopRight, CornerTopLeft} {
		if got, err := ParseCorner(cn.String()); err != nil || got != cn {
			t.Errorf("ParseCorner(%q) = %v, %v", cn.String(), got, err)
		}
	}
}
