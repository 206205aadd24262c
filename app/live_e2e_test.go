package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/app/engine"
	"onair/internal/peer"
	"onair/internal/testsignal"
	"onair/publish"
)

func startNginx(t *testing.T, port int) *peer.Nginx {
	t.Helper()
	ng, err := peer.StartNginx(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ng.Stop)
	return ng
}

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer = peer.LockedBuffer

// runLiveAsync runs `onair live` in-process until ctx ends.
func runLiveAsync(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, code <-chan int) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	c := make(chan int, 1)
	go func() { c <- Run(ctx, append([]string{"live"}, args...), stdout, stderr) }()
	return stdout, stderr, c
}

// TestLiveToNginx publishes the test source to nginx-rtmp and checks what a
// third-party player reads back: codecs, size, rate, keyframe interval, and
// the timecode stripe in decoded frames.
func TestLiveToNginx(t *testing.T) {
	ng := startNginx(t, 0)
	url := ng.URL("live", "e2e")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	stdout, stderr, code := runLiveAsync(lctx, "--to", url, "--size", "640x360", "--fps", "25",
		"--vbitrate", "800k", "--keyint", "1s", "--stats-json")

	time.Sleep(1500 * time.Millisecond) // ffprobe then joins at a keyframe
	p, err := peer.FFprobe(ctx, url, "-show_frames", "-read_intervals", "%+4")
	if err != nil {
		stop()
		t.Fatalf("%v\nonair stderr: %s", err, stderr.String())
	}
	v, ok := p.Stream("video")
	if !ok || v.CodecName != "h264" || v.Width != 640 || v.Height != 360 || v.FPS() != 25 {
		t.Errorf("video stream: %+v", v)
	}
	a, ok := p.Stream("audio")
	if !ok || a.CodecName != "aac" || a.SampleRate != "48000" || a.Channels != 2 {
		t.Errorf("audio stream: %+v", a)
	}
	var keys []float64
	for _, f := range p.Frames {
		if f.MediaType == "video" && f.KeyFrame == 1 {
			ts, _ := strconv.ParseFloat(f.PTSTime, 64)
			keys = append(keys, ts)
		}
	}
	if len(keys) < 3 {
		t.Fatalf("%d keyframes in 4 s of stream, want >= 3 at a 1 s interval", len(keys))
	}
	for i := 1; i < len(keys); i++ {
		if d := keys[i] - keys[i-1]; d > 1.05 {
			t.Errorf("keyframe interval %.3f s > 1 s", d)
		}
	}

	checkStripesWithFFmpeg(ctx, t, url, 640, 360)
	stop()
	waitLiveExit(t, code, stderr)
	// The stats lines: JSON only on stdout, the last one final.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("%d stats lines: %q", len(lines), stdout.String())
	}
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["final"] != true || last["frames_sent"].(float64) < 50 {
		t.Errorf("final line: %v", last)
	}
	for _, k := range []string{"t", "state", "fps_in", "fps_out", "video_kbps", "audio_kbps", "frames_sent", "dropped", "encode_ms_p50", "queue_ms", "reconnects"} {
		if _, ok := last[k]; !ok {
			t.Errorf("final line lacks %q: %v", k, last)
		}
	}
	// The drops, by where they happened, add up to "dropped".
	drops, _ := last["drops"].(map[string]any)
	var sum float64
	for _, k := range []string{"source", "preprocess", "encoder", "network"} {
		v, ok := drops[k].(float64)
		if !ok {
			t.Errorf("final line's drops lack %q: %v", k, last["drops"])
		}
		sum += v
	}
	if d, _ := last["dropped"].(float64); sum != d {
		t.Errorf("drops %v add up to %v, dropped is %v", drops, sum, d)
	}
	var mid map[string]any
	_ = json.Unmarshal([]byte(lines[len(lines)-2]), &mid)
	if mid["state"] != "live" || mid["fps_out"].(float64) < 20 || mid["video_kbps"].(float64) < 300 {
		t.Errorf("a live line: %v", mid)
	}
}

// checkStripesWithFFmpeg decodes 10 pictures of the stream at url (w×h)
// with the ffmpeg CLI and reads the timecode stripe in each: it must read,
// and say a time of the last 10 s.
func checkStripesWithFFmpeg(ctx context.Context, t *testing.T, url string, w, h int) {
	t.Helper()
	raw, err := peer.FFmpeg(ctx, "-i", url, "-frames:v", "10", "-f", "rawvideo", "-pix_fmt", "gray", "-")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 10*w*h {
		t.Fatalf("decoded %d bytes, want 10 frames of %d", len(raw), w*h)
	}
	now := time.Now().UnixMilli()
	for i := 0; i < 10; i++ {
		ms, ok := testsignal.ReadStripe(raw[i*w*h:(i+1)*w*h], w, w, h)
		if !ok {
			t.Fatalf("frame %d: the timecode stripe does not read", i)
		}
		if age := now - ms; age < 0 || age > 10_000 {
			t.Errorf("frame %d: stripe time is %d ms old", i, age)
		}
	}
}

// waitLiveExit waits for an `onair live` run (runLiveAsync) whose context
// was cancelled: it must end, with status 0, within 15 s.
func waitLiveExit(t *testing.T, code <-chan int, stderr *syncBuffer) {
	t.Helper()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d: %s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("onair live did not stop within 15 s of cancel")
	}
}

// TestReconnect stops nginx mid-stream and starts it again on the same
// port: the publisher must be live again within 5 s and the stream readable.
func TestReconnect(t *testing.T) {
	dir := t.TempDir()
	ng, err := peer.StartNginx(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	port := ng.RTMPPort
	url := ng.URL("live", "rc")
	before := runtime.NumGoroutine()
	b, err := engine.Start(context.Background(), engine.Config{
		Video: "testsrc", Audio: "tone", Width: 320, Height: 240, FPS: 25, VideoBitrate: 400_000,
		AudioBitrate: 64_000, Preset: "ultrafast", KeyInterval: time.Second, URLs: []string{url},
	})
	if err != nil {
		ng.Stop()
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			b.Close()
		}
	}()
	time.Sleep(2 * time.Second)
	ng.Stop()
	waitState(t, b, "reconnecting", 5*time.Second)
	ng2, err := peer.StartNginx(dir, port)
	if err != nil {
		t.Fatal(err)
	}
	defer ng2.Stop()
	restarted := time.Now()
	waitState(t, b, "live", 5*time.Second)
	t.Logf("live again %v after nginx restarted", time.Since(restarted).Round(time.Millisecond))
	if s := b.Sample(); s.Reconnects != 1 {
		t.Errorf("reconnects = %d, want 1", s.Reconnects)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := peer.FFprobe(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Stream("video"); !ok || v.CodecName != "h264" || v.Width != 320 {
		t.Errorf("after reconnect: %+v", p.Streams)
	}
	b.Close()
	closed = true
	ng2.Stop()
	checkGoroutines(t, before)
}

func waitState(t *testing.T, b *engine.Broadcast, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if b.Sample().State == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("state %q, want %q within %v", b.Sample().State, want, within)
}

// TestBadInput: each mistake gives one clear line on stderr and exit 1
// within 10 s, and the stream key never shows.
func TestBadInput(t *testing.T) {
	ng := startNginx(t, 0)
	refused, _ := peer.FreePort()
	// A server that accepts TCP and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	tlsAddr := startTLSProxy(t, ng.Addr())

	const key = "SECRETKEY123"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"scheme", []string{"--to", "http://127.0.0.1/live/" + key}, "unsupported scheme"},
		{"size", []string{"--size", "big", "--to", ng.URL("live", key)}, "size \"big\""},
		{"refused", []string{"--to", "rtmp://127.0.0.1:" + strconv.Itoa(refused) + "/live/" + key}, "connection refused"},
		{"silent", []string{"--to", "rtmp://" + silent.Addr().String() + "/live/" + key}, "timed out"},
		{"tls", []string{"--to", "rtmps://" + tlsAddr + "/live/" + key}, "certificate"},
		{"rejected", []string{"--to", ng.URL("deny", key)}, "rejected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := Run(ctx, append([]string{"live", "--size", "320x240", "--preset", "ultrafast"}, c.args...), &out, &errb)
			took := time.Since(start)
			msg := errb.String()
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr: %s", code, msg)
			}
			if took > 10*time.Second {
				t.Errorf("took %v, want < 10 s", took)
			}
			if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("want one line on stderr, got %q", msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("stderr %q does not say %q", msg, c.want)
			}
			if strings.Contains(msg+out.String(), key) {
				t.Errorf("the stream key shows: %q", msg)
			}
			t.Logf("%s (%v)", strings.TrimSpace(msg), took.Round(time.Millisecond))
		})
	}
}

// TestRTMPS publishes through a TLS-terminating proxy in front of nginx:
// with --insecure (self-signed) it goes live and the stream reads back.
func TestRTMPS(t *testing.T) {
	ng := startNginx(t, 0)
	tlsAddr := startTLSProxy(t, ng.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	_, stderr, code := runLiveAsync(lctx, "--to", "rtmps://"+tlsAddr+"/live/tls", "--insecure",
		"--size", "320x240", "--preset", "ultrafast", "--keyint", "1s")
	time.Sleep(1500 * time.Millisecond)
	p, err := peer.FFprobe(ctx, ng.URL("live", "tls"))
	stop()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Stream("video"); !ok || v.Width != 320 {
		t.Errorf("streams: %+v", p.Streams)
	}
}

// startTLSProxy terminates TLS (self-signed certificate) and forwards to
// backend: a stand-in for an RTMPS ingest.
func startTLSProxy(t *testing.T, backend string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(b, c); b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				go func() { io.Copy(c, b); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
	return l.Addr().String()
}

var _ = publish.ParseURL
