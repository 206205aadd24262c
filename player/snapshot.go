package player

import (
	"fmt"
	"image"
	"image/png"
	"os"

	"onair/internal/media"
)

// Image copies f into a Go image: *image.YCbCr for YUV 4:2:0, *image.RGBA
// for RGBA.
func Image(f *media.VideoFrame) (image.Image, error) {
	switch f.Format {
	case media.PixelFormatYUV420P:
		img := image.NewYCbCr(image.Rect(0, 0, f.Width, f.Height), image.YCbCrSubsampleRatio420)
		copyRows(img.Y, img.YStride, f.Planes[0], f.Strides[0], f.Width, f.Height)
		cw, ch := (f.Width+1)/2, (f.Height+1)/2
		copyRows(img.Cb, img.CStride, f.Planes[1], f.Strides[1], cw, ch)
		copyRows(img.Cr, img.CStride, f.Planes[2], f.Strides[2], cw, ch)
		return img, nil
	case media.PixelFormatRGBA:
		img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
		copyRows(img.Pix, img.Stride, f.Planes[0], f.Strides[0], f.Width*4, f.Height)
		return img, nil
	}
	return nil, fmt.Errorf("picture format %s cannot be converted to an image", f.Format)
}

func copyRows(dst []byte, dstride int, src []byte, sstride, n, rows int) {
	for y := 0; y < rows; y++ {
		if y*sstride+n > len(src) || y*dstride+n > len(dst) {
			return
		}
		copy(dst[y*dstride:y*dstride+n], src[y*sstride:y*sstride+n])
	}
}

// WritePNG writes f to path as a PNG file.
func WritePNG(path string, f *media.VideoFrame) error {
	img, err := Image(f)
	if err != nil {
		return err
	}
	return WriteImagePNG(path, img)
}

// WriteImagePNG writes img to path as a PNG file.
func WriteImagePNG(path string, img image.Image) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return fmt.Errorf("snapshot %s: %w", path, err)
	}
	return out.Close()
}
