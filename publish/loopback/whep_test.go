package loopback

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"onair/internal/leaktest"
	"onair/internal/peer"
)

// whepOffer makes a receive-only offer with every candidate gathered, from
// a peer connection with the codecs of me (pion's defaults when nil).
func whepOffer(t *testing.T, me *webrtc.MediaEngine) (*webrtc.PeerConnection, string) {
	t.Helper()
	if me == nil {
		me = &webrtc.MediaEngine{}
		if err := me.RegisterDefaultCodecs(); err != nil {
			t.Fatal(err)
		}
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc, pc.LocalDescription().SDP
}

func postWHEP(t *testing.T, url, contentType, body string) (status int, answer, loc string) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

func deleteWHEP(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWHEP: a pion WebRTC client receives the ffmpeg CLI's stream over
// WHEP: the H.264 it gets decodes (ffprobe counts the pictures, at the
// stream's size) and Opus sound comes (transcoded from the AAC); DELETE
// ends the session. Bad offers get clear 4xx answers, and 200 sessions
// opened and closed leave nothing behind.
func TestWHEP(t *testing.T) {
	before := runtime.NumGoroutine()
	s := startServer(t, Config{})
	ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/rtc", 40*time.Second)
	waitStream(t, s, "rtc")
	base := "http://" + s.HTTPAddr() + "/live/rtc/whep"

	pc, offer := whepOffer(t, nil)
	var mu sync.Mutex
	var video []byte
	pictures, audioPackets := 0, 0
	var wg sync.WaitGroup
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		wg.Add(1)
		defer wg.Done()
		sb := samplebuilder.New(100, &codecs.H264Packet{}, 90000)
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if tr.Kind() == webrtc.RTPCodecTypeAudio {
				mu.Lock()
				audioPackets++
				mu.Unlock()
				continue
			}
			sb.Push(p)
			for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
				mu.Lock()
				video = append(video, smp.Data...)
				pictures++
				mu.Unlock()
			}
		}
	})
	status, answer, loc := postWHEP(t, base, "application/sdp", offer)
	if status != http.StatusCreated || !strings.HasPrefix(loc, "/live/rtc/whep/") {
		t.Fatalf("POST offer: %d %q, Location %q", status, answer, loc)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n, a := pictures, audioPackets
		mu.Unlock()
		if n >= 75 && a >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d pictures, %d audio packets (connection %v)", n, a, pc.ConnectionState())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cs := s.Clients(); !hasClient(cs, "whep") {
		t.Errorf("clients: %+v", cs)
	}
	if got := deleteWHEP(t, "http://"+s.HTTPAddr()+loc); got != http.StatusOK {
		t.Errorf("DELETE: %d", got)
	}
	if got := deleteWHEP(t, "http://"+s.HTTPAddr()+loc); got != http.StatusNotFound {
		t.Errorf("DELETE again: %d", got)
	}
	_ = pc.Close()
	wg.Wait()
	mu.Lock()
	file := filepath.Join(t.TempDir(), "whep.h264")
	if err := os.WriteFile(file, video, 0o644); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := peer.FFprobe(ctx, file, "-count_frames")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.Stream("video")
	frames, _ := strconv.Atoi(v.NbReadFrames)
	if !ok || v.CodecName != "h264" || v.Width != 320 || v.Height != 240 || frames < 70 {
		t.Errorf("what came over WebRTC (%d pictures): %+v", pictures, p.Streams)
	}

	// Bad offers.
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		says              string
	}{
		{"not SDP", "application/sdp", "v=0\r\nthis is not an offer\r\n", http.StatusBadRequest, "bad WHEP offer"},
		{"wrong type", "text/plain", offer, http.StatusUnsupportedMediaType, "application/sdp"},
		{"VP8 only", "application/sdp", vp8Offer(t), http.StatusNotAcceptable, "no H.264"},
	} {
		status, msg, _ := postWHEP(t, base, tc.ctype, tc.body)
		if status != tc.status || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %d %q, want %d saying %q", tc.name, status, msg, tc.status, tc.says)
		}
	}
	if status, msg, _ := postWHEP(t, "http://"+s.HTTPAddr()+"/live/nothing/whep", "application/sdp", offer); status != http.StatusNotFound || !strings.Contains(msg, "no live stream named nothing") {
		t.Errorf("a name nobody publishes: %d %q", status, msg)
	}

	// 200 sessions opened and closed.
	for i := 0; i < 200; i++ {
		status, _, loc := postWHEP(t, base, "application/sdp", offer)
		if status != http.StatusCreated {
			t.Fatalf("session %d: %d", i, status)
		}
		if got := deleteWHEP(t, "http://"+s.HTTPAddr()+loc); got != http.StatusOK {
			t.Fatalf("session %d: DELETE %d", i, got)
		}
	}
	s.mu.Lock()
	left, feeds := len(s.whep), len(s.opus)
	s.mu.Unlock()
	if left != 0 || feeds != 0 || hasClient(s.Clients(), "whep") {
		t.Errorf("after 200 sessions: %d sessions, %d sound feeds, clients %+v", left, feeds, s.Clients())
	}
	s.Close()
	leaktest.Check(t, before, 10*time.Second)
}

func hasClient(cs []ClientInfo, proto string) bool {
	for _, c := range cs {
		if c.Protocol == proto {
			return true
		}
	}
	return false
}

// vp8Offer is an offer that can receive VP8 video only.
func vp8Offer(t *testing.T) string {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, offer := whepOffer(t, me)
	_ = pc.Close()
	return offer
}

// TestOpusDuration: an Opus packet's duration from its TOC byte (RFC 6716
// 3.1): configuration, then frame count code.
func TestOpusDuration(t *testing.T) {
	for _, tc := range []struct {
		p    []byte
		want time.Duration
	}{
		{[]byte{0xf8}, 20 * time.Millisecond},        // CELT FB 20 ms, one frame (libopus's default)
		{[]byte{0xf0}, 10 * time.Millisecond},        // CELT FB 10 ms
		{[]byte{0xf9}, 40 * time.Millisecond},        // two frames of 20 ms
		{[]byte{0x1b, 0x03}, 180 * time.Millisecond}, // SILK 60 ms, code 3, 3 frames
		{[]byte{0xe0}, 2500 * time.Microsecond},      // CELT 2.5 ms
		{[]byte{0x60}, 10 * time.Millisecond},        // hybrid SWB 10 ms
		{nil, 20 * time.Millisecond},
		{[]byte{0x03}, 20 * time.Millisecond}, // code 3 without its count byte
	} {
		if got := opusDuration(tc.p); got != tc.want {
			t.Errorf("% x: %v, want %v", tc.p, got, tc.want)
		}
	}
}

// FuzzOpusDuration: any packet gives a duration between 2.5 and 120×60 ms.
func FuzzOpusDuration(f *testing.F) {
	f.Add([]byte{0xf8})
	f.Add([]byte{0x1b, 0x03})
	f.Fuzz(func(t *testing.T, p []byte) {
		if d := opusDuration(p); d < 2500*time.Microsecond || d > 63*60*time.Millisecond {
			t.Fatalf("% x: %v", p, d)
		}
	})
}
