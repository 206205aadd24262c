package encode

import (
	"errors"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/avcodec"
	"onair/internal/media"
)

// obuTypes lists the OBU types of a temporal unit in the low-overhead
// format (every OBU with a size field).
func obuTypes(t *testing.T, b []byte) []int {
	t.Helper()
	var types []int
	for len(b) > 0 {
		h := b[0]
		if h&0x02 == 0 {
			t.Fatalf("OBU without a size field: % x", b[:min(8, len(b))])
		}
		i := 1
		if h&0x04 != 0 {
			i++ // extension
		}
		var size, shift uint
		for ; i < len(b); i++ {
			size |= uint(b[i]&0x7f) << shift
			shift += 7
			if b[i]&0x80 == 0 {
				i++
				break
			}
		}
		if int(size) > len(b)-i {
			t.Fatalf("OBU of %d bytes in %d", size, len(b)-i)
		}
		types = append(types, int(h>>3)&0x0f)
		b = b[i+int(size):]
	}
	return types
}

// TestAV1 encodes 1280x720 pictures with SVT-AV1 and checks the stream:
// the sequence header OBU as extradata, keyframes on the interval (and
// only there: SVT-AV1 1.4 cannot force one in low-delay CBR), DTS equal to
// PTS (low delay), a packet out soon after each
// picture in, and FFmpeg's AV1 decoder reading it back.
func TestAV1(t *testing.T) {
	const (
		w, h = 1280, 720
		fps  = 30.0
		n    = 70
	)
	e, err := NewVideo(VideoConfig{Codec: media.CodecAV1, Width: w, Height: h, FPS: fps, Bitrate: 2_000_000,
		Preset: "ultrafast", KeyInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cfg := e.Config()
	if cfg.Codec != media.CodecAV1 {
		t.Errorf("config codec %v", cfg.Codec)
	}
	if types := obuTypes(t, cfg.Extradata); len(types) == 0 || types[0] != 1 {
		t.Fatalf("extradata OBU types %v: want a sequence header (1)", types)
	}
	dec := newTestDecoder(t, avcodec.ID(media.CodecAV1), nil)
	var keys []int
	var pkts []*media.Packet
	decoded := 0
	maxBehind := 0
	for i := 0; i < n; i++ {
		f, _ := movingFrame(w, h, int64(i), fps)
		if i == 45 {
			e.ForceKeyframe()
		}
		out, err := e.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, out...)
		maxBehind = max(maxBehind, i+1-len(pkts))
	}
	rest, err := e.Flush()
	if err != nil {
		t.Fatal(err)
	}
	pkts = append(pkts, rest...)
	for i, p := range pkts {
		if p.Codec != media.CodecAV1 || p.DTS != p.PTS {
			t.Errorf("packet %d: codec %v, DTS %v PTS %v", i, p.Codec, p.DTS, p.PTS)
		}
		if p.Key {
			keys = append(keys, i)
		}
		dec.decode(t, p, func(*astiav.Frame) { decoded++ })
	}
	dec.decode(t, nil, func(*astiav.Frame) { decoded++ })
	t.Logf("%d packets, keys at %v, at most %d pictures waiting in the encoder, %d decoded", len(pkts), keys, maxBehind, decoded)
	if len(pkts) != n || decoded != n {
		t.Errorf("%d pictures in, %d packets out, %d decoded", n, len(pkts), decoded)
	}
	if len(keys) != 3 || keys[0] != 0 || keys[1] != 30 || keys[2] != 60 {
		t.Errorf("keyframes at %v: want 0, 30 and 60 (the interval; the one asked for at 45 cannot be made)", keys)
	}
	if maxBehind > 8 {
		t.Errorf("up to %d pictures waited in the encoder: not low delay", maxBehind)
	}
	// AV1 keeps its bitrate, as HEVC does.
	e.SetBitrate(1_000_000)
	if e.Bitrate() != 2_000_000 {
		t.Errorf("Bitrate %d after SetBitrate on AV1", e.Bitrate())
	}
	if _, err := NewVideo(VideoConfig{Codec: media.CodecAV1, Width: w, Height: h, FPS: fps, Profile: "high"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("AV1 profile high: %v, want ErrInvalidConfig", err)
	}
}
