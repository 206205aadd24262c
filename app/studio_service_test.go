package app

import (
	"strings"
	"testing"
	"time"

	"onair/publish/services"
)

func TestServicePicker(t *testing.T) {
	list, err := services.Load()
	if err != nil {
		t.Fatal(err)
	}
	labels := serviceLabels(list)
	if got := strings.Join(labels, "|"); got != "Custom…|Twitch|YouTube Live|Facebook Live|Kick" {
		t.Errorf("labels %q", got)
	}
	for _, l := range labels {
		if back := serviceLabelOf(list, serviceIDOf(list, l)); back != l {
			t.Errorf("%q → %q → %q", l, serviceIDOf(list, l), back)
		}
	}
	if serviceIDOf(list, customService) != "" || serviceLabelOf(list, "gone") != customService {
		t.Error("Custom is not the empty ID")
	}
	if serverPref("") != prefServer || keyPref("") != prefKey || keyPref("twitch") != "dest.key.twitch" ||
		serverPref("twitch") != "dest.server.twitch" {
		t.Error("preference keys")
	}
}

// TestStudioFormService: with a service chosen, the destination is its
// server with the key joined, the profile its recommendation; without a
// key, the form says where to find it.
func TestStudioFormService(t *testing.T) {
	for _, c := range []struct {
		name            string
		service, server string
		key             string
		url, profile    string
		err             string
	}{
		{"twitch", "twitch", "rtmp://live.twitch.tv/app", " live_1_abc ", "rtmp://live.twitch.tv/app/live_1_abc", "main", ""},
		{"another ingest typed", "twitch", "rtmps://live.twitch.tv:443/app/", "k", "rtmps://live.twitch.tv:443/app/k", "main", ""},
		{"youtube", "youtube", "rtmps://a.rtmps.youtube.com:443/live2", "abcd", "rtmps://a.rtmps.youtube.com:443/live2/abcd", "high", ""},
		{"facebook key with a query", "facebook", "rtmps://live-api-s.facebook.com:443/rtmp/", "12?s_bl=1&a=B",
			"rtmps://live-api-s.facebook.com:443/rtmp/12?s_bl=1&a=B", "main", ""},
		{"no key", "twitch", "rtmp://live.twitch.tv/app", " ", "", "",
			"no stream key: paste your Twitch stream key (from https://dashboard.twitch.tv/settings/stream)"},
		{"a URL pasted as the key", "kick", "rtmps://fa723fc1b171.global-contribute.live-video.net:443/app",
			"rtmps://x/app/SECRETKEY", "", "", "paste only the key"},
		{"no server", "youtube", " ", "k", "", "", "no server: choose YouTube Live again"},
		{"unknown service", "gone", "rtmp://h/app", "k", "", "", `unknown service "gone"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := defaultForm()
			f.service, f.server, f.key = c.service, c.server, c.key
			cfg, err := f.config()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "SECRETKEY") {
					t.Fatalf("error %v, want one saying %q (and no key)", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.URLs) != 1 || cfg.URLs[0] != c.url || cfg.Profile != c.profile || cfg.KeyInterval != 2*time.Second {
				t.Errorf("URLs %q profile %q keyint %v; want %q %q", cfg.URLs, cfg.Profile, cfg.KeyInterval, c.url, c.profile)
			}
		})
	}
}

func TestStudioFormServiceWarnings(t *testing.T) {
	f := defaultForm()
	if w := f.serviceWarnings(); w != nil {
		t.Errorf("Custom warns: %q", w)
	}
	f.service = "twitch"
	if w := f.serviceWarnings(); w != nil {
		t.Errorf("the defaults warn on Twitch: %q", w)
	}
	f.vbitrate, f.size, f.keyint, f.fps = "8000k", "UHD 3840×2160", "5s", "junk"
	got := strings.Join(f.serviceWarnings(), " | ")
	for _, want := range []string{"Twitch accepts pictures up to 1920x1080; you chose 3840x2160.",
		"Twitch accepts at most 6000 kb/s of video; you chose 8000 kb/s.", "every 5s"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q, want %q", got, want)
		}
	}
	if strings.Contains(got, "frames per second") {
		t.Errorf("a field that does not parse warned: %q", got)
	}
}
