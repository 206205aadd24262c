package encode

import (
	"errors"
	"image"
	"testing"

	"onair/internal/media"
)

func TestFitRect(t *testing.T) {
	r := image.Rect
	for _, tc := range []struct {
		name      string
		sw, sh    int
		dw, dh    int
		mode      FitMode
		dst, crop image.Rectangle
	}{
		// 16:9 into 4:3 and the reverse.
		{"16:9 in 4:3 letterbox", 1920, 1080, 640, 480, FitLetterbox, r(0, 60, 640, 420), r(0, 0, 1920, 1080)},
		{"16:9 in 4:3 crop", 1920, 1080, 640, 480, FitCrop, r(0, 0, 640, 480), r(240, 0, 1680, 1080)},
		{"16:9 in 4:3 stretch", 1920, 1080, 640, 480, FitStretch, r(0, 0, 640, 480), r(0, 0, 1920, 1080)},
		{"4:3 in 16:9 letterbox", 640, 480, 1280, 720, FitLetterbox, r(160, 0, 1120, 720), r(0, 0, 640, 480)},
		{"4:3 in 16:9 crop", 640, 480, 1280, 720, FitCrop, r(0, 0, 1280, 720), r(0, 60, 640, 420)},
		{"4:3 in 16:9 stretch", 640, 480, 1280, 720, FitStretch, r(0, 0, 1280, 720), r(0, 0, 640, 480)},
		// Same aspect: the whole canvas, whatever the mode.
		{"720p in 1080p", 1280, 720, 1920, 1080, FitLetterbox, r(0, 0, 1920, 1080), r(0, 0, 1280, 720)},
		{"720p in 1080p crop", 1280, 720, 1920, 1080, FitCrop, r(0, 0, 1920, 1080), r(0, 0, 1280, 720)},
		// Odd sizes: even corners and sides, centred, odd source sides kept whole.
		{"641x359 letterbox", 641, 359, 1280, 720, FitLetterbox, r(0, 2, 1280, 718), r(0, 0, 641, 359)},
		{"641x359 crop", 641, 359, 1280, 720, FitCrop, r(0, 0, 1280, 720), r(0, 0, 638, 359)},
		{"1001x1001 letterbox", 1001, 1001, 1280, 720, FitLetterbox, r(280, 0, 1000, 720), r(0, 0, 1001, 1001)},
		{"1001x1001 crop", 1001, 1001, 1280, 720, FitCrop, r(0, 0, 1280, 720), r(0, 218, 1001, 782)},
		{"333x500 letterbox", 333, 500, 1280, 720, FitLetterbox, r(400, 0, 880, 720), r(0, 0, 333, 500)},
		{"333x500 crop", 333, 500, 1280, 720, FitCrop, r(0, 0, 1280, 720), r(0, 156, 333, 344)},
		{"into 642x362", 1920, 1080, 642, 362, FitLetterbox, r(0, 0, 642, 362), r(0, 0, 1920, 1080)},
		// Extremes: never thinner than 2.
		{"3000x2 letterbox", 3000, 2, 1280, 720, FitLetterbox, r(0, 358, 1280, 360), r(0, 0, 3000, 2)},
		{"2x3000 crop", 2, 3000, 1280, 720, FitCrop, r(0, 0, 1280, 720), r(0, 1498, 2, 1500)},
		{"empty source", 0, 480, 1280, 720, FitLetterbox, image.Rectangle{}, image.Rectangle{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst, crop := fitRect(tc.sw, tc.sh, tc.dw, tc.dh, tc.mode)
			if dst != tc.dst || crop != tc.crop {
				t.Fatalf("fitRect(%d, %d, %d, %d, %v) = %v, %v; want %v, %v",
					tc.sw, tc.sh, tc.dw, tc.dh, tc.mode, dst, crop, tc.dst, tc.crop)
			}
			if dst.Empty() {
				return
			}
			even := func(v int) bool { return v%2 == 0 }
			if !even(dst.Min.X) || !even(dst.Min.Y) || !even(dst.Dx()) || !even(dst.Dy()) {
				t.Errorf("dst %v is not even-aligned", dst)
			}
			if !even(crop.Min.X) || !even(crop.Min.Y) ||
				(!even(crop.Dx()) && crop.Dx() != tc.sw) || (!even(crop.Dy()) && crop.Dy() != tc.sh) {
				t.Errorf("crop %v is not even-aligned", crop)
			}
			if !dst.In(image.Rect(0, 0, tc.dw, tc.dh)) || !crop.In(image.Rect(0, 0, tc.sw, tc.sh)) {
				t.Errorf("dst %v or crop %v out of bounds", dst, crop)
			}
		})
	}
}

func TestParseFitMode(t *testing.T) {
	for _, m := range []FitMode{FitLetterbox, FitCrop, FitStretch} {
		if got, err := ParseFitMode(m.String()); err != nil || got != m {
			t.Errorf("ParseFitMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseFitMode("zoom"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ParseFitMode(zoom): %v", err)
	}
}

// BT.601 limited-range values of full red, full blue and black.
var (
	yuvRed   = [3]int{81, 90, 240}
	yuvBlue  = [3]int{41, 240, 110}
	yuvBlack = [3]int{16, 128, 128}
)

// rgbaFrame makes a w x h RGBA frame coloured by at(x, y).
func rgbaFrame(w, h int, at func(x, y int) [4]byte) *media.VideoFrame {
	f := &media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatRGBA, Strides: [3]int{4 * w}}
	f.Planes[0] = make([]byte, 4*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := at(x, y)
			copy(f.Planes[0][y*4*w+4*x:], c[:])
		}
	}
	return f
}

// yuvFrame makes a w x h YUV420P frame of one colour.
func yuvFrame(w, h int, c [3]int) *media.VideoFrame {
	f := &media.VideoFrame{Width: w, Height: h, Format: media.PixelFormatYUV420P,
		Strides: [3]int{w, w / 2, w / 2}}
	f.Planes[0] = make([]byte, w*h)
	f.Planes[1] = make([]byte, w*h/4)
	f.Planes[2] = make([]byte, w*h/4)
	setBytes(f.Planes[0], byte(c[0]))
	setBytes(f.Planes[1], byte(c[1]))
	setBytes(f.Planes[2], byte(c[2]))
	return f
}

// pixel reads Y, Cb, Cr at (x, y) of a YUV420P frame.
func pixel(f *media.VideoFrame, x, y int) [3]int {
	return [3]int{
		int(f.Planes[0][y*f.Strides[0]+x]),
		int(f.Planes[1][y/2*f.Strides[1]+x/2]),
		int(f.Planes[2][y/2*f.Strides[2]+x/2]),
	}
}

func near(a, b [3]int, tol int) bool {
	for i := range a {
		if d := a[i] - b[i]; d < -tol || d > tol {
			return false
		}
	}
	return true
}

func TestLetterboxColours(t *testing.T) {
	red, blue := [4]byte{255, 0, 0, 255}, [4]byte{0, 0, 255, 255}
	src := rgbaFrame(640, 480, func(x, _ int) [4]byte {
		if x < 320 {
			return red
		}
		return blue
	})
	r := newRenderer(PreprocessConfig{Width: 1280, Height: 720, FPS: 30})
	defer r.close()
	out, sh, err := r.render(src, testWall)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.unref()
	if out.Width != 1280 || out.Height != 720 || out.Format != media.PixelFormatYUV420P {
		t.Fatalf("output %dx%d %v", out.Width, out.Height, out.Format)
	}
	// The picture is 960x720 at x = 160: red up to 640, blue from 640.
	for _, c := range []struct {
		x, y int
		want [3]int
		what string
	}{
		{0, 0, yuvBlack, "left bar"},
		{80, 360, yuvBlack, "left bar"},
		{158, 719, yuvBlack, "left bar, last column"},
		{1122, 0, yuvBlack, "right bar, first column"},
		{1279, 719, yuvBlack, "right bar"},
		{162, 2, yuvRed, "red, first columns"},
		{400, 360, yuvRed, "red"},
		{630, 700, yuvRed, "red, near the edge"},
		{650, 10, yuvBlue, "blue, near the edge"},
		{900, 360, yuvBlue, "blue"},
		{1116, 716, yuvBlue, "blue, last columns"},
	} {
		if got := pixel(out, c.x, c.y); !near(got, c.want, 3) {
			t.Errorf("%s at (%d, %d): YCbCr %v, want %v", c.what, c.x, c.y, got, c.want)
		}
	}
	// Every pixel of the bars is black: the scaler wrote nothing outside.
	for y := 0; y < 720; y++ {
		for _, x := range []int{0, 100, 159, 1120, 1200, 1279} {
			if got := pixel(out, x, y); got != yuvBlack {
				t.Fatalf("bar pixel (%d, %d) is %v", x, y, got)
			}
		}
	}
}

func TestScalerCache(t *testing.T) {
	var sc scalers
	defer sc.free()
	dst := newYUVImage(make([]byte, yuvSize(320, 240)), 320, 240)
	whole := image.Rect(0, 0, 320, 240)
	for i := 0; i < 3; i++ {
		for _, f := range []*media.VideoFrame{yuvFrame(640, 480, yuvRed), yuvFrame(640, 480, yuvBlue), rgbaFrame(64, 64, func(int, int) [4]byte { return [4]byte{} })} {
			if err := sc.scale(f, image.Rect(0, 0, f.Width, f.Height), dst, whole); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := sc.len(); n != 2 {
		t.Errorf("%d scale contexts for 2 input sizes/formats", n)
	}
	for i := 0; i < maxScalers+3; i++ {
		f := yuvFrame(64+2*i, 64, yuvRed)
		if err := sc.scale(f, image.Rect(0, 0, f.Width, f.Height), dst, whole); err != nil {
			t.Fatal(err)
		}
	}
	if n := sc.len(); n > maxScalers {
		t.Errorf("%d scale contexts cached, at most %d wanted", n, maxScalers)
	}
	sc.free()
	if sc.len() != 0 {
		t.Error("free left contexts")
	}
}

func TestScaleRejects(t *testing.T) {
	var sc scalers
	defer sc.free()
	dst := newYUVImage(make([]byte, yuvSize(64, 64)), 64, 64)
	whole := image.Rect(0, 0, 64, 64)
	short := yuvFrame(64, 64, yuvRed)
	short.Planes[0] = short.Planes[0][:64*63]
	if err := sc.scale(short, whole, dst, whole); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("short plane: %v", err)
	}
	odd := yuvFrame(64, 64, yuvRed)
	odd.Format = media.PixelFormat(99)
	if err := sc.scale(odd, whole, dst, whole); !errors.Is(err, errUnsupportedFormat) {
		t.Errorf("unknown format: %v", err)
	}
	if err := sc.scale(yuvFrame(64, 64, yuvRed), image.Rect(1, 0, 64, 64), dst, whole); err == nil {
		t.Error("odd 4:2:0 crop origin accepted")
	}
	if err := sc.scale(yuvFrame(64, 64, yuvRed), whole, dst, image.Rect(0, 0, 66, 64)); err == nil {
		t.Error("destination outside the canvas accepted")
	}
}
