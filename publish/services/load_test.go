package services

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"onair/publish"
)

// TestLoadEmbedded: the shipped file parses and holds the services the
// README lists, each with a source for every value.
func TestLoadEmbedded(t *testing.T) {
	list, err := Load()
	if err != nil {
		t.Fatalf("the embedded services.json: %v", err)
	}
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
		if s.Limits.Source == "" || s.Limits.KeyInterval != 2*time.Second || s.Limits.MaxVideoBitrate <= 0 {
			t.Errorf("%s: limits %+v", s.ID, s.Limits)
		}
		for _, v := range s.Servers {
			if v.Source == "" {
				t.Errorf("%s: server %q has no source", s.ID, v.Name)
			}
		}
	}
	if got, want := strings.Join(ids, " "), "twitch youtube facebook kick"; got != want {
		t.Errorf("services %q, want %q", got, want)
	}
	if got := strings.Join(IDs(), " "); got != strings.Join(ids, " ") {
		t.Errorf("IDs() %q", got)
	}
	// Facebook takes RTMPS only.
	fb, ok := Lookup("facebook")
	if !ok {
		t.Fatal("no facebook")
	}
	for _, v := range fb.Servers {
		if !strings.HasPrefix(v.URL, "rtmps://") {
			t.Errorf("facebook server %s is not rtmps", v.URL)
		}
	}
	if s, ok := Lookup(" Twitch "); !ok || s.Name != "Twitch" || s.Limits.MaxVideoBitrate != 6_000_000 ||
		s.Limits.MaxAudioBitrate != 320_000 || s.Limits.Profile != "main" {
		t.Errorf("Lookup(Twitch) = %+v, %v", s, ok)
	}
	if _, ok := Lookup("custom"); ok {
		t.Error("Lookup(custom) found a service")
	}
}

// TestEveryPresetURL: every server of every service, with a key, makes a
// URL publish.ParseURL reads back with that key, app and scheme.
func TestEveryPresetURL(t *testing.T) {
	list, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const key = "live_123456_AbCdEf"
	for _, s := range list {
		for _, v := range s.Servers {
			u, err := JoinKey(v.URL, key)
			if err != nil {
				t.Errorf("%s %s: %v", s.ID, v.Name, err)
				continue
			}
			tg, err := publish.ParseURL(u)
			if err != nil {
				t.Errorf("%s %s: %s does not parse: %v", s.ID, v.Name, u, err)
				continue
			}
			if tg.Key != key || tg.App == "" || !strings.HasPrefix(v.URL, tg.Scheme+"://") {
				t.Errorf("%s %s: %s parses to %+v", s.ID, v.Name, u, tg)
			}
		}
		if u, err := s.URL(key); err != nil || !strings.HasPrefix(u, s.Servers[0].URL) {
			t.Errorf("%s: URL = %q, %v; want on %s", s.ID, u, err, s.Servers[0].URL)
		}
	}
	tw, _ := Lookup("twitch")
	if u, _ := tw.URL("K"); u != "rtmp://live.twitch.tv/app/K" {
		t.Errorf("twitch URL %q", u)
	}
	yt, _ := Lookup("youtube")
	if u, _ := yt.URL("abcd-efgh"); u != "rtmps://a.rtmps.youtube.com:443/live2/abcd-efgh" {
		t.Errorf("youtube URL %q", u)
	}
}

// goodFile is a minimal valid file; the bad cases below break one thing
// each.
const goodFile = `{"format": 1, "services": [
 {"id": "svc", "name": "Svc", "stream_key_link": "https://example.com/key",
  "servers": [{"name": "Main", "url": "rtmps://ingest.example.com:443/app/", "source": "docs"}],
  "limits": {"keyint_s": 2, "max_keyint_s": 4, "profile": "main", "max_video_kbps": 6000, "max_audio_kbps": 160,
   "max_width": 1920, "max_height": 1080, "max_fps": 60,
   "video_kbps_by_size": [{"width": 1280, "height": 720, "fps": 30, "max_kbps": 4000},
                          {"width": 1280, "height": 720, "fps": 60, "max_kbps": 6000}],
   "source": "docs"}}]}`

func TestParse(t *testing.T) {
	list, err := parse([]byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{KeyInterval: 2 * time.Second, MaxKeyInterval: 4 * time.Second, Profile: "main",
		MaxVideoBitrate: 6_000_000, MaxAudioBitrate: 160_000, MaxWidth: 1920, MaxHeight: 1080, MaxFPS: 60, Source: "docs"}
	got := list[0].Limits
	rows := got.VideoBitrateBySize
	got.VideoBitrateBySize = nil
	if len(list) != 1 || list[0].ID != "svc" || list[0].Servers[0].URL != "rtmps://ingest.example.com:443/app/" ||
		!reflect.DeepEqual(got, want) ||
		len(rows) != 2 || rows[1] != (SizeCap{Width: 1280, Height: 720, FPS: 60, MaxVideoBitrate: 6_000_000}) {
		t.Errorf("parsed %+v, limits %+v", list, got)
	}

	if _, err := parse([]byte(`{"format": 1, "services": []}`)); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), "no services") {
		t.Errorf("no services: %v", err)
	}
	for _, c := range []struct{ name, from, to, err string }{
		{"not JSON", `{"format"`, `{"format"]`, "invalid character"},
		{"trailing value", `"docs"}}]}`, `"docs"}}]} {}`, "more than one"},
		{"unknown field", `"max_fps": 60`, `"max_fps": 60, "max_fsp": 1`, "unknown field"},
		{"format", `"format": 1`, `"format": 2`, "format 2"},
		{"bad id", `"id": "svc"`, `"id": "Svc One"`, "id \"Svc One\""},
		{"custom id", `"id": "svc"`, `"id": "custom"`, "kept for a server"},
		{"no name", `"name": "Svc"`, `"name": " "`, "no name"},
		{"http key link", `https://example.com/key`, `http://example.com/key`, "stream_key_link"},
		{"no servers", `"servers": [{"name": "Main", "url": "rtmps://ingest.example.com:443/app/", "source": "docs"}]`, `"servers": []`, "no servers"},
		{"server scheme", `rtmps://ingest`, `srt://ingest`, "scheme \"srt\""},
		{"server no app", `:443/app/`, `:443/`, "no app"},
		{"server query", `:443/app/`, `:443/app?backup=1`, "query"},
		{"server user", `rtmps://ingest`, `rtmps://u:p@ingest`, "user info"},
		{"server no host", `rtmps://ingest.example.com:443`, `rtmps://`, "no host"},
		{"server no source", `"source": "docs"}]`, `"source": ""}]`, "no source"},
		{"server no name", `"name": "Main"`, `"name": ""`, "no name"},
		{"no limits", `"limits": {`, `"limitz": {`, "unknown field"},
		{"no keyint", `"keyint_s": 2,`, ``, "keyint_s 0"},
		{"negative keyint", `"keyint_s": 2`, `"keyint_s": -2`, "keyint_s -2"},
		{"keyint in ms", `"keyint_s": 2,`, `"keyint_s": 2000,`, "keyint_s 2000"},
		{"max keyint below keyint", `"max_keyint_s": 4`, `"max_keyint_s": 1`, "max_keyint_s 1"},
		{"profile", `"profile": "main"`, `"profile": "extreme"`, "profile \"extreme\""},
		{"no video cap", `"max_video_kbps": 6000,`, ``, "max_video_kbps 0"},
		{"video cap in b/s", `"max_video_kbps": 6000`, `"max_video_kbps": 6000000`, "max_video_kbps 6000000"},
		{"negative audio", `"max_audio_kbps": 160`, `"max_audio_kbps": -1`, "max_audio_kbps -1"},
		{"width alone", `"max_height": 1080,`, ``, "max_width 1920, max_height 0"},
		{"negative fps", `"max_fps": 60`, `"max_fps": -60`, "max_fps -60"},
		{"row size", `"width": 1280, "height": 720, "fps": 30`, `"width": 0, "height": 720, "fps": 30`, "row 1: size"},
		{"row fps", `"height": 720, "fps": 30`, `"height": 720, "fps": 0`, "row 1: fps"},
		{"row above the cap", `"max_kbps": 6000`, `"max_kbps": 7000`, "row 2: max_kbps 7000"},
		{"rows out of order", `"fps": 60, "max_kbps": 6000`, `"fps": 25, "max_kbps": 6000`, "smallest size"},
		{"no limits source", `"source": "docs"}}]}`, `"source": ""}}]}`, "no source"},
		{"duplicate", `"docs"}}]}`, `"docs"}}, {"id": "svc", "name": "Again", "servers": [{"name": "M", "url": "rtmp://h/app", "source": "s"}], "limits": {"keyint_s": 2, "max_video_kbps": 1, "source": "s"}}]}`, "listed twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodFile, c.from) {
				t.Fatalf("the good file has no %q", c.from)
			}
			bad := strings.Replace(goodFile, c.from, c.to, 1)
			_, err := parse([]byte(bad))
			if !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("error %v, want ErrBadFile saying %q", err, c.err)
			}
		})
	}
}
