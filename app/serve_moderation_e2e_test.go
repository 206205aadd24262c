package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"onair/publish/loopback"
)

// TestLiveKickedAndBanned: the loopback server kicks an `onair live`,
// which reconnects by itself; banned, its reconnects are refused and each
// refusal says the name is banned, key masked.
func TestLiveKickedAndBanned(t *testing.T) {
	srv, err := loopback.Start(loopback.Config{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const key = "kickme"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stdout, stderr, code := runLiveAsync(ctx, "--to", "rtmp://"+srv.RTMPAddr()+"/live/"+key, "--size", "320x240",
		"--preset", "ultrafast", "--keyint", "1s", "--stats-json")
	published := func() bool {
		for _, c := range srv.Clients() {
			if c.Role == "publish" && c.Stream == key {
				return true
			}
		}
		return false
	}
	waitFor(t, 10*time.Second, "onair live never went live", func() bool { return strings.Contains(stdout.String(), `"state":"live"`) })
	if !srv.KickStream(key) {
		t.Fatal("KickStream found no publisher")
	}
	waitFor(t, 3*time.Second, "the kick did not end the publish", func() bool { return !published() })
	waitFor(t, 15*time.Second, "onair live did not come back after the kick", published)
	srv.Ban(key, time.Minute)
	// It keeps trying, as OBS does, and says why each try is refused.
	waitFor(t, 20*time.Second, "no refusal that says the name is banned", func() bool {
		return strings.Contains(stderr.String(), "this stream name is banned on this server")
	})
	if published() {
		t.Error("a banned name publishes")
	}
	cancel()
	select {
	case <-code:
	case <-time.After(10 * time.Second):
		t.Fatal("onair live did not stop")
	}
	msg := stderr.String()
	t.Logf("stderr:\n%s", msg)
	if strings.Contains(msg+stdout.String(), key) {
		t.Errorf("the stream key shows: %q", msg)
	}
	if !strings.Contains(stdout.String(), `"reconnects":1`) {
		t.Errorf("no reconnect counted after the kick: %s", stdout.String())
	}
}
