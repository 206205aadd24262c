package loopback

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"onair/internal/leaktest"
	"onair/internal/peer"
	"onair/publish/rtmfp"
	"onair/publish/rtmp"
)

// TestRTMFPPublishAndPlay: the ffmpeg CLI publishes over RTMP and an
// RTMFP player gets the stream's pictures and sound; an RTMFP publisher's
// stream reaches an RTMP viewer, tag for tag. Nothing is left running.
func TestRTMFPPublishAndPlay(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Start(Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RTMFPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ff := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/cam", 20*time.Second)
	waitStream(t, s, "cam")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	pl, err := rtmfp.Dial(ctx, rtmfp.Config{Addr: s.RTMFPAddr(), App: "live", TCURL: "rtmfp://" + s.RTMFPAddr() + "/live", Key: "cam", Play: true})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[uint8]int{}
	rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
	for {
		m, err := pl.ReadMedia(rctx)
		if err != nil {
			break
		}
		counts[m.TypeID]++
	}
	rcancel()
	if counts[rtmfp.TypeVideo] < 60 || counts[rtmfp.TypeAudio] < 100 {
		t.Errorf("an RTMFP viewer got %v in 3 s of a 25 fps stream", counts)
	}
	if n := len(s.Clients()); n != 2 {
		t.Errorf("%d clients listed, want the publisher and the RTMFP viewer", n)
	}
	pl.Close()
	_ = ff.Process.Kill()
	_ = ff.Wait()

	// An RTMFP publisher, an RTMP viewer.
	pub, err := rtmfp.Dial(ctx, rtmfp.Config{Addr: s.RTMFPAddr(), App: "live", TCURL: "rtmfp://" + s.RTMFPAddr() + "/live", Key: "udp"})
	if err != nil {
		t.Fatal(err)
	}
	avcC := []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80}
	if err := pub.WriteVideo(0, avcC); err != nil {
		t.Fatal(err)
	}
	frame := func(i int) []byte {
		b := []byte{0x27, 1, 0, 0, 0, 0, 0, 0, 8, 0x41, byte(i), byte(i >> 8), 3, 4, 5, 6, 7}
		if i%25 == 0 {
			b[0] = 0x17
		}
		return append(b, make([]byte, 3000)...) // several fragments
	}
	if err := pub.WriteVideo(0, frame(0)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		listed := false
		for _, st := range s.Streams() {
			listed = listed || st.Name == "udp"
		}
		if listed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the RTMFP publisher's stream is not listed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	rv, err := rtmp.Dial(ctx, rtmp.Config{Addr: s.RTMPAddr(), App: "live", TCURL: "rtmp://" + s.RTMPAddr() + "/live", Key: "udp", Play: true})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for i := 1; i <= 50; i++ {
			time.Sleep(5 * time.Millisecond)
			if pub.WriteVideo(uint32(i*40), frame(i)) != nil {
				return
			}
		}
	}()
	got := 0
	for got < 50 {
		m, err := rv.ReadMedia(ctx)
		if err != nil {
			t.Fatalf("after %d pictures: %v", got, err)
		}
		if m.TypeID == 9 && len(m.Payload) > 10 && m.Payload[1] == 1 {
			if want := frame(int(m.Payload[10]) | int(m.Payload[11])<<8); string(m.Payload) != string(want) {
				t.Fatalf("picture %d differs", got)
			}
			got++
		}
	}
	rv.Close()
	pub.Close()
	s.Close()
	leaktest.Check(t, before, 5*time.Second)
}

// TestRTMFPHelloFlood: 20000 IHello packets, and as many of random bytes,
// leave no session and no memory behind: cookies are stateless. A keying
// with a forged cookie is not answered.
func TestRTMFPHelloFlood(t *testing.T) {
	s := startServer(t, Config{RTMFPAddr: "127.0.0.1:0"})
	c, err := net.Dial("udp", s.RTMFPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	junk := make([]byte, 200)
	for i := 0; i < 20000; i++ {
		_, _ = c.Write(rtmfp.HelloPacket("rtmfp://x/live"))
		_, _ = rand.Read(junk)
		_, _ = c.Write(junk)
	}
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	if grown := int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc); grown > 4<<20 {
		t.Errorf("the heap grew %d bytes after the flood", grown)
	}
	if n := s.rtmfp.Sessions(); n != 0 {
		t.Errorf("%d sessions after the flood", n)
	}
}

// TestTCPublishToServe: the RTMFP reference's publisher (tcpublish) sends
// an FLV file over RTMFP to the loopback server, and ffprobe reads the
// stream back over RTMP.
func TestTCPublishToServe(t *testing.T) {
	bin, err := peer.RTMFPTool("tcpublish")
	if errors.Is(err, peer.ErrNoRTMFPPeer) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{RTMFPAddr: "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clip := filepath.Join(t.TempDir(), "clip.flv")
	if _, err := peer.FFmpeg(ctx, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bf", "0", "-c:a", "aac", "-t", "20", "-y", clip); err != nil {
		t.Fatal(err)
	}
	pub := exec.CommandContext(ctx, bin, "-4", "rtmfp://"+s.RTMFPAddr()+"/live", clip)
	var out peer.LockedBuffer
	pub.Stdout, pub.Stderr = &out, &out
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Process.Kill(); _ = pub.Wait() }()
	waitStream(t, s, "clip")
	p, err := peer.FFprobe(ctx, "rtmp://"+s.RTMPAddr()+"/live/clip")
	if err != nil {
		t.Fatalf("%v; tcpublish: %s", err, out.String())
	}
	if v, ok := p.Stream("video"); !ok || v.CodecName != "h264" || v.Width != 320 {
		t.Errorf("video %+v", v)
	}
	if a, ok := p.Stream("audio"); !ok || a.CodecName != "aac" {
		t.Errorf("audio %+v", a)
	}
	_ = os.Remove(clip)
}

// TestRTMFPByFingerprint: a client names the server by its certificate's
// fingerprint (rtmfp://…?fingerprint=HEX) and plays; with another
// fingerprint nobody answers, and the error says so.
func TestRTMFPByFingerprint(t *testing.T) {
	s := startServer(t, Config{RTMFPAddr: "127.0.0.1:0"})
	ff := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/cam", 20*time.Second)
	defer func() { _ = ff.Process.Kill(); _ = ff.Wait() }()
	waitStream(t, s, "cam")
	ctx := context.Background()
	key, fp := rtmfp.SplitFingerprint("cam?fingerprint=" + s.RTMFPFingerprint())
	c, err := rtmfp.Dial(ctx, rtmfp.Config{Addr: s.RTMFPAddr(), App: "live", Key: key, Fingerprint: fp, Play: true})
	if err != nil {
		t.Fatalf("by fingerprint: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if _, err := c.ReadMedia(rctx); err != nil {
		t.Errorf("no media by fingerprint: %v", err)
	}
	cancel()
	c.Close()
	wrong := strings.Repeat("ab", 32)
	_, err = rtmfp.Dial(ctx, rtmfp.Config{Addr: s.RTMFPAddr(), App: "live", Key: "cam", Fingerprint: wrong, Play: true, Timeout: 2 * time.Second})
	if !errors.Is(err, rtmfp.ErrTimeout) || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("with another fingerprint: %v", err)
	}
}
