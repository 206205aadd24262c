package peer

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// MediaFile is what ffprobe finds in a media file by reading every packet:
// what plays, whatever the container's header or trailer claims.
type MediaFile struct {
	// Duration is the container's duration in seconds (ffprobe's format
	// duration; 0 when it has none).
	Duration float64
	// Packets counts the packets per codec type ("video", "audio").
	Packets map[string]int
	// End is, per codec type, the latest time a packet ends at (PTS plus
	// duration, in seconds from the file's start).
	End map[string]float64
	// Codecs is the codec name per codec type ("h264", "aac").
	Codecs map[string]string
	// Decoded counts the frames ffprobe decoded per codec type: all of
	// them (or one less, the last one cut short) when the file plays.
	Decoded map[string]int
}

// ProbeFile reads path with ffprobe: streams, format and every packet,
// and decodes every frame.
func ProbeFile(ctx context.Context, path string) (*MediaFile, error) {
	bin, err := Require("ffprobe", "ffmpeg")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-v", "error", "-of", "compact=p=1:nk=0", "-count_frames",
		"-show_entries", "stream=codec_type,codec_name,nb_read_frames:format=duration:packet=codec_type,pts_time,duration_time",
		"-show_packets", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w: %s", path, err, errb.String())
	}
	m := &MediaFile{Packets: map[string]int{}, End: map[string]float64{}, Codecs: map[string]string{}, Decoded: map[string]int{}}
	for _, line := range strings.Split(out.String(), "\n") {
		section, rest, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		kv := map[string]string{}
		for _, f := range strings.Split(rest, "|") {
			if k, v, ok := strings.Cut(f, "="); ok {
				kv[k] = v
			}
		}
		switch section {
		case "stream":
			m.Codecs[kv["codec_type"]] = kv["codec_name"]
			m.Decoded[kv["codec_type"]], _ = strconv.Atoi(kv["nb_read_frames"])
		case "format":
			m.Duration, _ = strconv.ParseFloat(kv["duration"], 64)
		case "packet":
			typ := kv["codec_type"]
			m.Packets[typ]++
			pts, err := strconv.ParseFloat(kv["pts_time"], 64)
			if err != nil {
				continue
			}
			d, _ := strconv.ParseFloat(kv["duration_time"], 64)
			if pts+d > m.End[typ] {
				m.End[typ] = pts + d
			}
		}
	}
	return m, nil
}

// Plays reports whether every track's packets decoded, all but perhaps
// the last (cut short by a crash), and there was at least one.
func (m *MediaFile) Plays() bool {
	for typ, n := range m.Packets {
		if m.Decoded[typ] == 0 || m.Decoded[typ] < n-1 {
			return false
		}
	}
	return len(m.Packets) > 0
}
