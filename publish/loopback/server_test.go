package loopback

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yutopp/go-rtmp/handshake"

	"onair/internal/leaktest"
	"onair/internal/peer"
	"onair/publish/rtmp"
	"onair/publish/rtmp/chunk"
)

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.RTMPAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ffmpegPublish pushes lavfi test video + sine with the ffmpeg CLI for dur.
func ffmpegPublish(t *testing.T, url string, dur time.Duration) *exec.Cmd {
	t.Helper()
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-hide_banner", "-nostdin", "-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-bf", "0",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-t", dur.String()[:len(dur.String())-1], "-f", "flv", url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func waitStream(t *testing.T, s *Server, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Hub().WaitLive(ctx, name); err != nil {
		t.Fatalf("stream %q did not come up: %v", name, err)
	}
}

// TestFFmpegPublishReadBackEverywhere: the ffmpeg CLI publishes; ffprobe
// reads the stream back over RTMP, HTTP-FLV and HLS; the status API
// describes it.
func TestFFmpegPublishReadBackEverywhere(t *testing.T) {
	before := runtime.NumGoroutine()
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/ff", 15*time.Second)
	waitStream(t, s, "ff")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, url := range []string{
		"rtmp://" + s.RTMPAddr() + "/live/ff",
		"http://" + s.HTTPAddr() + "/live/ff.flv",
		"http://" + s.HTTPAddr() + "/live/ff/index.m3u8",
	} {
		p, err := peer.FFprobe(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		v, okv := p.Stream("video")
		a, oka := p.Stream("audio")
		if !okv || v.CodecName != "h264" || v.Width != 320 || v.Height != 240 || !oka || a.CodecName != "aac" || a.SampleRate != "48000" {
			t.Errorf("%s: %+v", url, p.Streams)
		}
		// A real decode, not just a probe.
		if _, err := peer.FFmpeg(ctx, "-i", url, "-frames:v", "10", "-f", "null", "-"); err != nil {
			t.Errorf("%s: decoding: %v", url, err)
		}
	}
	resp, err := http.Get("http://" + s.HTTPAddr() + "/api/streams")
	if err != nil {
		t.Fatal(err)
	}
	var status struct{ Streams []StreamInfo }
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || len(status.Streams) != 1 {
		t.Fatalf("status: %v %+v", err, status)
	}
	st := status.Streams[0]
	if st.Name != "ff" || st.Video == nil || st.Video.Width != 320 || st.Audio == nil || st.Audio.SampleRate != 48000 ||
		st.FPS < 20 || st.FPS > 30 || st.Kbps <= 0 || !strings.HasPrefix(st.Publisher, "127.0.0.1:") {
		t.Errorf("status: %+v", st)
	}
	// A stream that does not exist.
	if _, err := peer.FFprobe(ctx, "http://"+s.HTTPAddr()+"/live/nope.flv"); err == nil {
		t.Error("ffprobe read a stream that does not exist")
	}
	s.Close()
	leaktest.Check(t, before+2, 5*time.Second) // +2: the ffmpeg command's wait goroutines
}

func dialPlay(ctx context.Context, addr, name string) (*rtmp.Client, error) {
	return rtmp.Dial(ctx, rtmp.Config{Addr: addr, App: "live", TCURL: "rtmp://" + addr + "/live", Key: name, Play: true, Timeout: 5 * time.Second})
}

func dialPublish(ctx context.Context, addr, key string) (*rtmp.Client, error) {
	return rtmp.Dial(ctx, rtmp.Config{Addr: addr, App: "live", TCURL: "rtmp://" + addr + "/live", Key: key, Timeout: 5 * time.Second, Settle: 50 * time.Millisecond})
}

// TestViewersAndSlowViewer: 50 RTMP viewers for 10 s all receive the
// frames; one viewer that never reads costs the others nothing.
func TestViewersAndSlowViewer(t *testing.T) {
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/many", 20*time.Second)
	waitStream(t, s, "many")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stalled, err := dialPlay(ctx, s.RTMPAddr(), "many")
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close() // never reads
	const n = 50
	const watch = 10 * time.Second
	counts := make([]int64, n)
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := dialPlay(ctx, s.RTMPAddr(), "many")
			if err != nil {
				failures.Add(1)
				t.Errorf("viewer %d: %v", i, err)
				return
			}
			defer c.Close()
			end := time.Now().Add(watch)
			for time.Now().Before(end) {
				rctx, rcancel := context.WithDeadline(ctx, end)
				m, err := c.ReadMedia(rctx)
				rcancel()
				if err != nil {
					break
				}
				if m.TypeID == 9 && len(m.Payload) > 1 && m.Payload[1] == 1 {
					counts[i]++
				}
			}
		}(i)
	}
	wg.Wait()
	// 25 fps for 10 s: every viewer should have close to 250 frames.
	for i, c := range counts {
		if c < 225 {
			t.Errorf("viewer %d got %d video frames in %v, want >= 225", i, c, watch)
		}
	}
	t.Logf("frames per viewer: min %d max %d", minOf(counts), maxOf(counts))
}

// TestStalledViewerIsShed: a viewer that stops reading first loses units
// (drop to keyframe), then is disconnected after WriteTimeout; the
// publisher and a reading viewer go on at full rate.
func TestStalledViewerIsShed(t *testing.T) {
	s := startServer(t, Config{ReaderQueue: 32, WriteTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := dialPublish(ctx, s.RTMPAddr(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	frame := func(i int) []byte {
		b := make([]byte, 100<<10)
		b[0], b[1] = 0x27, 1
		if i%10 == 0 {
			b[0] = 0x17
		}
		return b
	}
	_ = pub.WriteVideo(0, []byte{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0})
	_ = pub.WriteVideo(0, frame(0))
	stalled, err := dialPlay(ctx, s.RTMPAddr(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	reader, err := dialPlay(ctx, s.RTMPAddr(), "big")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := reader.ReadMedia(ctx); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	// 100 MB at about 20 MB/s: far past the stalled client's channel and
	// the socket buffers, and well within what a reading viewer takes.
	const sent = 1000
	for i := 1; i <= sent; i++ {
		if err := pub.WriteVideo(uint32(i*10), frame(i)); err != nil {
			t.Fatalf("publisher held up at frame %d: %v", i, err)
		}
		if i%10 == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() < sent && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := got.Load(); n < sent*9/10 {
		t.Errorf("the reading viewer got %d of %d frames", n, sent)
	}
	// The server let the stalled viewer go (its client cannot tell: it is
	// not reading).
	var st []StreamInfo
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st = s.Hub().Streams(); len(st) == 1 && st[0].Viewers["rtmp"] == 1 {
			break
		}
	}
	if len(st) != 1 || st[0].Viewers["rtmp"] != 1 {
		t.Errorf("the stalled viewer is still connected: %+v", st)
	}
	t.Logf("reading viewer: %d of %d frames; viewers now %v", got.Load(), sent, st[0].Viewers)
	reader.Close()
	<-done
}

func minOf(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// TestLateJoiner: a viewer that joins a running stream gets its first
// video frame within 150 ms of its play command (GOP cache).
func TestLateJoiner(t *testing.T) {
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/late", 15*time.Second)
	waitStream(t, s, "late")
	time.Sleep(1300 * time.Millisecond) // mid-GOP (keyframe every second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		start := time.Now()
		c, err := dialPlay(ctx, s.RTMPAddr(), "late")
		if err != nil {
			t.Fatal(err)
		}
		var first time.Duration
		var key bool
		for first == 0 {
			m, err := c.ReadMedia(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.TypeID == 9 && len(m.Payload) > 1 && m.Payload[1] == 1 {
				first, key = time.Since(start), m.Payload[0]>>4 == 1
			}
		}
		c.Close()
		t.Logf("first video frame %v after the play command (keyframe: %v)", first.Round(100*time.Microsecond), key)
		if first > 150*time.Millisecond || !key {
			t.Errorf("first frame after %v (keyframe %v), want a keyframe within 150 ms", first, key)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestPublishKeyAndTakeover: a wrong key is refused with BadName and the
// key does not show; the right key publishes; a second publisher of the
// same name takes over at once.
func TestPublishKeyAndTakeover(t *testing.T) {
	s := startServer(t, Config{PublishKey: "sekrit"})
	ctx := context.Background()
	_, err := dialPublish(ctx, s.RTMPAddr(), "cam?key=WRONGKEY")
	if !errors.Is(err, rtmp.ErrRejected) || !strings.Contains(err.Error(), "NetStream.Publish.BadName") || strings.Contains(err.Error(), "WRONGKEY") {
		t.Fatalf("wrong key: %v", err)
	}
	_, err = dialPublish(ctx, s.RTMPAddr(), "cam")
	if !errors.Is(err, rtmp.ErrRejected) {
		t.Fatalf("missing key: %v", err)
	}
	first, err := dialPublish(ctx, s.RTMPAddr(), "cam?key=sekrit")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	start := time.Now()
	second, err := dialPublish(ctx, s.RTMPAddr(), "cam?key=sekrit")
	if err != nil {
		t.Fatalf("takeover refused: %v", err)
	}
	defer second.Close()
	select {
	case <-first.Done():
		t.Logf("takeover took %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Fatal("the first publisher was not dropped on takeover")
	}
	if st := s.Hub().Streams(); len(st) != 1 || st[0].Name != "cam" {
		t.Fatalf("streams: %+v", st)
	}
	// Refuses to listen beyond loopback without a key.
	if _, err := Start(Config{RTMPAddr: "0.0.0.0:0", HTTPAddr: "127.0.0.1:0"}); !errors.Is(err, ErrNeedPublishKey) {
		t.Fatalf("non-loopback without key: %v", err)
	}
}

// TestHostilePeers: garbage, truncated handshakes, a giant chunk size and
// bad AMF neither crash the server nor stop a normal stream.
func TestHostilePeers(t *testing.T) {
	s := startServer(t, Config{})
	before := runtime.NumGoroutine()
	rnd := rand.New(rand.NewSource(1))
	send := func(b []byte, afterHandshake bool) {
		c, err := net.Dial("tcp", s.RTMPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if afterHandshake {
			if err := handshake.HandshakeWithServer(c, c, &handshake.Config{SkipHandshakeVerification: true}); err != nil {
				t.Fatal(err)
			}
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = c.Write(b)
		_, _ = io.Copy(io.Discard, c) // until the server hangs up
	}
	garbage := make([]byte, 64<<10)
	rnd.Read(garbage)
	send(garbage, false)            // random bytes
	send([]byte{3, 1, 2, 3}, false) // truncated handshake
	send(garbage, true)             // random chunks
	var buf strings.Builder
	w := chunk.NewWriter(&buf)
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 2, TypeID: 1, Payload: []byte{0x7f, 0xff, 0xff, 0xff}})
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 3, TypeID: 20, Payload: []byte{2, 0, 7, 'c', 'o', 'n', 'n', 'e', 'c', 't', 0x42}}) // bad AMF
	send([]byte(buf.String()), true)
	// A huge message length with a giant chunk size.
	buf.Reset()
	w = chunk.NewWriter(&buf)
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 2, TypeID: 1, Payload: []byte{0x7f, 0xff, 0xff, 0xff}})
	_ = w.SetChunkSize(0x7fffffff)
	_ = w.WriteMessage(&chunk.Message{ChunkStreamID: 4, TypeID: 9, Payload: make([]byte, 1<<20)})
	send([]byte(buf.String()), true)
	leaktest.Check(t, before, 5*time.Second)

	// Still serving.
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/after", 8*time.Second)
	waitStream(t, s, "after")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := peer.FFprobe(ctx, "rtmp://"+s.RTMPAddr()+"/live/after"); err != nil {
		t.Fatal(err)
	}
}
