package loopback

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func apiPost(t *testing.T, url, token string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("POST %s: %s %q, want %d", url, resp.Status, b, want)
	}
	return string(b)
}

// TestModeration: /api/clients lists the publisher (the ffmpeg CLI) and
// the viewers (RTMP, HTTP-FLV) with their bytes; kicking the HTTP-FLV
// viewer ends its response; kicking the stream ends the ffmpeg CLI's
// publish; a ban refuses the name with a message that says so, for as
// long as it lasts.
func TestModeration(t *testing.T) {
	s := startServer(t, Config{})
	api := "http://" + s.HTTPAddr() + "/api/"
	pub := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/mod", 30*time.Second)
	waitStream(t, s, "mod")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	viewer, err := dialPlay(ctx, s.RTMPAddr(), "mod")
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/live/mod.flv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	flvDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		flvDone <- err
	}()
	time.Sleep(time.Second)
	cs := s.Clients()
	var flvID string
	roles := map[string]int{}
	for _, c := range cs {
		roles[c.Role+" "+c.Protocol]++
		if c.Protocol == "http-flv" {
			flvID = c.ID
		}
		if c.Bytes == 0 || c.Stream != "mod" || c.Address == "" {
			t.Errorf("client %+v", c)
		}
	}
	if roles["publish rtmp"] != 1 || roles["play rtmp"] != 1 || roles["play http-flv"] != 1 {
		t.Errorf("clients %+v", cs)
	}
	get(t, api+"clients", http.StatusOK)
	apiPost(t, api+"clients/"+flvID+"/kick", "", http.StatusOK)
	select {
	case <-flvDone:
	case <-time.After(3 * time.Second):
		t.Error("the kicked HTTP-FLV viewer's response did not end")
	}
	apiPost(t, api+"clients/999999/kick", "", http.StatusNotFound)

	apiPost(t, api+"streams/mod/ban?for=1m", "", http.StatusOK)
	waitExit := make(chan struct{})
	go func() { _ = pub.Wait(); close(waitExit) }()
	select {
	case <-waitExit:
	case <-time.After(5 * time.Second):
		t.Error("the ban did not end the ffmpeg CLI's publish")
	}
	_, err = dialPublish(ctx, s.RTMPAddr(), "mod")
	if err == nil || !strings.Contains(err.Error(), "banned") {
		t.Errorf("publishing a banned name: %v, want refused as banned", err)
	}
	t.Logf("publishing a banned name: %v", err)
	apiPost(t, api+"streams/mod/ban?for=forever", "", http.StatusBadRequest)
	apiPost(t, api+"streams/nobody/kick", "", http.StatusNotFound)
	s.Ban("mod", 0) // lifted
	if c, err := dialPublish(ctx, s.RTMPAddr(), "mod"); err != nil {
		t.Errorf("publishing after the ban was lifted: %v", err)
	} else {
		c.Close()
	}
}

// TestAPIToken: with a token the API wants it; listening beyond this
// machine without one is refused.
func TestAPIToken(t *testing.T) {
	s := startServer(t, Config{APIToken: "s3cret"})
	api := "http://" + s.HTTPAddr() + "/api/"
	get(t, api+"streams", http.StatusUnauthorized)
	apiPost(t, api+"streams/x/kick", "wrong", http.StatusUnauthorized)
	apiPost(t, api+"streams/x/kick", "s3cret", http.StatusNotFound)
	get(t, api+"streams?token=s3cret", http.StatusOK)
	_, err := Start(Config{RTMPAddr: "0.0.0.0:0", HTTPAddr: "127.0.0.1:0", PublishKey: "k"})
	if !errors.Is(err, ErrNeedAPIToken) {
		t.Errorf("a public address without an API token: %v, want ErrNeedAPIToken", err)
	}
}
