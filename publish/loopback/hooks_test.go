package loopback

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestHooks: a hook server in the test allows one stream and refuses
// another; the refusal reaches the publisher (OnAir's RTMP client) and the
// players (RTMP, HTTP-FLV) with the hook's status in words; a hook that
// does not answer in time refuses; the query goes to the hook as sent;
// the unpublish hook hears the end.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var events []hookEvent
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev hookEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad hook call", http.StatusBadRequest)
			return
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
		switch {
		case ev.Stream == "slow":
			time.Sleep(2 * time.Second)
		case ev.Action == "publish" && ev.Stream == "bad":
			http.Error(w, "no", http.StatusForbidden)
		case ev.Action == "play" && !strings.Contains(ev.Query, "token=ok"):
			http.Error(w, "no token", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(hook.Close)
	s := startServer(t, Config{OnPublish: hook.URL, OnPlay: hook.URL, OnUnpublish: hook.URL, HookTimeout: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	pub := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/good", 6*time.Second)
	waitStream(t, s, "good")

	for _, c := range []struct{ name, want string }{
		{"bad", "the on_publish hook answered 403 Forbidden"},
		{"slow", "the on_publish hook did not answer within 500ms"},
	} {
		if cl, err := dialPublish(ctx, s.RTMPAddr(), c.name); err == nil {
			cl.Close()
			t.Errorf("publishing %q: allowed, want refused", c.name)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("publishing %q: %v, want it to say %q", c.name, err, c.want)
		}
	}
	if cl, err := dialPlay(ctx, s.RTMPAddr(), "good?token=ok"); err != nil {
		t.Errorf("RTMP play with the token: %v", err)
	} else {
		cl.Close()
	}
	if _, err := dialPlay(ctx, s.RTMPAddr(), "good?token=no"); err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Errorf("RTMP play without the token: %v, want refused with 401", err)
	}
	base := "http://" + s.HTTPAddr() + "/live/good.flv"
	resp, err := http.Get(base + "?token=no")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("HTTP-FLV without the token: %s, want 403", resp.Status)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"?token=ok", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 9)
	_, _ = resp.Body.Read(buf)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(buf[:3]) != "FLV" {
		t.Errorf("HTTP-FLV with the token: %s %q", resp.Status, buf)
	}

	_ = pub.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, ev := range events {
			if ev.Action == "unpublish" && ev.Stream == "good" {
				n++
			}
		}
		got := append([]hookEvent(nil), events...)
		mu.Unlock()
		if n == 1 {
			t.Logf("hook events: %+v", got)
			for _, ev := range got {
				if ev.Action == "play" && ev.Protocol == "http-flv" && ev.Query == "token=ok" && strings.HasPrefix(ev.Client, "127.0.0.1:") {
					return
				}
			}
			t.Errorf("no HTTP-FLV play event with the query and client: %+v", got)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no unpublish event: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
