package hls

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
)

// Real-peer tests: FFmpeg makes the stream, the Muxer serves it over HTTP,
// FFmpeg's HLS demuxer plays it back.

// requireFFmpeg fails the test when the FFmpeg tools are missing: these
// tests are never skipped.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (%v): install ffmpeg: sudo apt-get install ffmpeg", tool, err)
		}
	}
}

// ffmpegStream encodes seconds of test picture (320x240, 25 fps, a
// keyframe every second, no B-frames) and 440 Hz tone (48 kHz AAC) with the
// FFmpeg CLI into an FLV file, and reads it back as a pipeline would hold
// it: track configurations with Annex-B and AudioSpecificConfig extradata,
// and packets in file order with Annex-B H.264 and raw AAC.
func ffmpegStream(t *testing.T, seconds int) (video, audio *media.CodecConfig, packets []*media.Packet) {
	t.Helper()
	requireFFmpeg(t)
	path := filepath.Join(t.TempDir(), "source.flv")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-bf", "0",
		"-c:a", "aac", "-f", "flv", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := flv.NewTagReader(bytes.NewReader(file))
	if _, err := tr.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	lengthSize := 4
	for {
		tag, err := tr.ReadTag()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dts := time.Duration(tag.Timestamp) * time.Millisecond
		switch tag.Type {
		case flv.TagTypeVideo:
			var vt flv.VideoTag
			if err := vt.Unmarshal(tag.Data); err != nil {
				t.Fatal(err)
			}
			switch vt.AVCPacketType {
			case flv.AVCPacketTypeSequenceHeader:
				var r flv.AVCDecoderConfigurationRecord
				if err := r.Unmarshal(vt.Data); err != nil {
					t.Fatal(err)
				}
				lengthSize = int(r.LengthSizeMinusOne) + 1
				video = &media.CodecConfig{Codec: media.CodecH264, Extradata: r.AnnexB(), Width: 320, Height: 240, FrameRate: 25}
			case flv.AVCPacketTypeNALU:
				nalus, err := flv.UnmarshalAVCC(vt.Data, lengthSize)
				if err != nil {
					t.Fatal(err)
				}
				packets = append(packets, &media.Packet{
					Codec: media.CodecH264,
					DTS:   dts,
					PTS:   dts + time.Duration(vt.CompositionTime)*time.Millisecond,
					Key:   vt.FrameType == flv.FrameTypeKey,
					Data:  flv.JoinAnnexB(nalus),
				})
			}
		case flv.TagTypeAudio:
			var at flv.AudioTag
			if err := at.Unmarshal(tag.Data); err != nil {
				t.Fatal(err)
			}
			switch at.AACPacketType {
			case flv.AACPacketTypeSequenceHeader:
				var asc flv.AudioSpecificConfig
				if err := asc.Unmarshal(at.Data); err != nil {
					t.Fatal(err)
				}
				audio = &media.CodecConfig{Codec: media.CodecAAC, Extradata: at.Data, SampleRate: asc.SampleRate, Channels: asc.Channels()}
			case flv.AACPacketTypeRaw:
				packets = append(packets, &media.Packet{Codec: media.CodecAAC, DTS: dts, PTS: dts, Key: true, Data: at.Data})
			}
		}
	}
	if video == nil || audio == nil || len(packets) < seconds*(25+46) {
		t.Fatalf("FFmpeg's FLV: video %v, audio %v, %d packets", video, audio, len(packets))
	}
	return video, audio, packets
}

// serve mounts the muxer as the loopback server does and returns the
// playlist URL.
func serve(t *testing.T, m *Muxer) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/live/test/", http.StripPrefix("/live/test/", m))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/live/test/index.m3u8"
}

// ffprobeStreams returns what ffprobe finds in url.
func ffprobeStreams(t *testing.T, url string) []map[string]any {
	t.Helper()
	cmd := exec.Command("ffprobe", "-hide_banner", "-v", "error", "-show_entries",
		"stream=codec_name,codec_type,width,height,sample_rate,channels", "-of", "json", url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, stderr.Bytes())
	}
	var probe struct {
		Streams []map[string]any `json:"streams"`
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	return probe.Streams
}

func checkStreams(t *testing.T, streams []map[string]any) {
	t.Helper()
	var video, audio bool
	for _, s := range streams {
		switch s["codec_type"] {
		case "video":
			video = s["codec_name"] == "h264" && s["width"] == 320.0 && s["height"] == 240.0
		case "audio":
			audio = s["codec_name"] == "aac" && s["sample_rate"] == "48000"
		}
	}
	if !video || !audio || len(streams) != 2 {
		t.Errorf("ffprobe found %v; want h264 320x240 and aac 48000 Hz", streams)
	}
}

// badFFmpegLog matches what FFmpeg says about a stream it cannot read
// cleanly.
var badFFmpegLog = regexp.MustCompile(`(?i)error|non.monoton|invalid|corrupt|missing|non-existing|no frame|discontinuity|skipping`)

// ffmpegDecode starts FFmpeg decoding url to nothing; wait returns the
// number of pictures it decoded, after checking that it said nothing bad.
func ffmpegDecode(t *testing.T, ctx context.Context, url string) (wait func() int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-v", "warning",
		"-i", url, "-f", "null", "-progress", "pipe:1", "-")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() int {
		t.Helper()
		err := cmd.Wait()
		if stderr.Len() > 0 {
			t.Logf("ffmpeg says:\n%s", stderr.Bytes())
		}
		if err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		for _, line := range strings.Split(stderr.String(), "\n") {
			if badFFmpegLog.MatchString(line) {
				t.Errorf("ffmpeg: %s", line)
			}
		}
		frames := -1
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "frame="); ok {
				frames, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return frames
	}
}

// playlistInfo is what the tests read from a media playlist.
type playlistInfo struct {
	seq      uint64
	target   int
	segments []string
	durs     []float64
	ended    bool
}

func parsePlaylist(t *testing.T, body []byte) playlistInfo {
	t.Helper()
	var p playlistInfo
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) < 4 || lines[0] != "#EXTM3U" || lines[1] != "#EXT-X-VERSION:3" {
		t.Fatalf("playlist\n%s", body)
	}
	for _, line := range lines[2:] {
		var err error
		switch {
		case strings.HasPrefix(line, "#EXT-X-TARGETDURATION:"):
			p.target, err = strconv.Atoi(strings.TrimPrefix(line, "#EXT-X-TARGETDURATION:"))
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			p.seq, err = strconv.ParseUint(strings.TrimPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"), 10, 64)
		case strings.HasPrefix(line, "#EXTINF:"):
			var d float64
			d, err = strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(line, "#EXTINF:"), ","), 64)
			p.durs = append(p.durs, d)
		case line == "#EXT-X-ENDLIST":
			p.ended = true
		case !strings.HasPrefix(line, "#"):
			p.segments = append(p.segments, line)
		default:
			err = fmt.Errorf("unexpected tag")
		}
		if err != nil {
			t.Fatalf("playlist line %q: %v\n%s", line, err, body)
		}
	}
	if len(p.durs) != len(p.segments) {
		t.Fatalf("playlist\n%s", body)
	}
	for i, s := range p.segments {
		if s != segmentName(p.seq+uint64(i)) {
			t.Fatalf("segment %d is %q\n%s", i, s, body)
		}
	}
	return p
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// TestFFmpegPlaysRecording: a whole 6 s stream, then Close: ffprobe finds
// H.264 320x240 and AAC 48 kHz, ffmpeg decodes every picture without
// complaint, and segments last 1 s.
func TestFFmpegPlaysRecording(t *testing.T) {
	video, audio, packets := ffmpegStream(t, 6)
	m := newTestMuxer(t, MuxerConfig{Video: video, Audio: audio, WindowSize: 10})
	writeAll(t, m, packets)
	m.Close()
	url := serve(t, m)

	_, body := httpGet(t, url)
	p := parsePlaylist(t, body)
	if p.seq != 0 || len(p.segments) != 6 || !p.ended || p.target != 1 {
		t.Errorf("playlist\n%s", body)
	}
	for i, d := range p.durs {
		if d < 0.95 || d > 1.05 {
			t.Errorf("segment %d lasts %.3f s", i, d)
		}
	}
	checkStreams(t, ffprobeStreams(t, url))

	// One segment on its own is a playable second of video and audio.
	seg := strings.TrimSuffix(url, "index.m3u8") + "seg2.ts"
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", seg).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", seg, err, out)
	}
	if d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err != nil || d < 0.95 || d > 1.1 {
		t.Errorf("seg2.ts lasts %q", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if frames := ffmpegDecode(t, ctx, url)(); frames != 150 {
		t.Errorf("ffmpeg decoded %d pictures, want 150", frames)
	}
}

// TestFFmpegPlaysLive publishes 6 s in real time while ffmpeg, started
// before the first segment exists, plays the live playlist to its end.
// Meanwhile the playlist slides, expired segments go 404 after the grace,
// and the muxer holds at most WindowSize+graceSegments segments.
func TestFFmpegPlaysLive(t *testing.T) {
	const window = 3
	video, audio, packets := ffmpegStream(t, 6)
	m := newTestMuxer(t, MuxerConfig{Video: video, Audio: audio, WindowSize: window})
	url := serve(t, m)
	base := strings.TrimSuffix(url, "index.m3u8")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wait := ffmpegDecode(t, ctx, url)

	// ffmpeg now asks for the playlist, which waits for the first segment.
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	published, lastSeq := 0, uint64(0)
	for _, p := range packets {
		time.Sleep(time.Until(start.Add(p.DTS - packets[0].DTS)))
		if err := m.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		h := held(m)
		if len(h) > window+graceSegments {
			t.Fatalf("%d segments held: %v", len(h), h)
		}
		if len(h) == 0 || int(h[len(h)-1])+1 == published {
			continue
		}
		published = int(h[len(h)-1]) + 1
		_, body := httpGet(t, url)
		pl := parsePlaylist(t, body)
		if len(pl.segments) > window || pl.seq < lastSeq || pl.seq != uint64(max(0, published-window)) || pl.ended {
			t.Errorf("after %d segments, playlist\n%s", published, body)
		}
		lastSeq = pl.seq
		for i, d := range pl.durs {
			if d < 0.95 || d > 1.05 {
				t.Errorf("segment %d lasts %.3f s", pl.seq+uint64(i), d)
			}
		}
		if gone := published - window - graceSegments - 1; gone >= 0 {
			if code, _ := httpGet(t, base+segmentName(uint64(gone))); code != http.StatusNotFound {
				t.Errorf("after %d segments, expired %s: %d", published, segmentName(uint64(gone)), code)
			}
			if code, _ := httpGet(t, base+segmentName(uint64(gone+1))); code != http.StatusOK {
				t.Errorf("after %d segments, %s in its grace: %d", published, segmentName(uint64(gone+1)), code)
			}
		}
	}
	m.Close()
	if published != 5 {
		t.Errorf("%d segments published before Close, want 5", published)
	}
	if h := held(m); len(h) != window+graceSegments || h[len(h)-1] != 5 {
		t.Errorf("held after Close: %v", h)
	}
	if code, _ := httpGet(t, base+"seg0.ts"); code != http.StatusNotFound {
		t.Errorf("seg0.ts after Close: %d", code)
	}
	// ffmpeg began at the first segment: it saw every picture.
	if frames := wait(); frames != 150 {
		t.Errorf("ffmpeg decoded %d pictures live, want 150", frames)
	}
	checkStreams(t, ffprobeStreams(t, url))
}
