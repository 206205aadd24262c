package handshake

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
)

// serveOnce accepts one connection on a loopback port, runs Server on it
// and hands back the outcome; the address is the first return.
func serveOnce(t *testing.T) (string, <-chan serverResult) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	res := make(chan serverResult, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			res <- serverResult{err: err}
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		info, err := Server(nc, Config{Epoch: time.Now()})
		res <- serverResult{info, err}
	}()
	return ln.Addr().String(), res
}

type serverResult struct {
	info Info
	err  error
}

// TestFFmpegClientChecksOurDigest: the ffmpeg CLI, playing, sends the
// digest form and checks S1's digest and S2's signature before it sends
// C2; the server reading C2 means FFmpeg accepted them.
func TestFFmpegClientChecksOurDigest(t *testing.T) {
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	addr, res := serveOnce(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Nothing answers its connect: ffmpeg gives up after rw_timeout.
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-rw_timeout", "2000000",
		"-i", "rtmp://"+addr+"/live/x", "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	r := <-res
	if r.err != nil || !r.info.Digest || r.info.PeerVersion != [4]byte{9, 0, 124, 2} {
		t.Fatalf("server: %+v %v; ffmpeg said:\n%s", r.info, r.err, stderr.String())
	}
	for _, bad := range []string{"Signature mismatch", "validating failed", "handshake"} {
		if strings.Contains(stderr.String(), bad) {
			t.Errorf("ffmpeg said %q:\n%s", bad, stderr.String())
		}
	}
}

// TestRtmpdumpSimpleEchoed: rtmpdump (librtmp, as in OBS) sends the simple
// form and compares S2 with its C1 byte for byte.
func TestRtmpdumpSimpleEchoed(t *testing.T) {
	bin, err := peer.Require("rtmpdump", "rtmpdump")
	if err != nil {
		t.Fatal(err)
	}
	addr, res := serveOnce(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-r", "rtmp://"+addr+"/live/x", "--live", "--timeout", "2", "-o", os.DevNull)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	r := <-res
	if r.err != nil || r.info.Digest {
		t.Fatalf("server: %+v %v; rtmpdump said:\n%s", r.info, r.err, stderr.String())
	}
	if strings.Contains(stderr.String(), "signature does not match") {
		t.Fatalf("rtmpdump: %s", stderr.String())
	}
}

// TestClientAgainstNginx: nginx-rtmp answers the digest form; the client
// checks its S1 digest and S2 signature.
func TestClientAgainstNginx(t *testing.T) {
	ng, err := peer.StartNginx(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ng.Stop)
	nc, err := net.DialTimeout("tcp", ng.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	info, err := Client(nc, Config{Epoch: time.Now()})
	if err != nil || !info.Digest {
		t.Fatalf("client: %+v %v; nginx: %s", info, err, ng.ErrorLog())
	}
	t.Logf("nginx-rtmp's version %d.%d.%d.%d, digest form", info.PeerVersion[0], info.PeerVersion[1], info.PeerVersion[2], info.PeerVersion[3])
}
