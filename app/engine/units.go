package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"onair/internal/media"
)

// ParseSize reads a picture size for Config.Width and Height: WxH (even,
// 64 to 8192) or a preset: sd (640x480), hd (1280x720),
// fhd (1920x1080), uhd or 4k (3840x2160).
func ParseSize(s string) (w, h int, err error) {
	switch strings.ToLower(s) {
	case "sd":
		return 640, 480, nil
	case "hd":
		return 1280, 720, nil
	case "fhd":
		return 1920, 1080, nil
	case "uhd", "4k":
		return 3840, 2160, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if err1 == nil && err2 == nil && w >= 64 && h >= 64 && w <= 8192 && h <= 8192 && w%2 == 0 && h%2 == 0 {
			return w, h, nil
		}
	}
	return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT (even numbers, 64 to 8192) or sd, hd, fhd, uhd", s)
}

// ParseBitrate reads a bitrate for Config.VideoBitrate or AudioBitrate:
// 2500k, 2.5M, 128000 (bits per second), up to 1G.
func ParseBitrate(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "bps"), "b/s")
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mult, t = 1e6, t[:len(t)-1]
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || v*mult > 1e9 {
		return 0, fmt.Errorf("bitrate %q: want a number of bits per second such as 2500k or 2.5M", s)
	}
	return int(math.Round(v * mult)), nil
}

// ParseFPS reads a frame rate for Config.FPS: 30, 29.97, 30000/1001;
// above 0 and at most 240.
func ParseFPS(s string) (float64, error) {
	var v float64
	if n, d, ok := strings.Cut(s, "/"); ok {
		a, err1 := strconv.ParseFloat(n, 64)
		b, err2 := strconv.ParseFloat(d, 64)
		if err1 == nil && err2 == nil && b != 0 {
			v = a / b
		}
	} else {
		v, _ = strconv.ParseFloat(s, 64)
	}
	if v <= 0 || v > 240 || math.IsNaN(v) {
		return 0, fmt.Errorf("frame rate %q: want a number from 1 to 240 (e.g. 30 or 30000/1001)", s)
	}
	return v, nil
}

// ParseVideoCodec reads Config.VideoCodec: h264 (or avc), hevc (or h265)
// or av1.
func ParseVideoCodec(s string) (media.Codec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "h264", "avc", "avc1", "":
		return media.CodecH264, nil
	case "hevc", "h265", "hvc1":
		return media.CodecHEVC, nil
	case "av1", "av01":
		return media.CodecAV1, nil
	}
	return 0, fmt.Errorf("video codec %q: want h264, hevc or av1", s)
}

// ParseAudioCodec reads Config.AudioCodec: aac or opus.
func ParseAudioCodec(s string) (media.Codec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "aac", "mp4a", "":
		return media.CodecAAC, nil
	case "opus":
		return media.CodecOpus, nil
	}
	return 0, fmt.Errorf("audio codec %q: want aac or opus", s)
}

// opusFrame is the Opus frame duration to ask the encoder for: only Opus
// has one to choose.
func opusFrame(cfg Config) time.Duration {
	if cfg.AudioCodec != media.CodecOpus {
		return 0
	}
	return cfg.OpusFrame
}
