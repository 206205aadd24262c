package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// ProbeStream is what ffprobe says of one stream.
type ProbeStream struct {
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Profile      string `json:"profile"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	AvgFrameRate string `json:"avg_frame_rate"`
	RFrameRate   string `json:"r_frame_rate"`
	SampleRate   string `json:"sample_rate"`
	Channels     int    `json:"channels"`
	// NbReadFrames is filled with -count_frames.
	NbReadFrames string `json:"nb_read_frames"`
}

// FPS parses r_frame_rate ("30/1").
func (s ProbeStream) FPS() float64 {
	num, den, ok := strings.Cut(s.RFrameRate, "/")
	if !ok {
		return 0
	}
	n, _ := strconv.ParseFloat(num, 64)
	d, _ := strconv.ParseFloat(den, 64)
	if d == 0 {
		return 0
	}
	return n / d
}

// ProbeFrame is one frame from ffprobe -show_frames.
type ProbeFrame struct {
	MediaType string `json:"media_type"`
	KeyFrame  int    `json:"key_frame"`
	PTSTime   string `json:"pts_time"`
	PictType  string `json:"pict_type"`
}

// Probe is ffprobe's JSON report.
type Probe struct {
	Streams []ProbeStream `json:"streams"`
	Frames  []ProbeFrame  `json:"frames"`
	// Format is filled with -show_format.
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// Stream returns the first stream of a type ("video", "audio").
func (p *Probe) Stream(typ string) (ProbeStream, bool) {
	for _, s := range p.Streams {
		if s.CodecType == typ {
			return s, true
		}
	}
	return ProbeStream{}, false
}

// FFprobe runs ffprobe on url with extra arguments (before -i) and parses
// its JSON output.
func FFprobe(ctx context.Context, url string, args ...string) (*Probe, error) {
	bin, err := Require("ffprobe", "ffmpeg")
	if err != nil {
		return nil, err
	}
	a := append([]string{"-v", "error", "-of", "json", "-show_streams"}, args...)
	a = append(a, "-i", url)
	cmd := exec.CommandContext(ctx, bin, a...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w: %s", url, err, errb.String())
	}
	var p Probe
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		return nil, fmt.Errorf("ffprobe output: %w", err)
	}
	return &p, nil
}

// FFmpeg runs the ffmpeg CLI with args and returns stdout; stderr goes into
// the error on failure.
func FFmpeg(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := Require("ffmpeg", "ffmpeg")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-hide_banner", "-nostdin", "-v", "error"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("ffmpeg %s: %w: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), nil
}
