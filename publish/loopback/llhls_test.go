package loopback

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestLLHLSWithFFmpeg: the ffmpeg CLI publishes; the server's LL-HLS
// playlist (/live/NAME/ll/index.m3u8) is read by the ffmpeg CLI (which
// ignores the low-latency tags but must play the CMAF segments): ffprobe
// finds H.264 at the stream's size and AAC, and ffmpeg decodes 50
// pictures. A blocking reload answers with the part it asked for.
func TestLLHLSWithFFmpeg(t *testing.T) {
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/ll", 40*time.Second)
	waitStream(t, s, "ll")
	url := "http://" + s.HTTPAddr() + "/live/ll/ll/index.m3u8"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The first segment is complete after a GOP (1 s).
	time.Sleep(1500 * time.Millisecond)
	p, err := peer.FFprobe(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := p.Stream("video")
	a, oka := p.Stream("audio")
	if !okv || v.CodecName != "h264" || v.Width != 320 || v.Height != 240 || !oka || a.CodecName != "aac" {
		t.Errorf("ffprobe of LL-HLS: %+v", p.Streams)
	}
	if _, err := peer.FFmpeg(ctx, "-i", url, "-frames:v", "50", "-f", "null", "-"); err != nil {
		t.Errorf("ffmpeg decoding LL-HLS: %v", err)
	}

	// The next part, by a blocking reload.
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := strings.Index(string(body), `PRELOAD-HINT:TYPE=PART,URI="s`)
	if resp.StatusCode != http.StatusOK || i < 0 {
		t.Fatalf("playlist %d:\n%s", resp.StatusCode, body)
	}
	hint := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(string(body[i:]), "\"", 3)[1], "s"), ".m4s")
	msn, part, _ := strings.Cut(hint, ".")
	start := time.Now()
	resp, err = http.Get(url + "?_HLS_msn=" + msn + "&_HLS_part=" + part)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if el := time.Since(start); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `URI="s`+msn+"."+part+`.m4s"`) || el > time.Second {
		t.Errorf("blocking reload for s%s.%s: %d after %v:\n%s", msn, part, resp.StatusCode, el, body)
	}
	if n, _ := strconv.Atoi(part); n < 0 {
		t.Fatal("bad hint")
	}
}
