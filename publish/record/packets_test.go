package record

import (
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"onair/encode"
	"onair/internal/media"
)

// Test media: 8 s of 320x240 at 30 fps (a keyframe every 2 s) and 48 kHz
// stereo AAC, encoded once by the real encoders (faster than real time)
// and shared by the tests.
const (
	testSeconds = 8
	testFPS     = 30.0
	testW       = 320
	testH       = 240
	testRate    = 48000
)

type testMedia struct {
	video, audio media.CodecConfig
	packets      []*media.Packet // in DTS order, both tracks
}

var (
	mediaOnce sync.Once
	shared    testMedia
	sharedErr error
)

func encoded(t *testing.T) *testMedia {
	t.Helper()
	mediaOnce.Do(func() { sharedErr = shared.encode() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return &shared
}

func (m *testMedia) encode() error {
	ve, err := encode.NewVideo(encode.VideoConfig{Width: testW, Height: testH, FPS: testFPS, Bitrate: 500_000,
		Preset: "ultrafast", KeyInterval: 2 * time.Second})
	if err != nil {
		return err
	}
	defer ve.Close()
	ae, err := encode.NewAudio(encode.AudioConfig{Bitrate: 128_000})
	if err != nil {
		return err
	}
	defer ae.Close()
	m.video, m.audio = ve.Config(), ae.Config()
	for i := 0; i < testSeconds*int(testFPS); i++ {
		out, err := ve.Encode(testFrame(i))
		if err != nil {
			return err
		}
		m.packets = append(m.packets, out...)
	}
	out, err := ve.Flush()
	if err != nil {
		return err
	}
	m.packets = append(m.packets, out...)
	const block = 1024
	for i := 0; i < testSeconds*testRate/block; i++ {
		a := &media.AudioFrame{PTS: time.Duration(i) * block * time.Second / testRate, SampleRate: testRate, Channels: 2,
			Samples: make([]float32, 2*block)}
		for j := 0; j < block; j++ {
			v := float32(0.3 * math.Sin(2*math.Pi*440*float64(i*block+j)/testRate))
			a.Samples[2*j], a.Samples[2*j+1] = v, v
		}
		out, err := ae.Encode(a)
		if err != nil {
			return err
		}
		m.packets = append(m.packets, out...)
	}
	if out, err = ae.Flush(); err != nil {
		return err
	}
	m.packets = append(m.packets, out...)
	sort.SliceStable(m.packets, func(i, j int) bool { return m.packets[i].DTS < m.packets[j].DTS })
	return nil
}

// testFrame is picture i: a bright bar moving over a gradient.
func testFrame(i int) *media.VideoFrame {
	f := &media.VideoFrame{PTS: time.Duration(float64(i) * float64(time.Second) / testFPS), Seq: int64(i),
		Width: testW, Height: testH, Format: media.PixelFormatYUV420P, Strides: [3]int{testW, testW / 2, testW / 2}}
	y := make([]byte, testW*testH)
	bar := (i * 4) % testW
	for r := 0; r < testH; r++ {
		for c := 0; c < testW; c++ {
			v := byte(16 + (r+c)%200)
			if c >= bar && c < bar+16 {
				v = 235
			}
			y[r*testW+c] = v
		}
	}
	cb := make([]byte, testW*testH/4)
	cr := make([]byte, testW*testH/4)
	for k := range cb {
		cb[k], cr[k] = 128, byte(100+i%50)
	}
	f.Planes = [3][]byte{y, cb, cr}
	return f
}
