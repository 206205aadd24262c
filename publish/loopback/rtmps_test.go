package loopback

import (
	"context"
	"crypto/tls"
	"errors"
	"regexp"
	"testing"
	"time"

	"onair/internal/peer"
	"onair/publish/rtmp"
)

// TestSelfSignedCert: made once, then the same certificate (and
// fingerprint) from the folder.
func TestSelfSignedCert(t *testing.T) {
	dir := t.TempDir()
	a, made, err := SelfSignedCert(dir)
	if err != nil || !made {
		t.Fatalf("first: made %v, %v", made, err)
	}
	b, made, err := SelfSignedCert(dir)
	if err != nil || made {
		t.Fatalf("second: made %v, %v", made, err)
	}
	fa, fb := Fingerprint(a), Fingerprint(b)
	if fa != fb || !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fa) {
		t.Fatalf("fingerprints %q and %q", fa, fb)
	}
	if err := a.Leaf.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("not for 127.0.0.1: %v", err)
	}
	if _, err := Start(Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RTMPSAddr: "127.0.0.1:0"}); !errors.Is(err, ErrCert) {
		t.Errorf("RTMPS without a certificate: %v, want ErrCert", err)
	}
}

// TestRTMPS: the ffmpeg CLI publishes to the loopback server over rtmps://
// and ffprobe plays it back over rtmps://; OnAir's client plays it with
// the certificate unchecked (--insecure), and refuses it checked.
func TestRTMPS(t *testing.T) {
	cert, _, err := SelfSignedCert(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{RTMPSAddr: "127.0.0.1:0", Cert: cert})
	url := "rtmps://" + s.RTMPSAddr() + "/live/tls"
	ffmpegPublish(t, url, 12*time.Second)
	waitStream(t, s, "tls")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := peer.FFprobe(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := p.Stream("video")
	a, oka := p.Stream("audio")
	if !okv || v.CodecName != "h264" || !oka || a.CodecName != "aac" {
		t.Fatalf("%s: %+v", url, p.Streams)
	}
	dial := func(insecure bool) (*rtmp.Client, error) {
		return rtmp.Dial(ctx, rtmp.Config{Addr: s.RTMPSAddr(), App: "live", TCURL: "rtmps://" + s.RTMPSAddr() + "/live",
			Key: "tls", Play: true, Timeout: 5 * time.Second, TLS: &tls.Config{ServerName: "127.0.0.1", InsecureSkipVerify: insecure}})
	}
	c, err := dial(true)
	if err != nil {
		t.Fatalf("OnAir's client, insecure: %v", err)
	}
	c.Close()
	if c, err := dial(false); err == nil {
		c.Close()
		t.Fatal("OnAir's client accepted a self-signed certificate it was asked to check")
	} else {
		t.Logf("checked: %v", err)
	}
}
