package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestLoadDests: the list kept in the preferences comes back as it was
// (an empty list too); before there was a list, the editor's one
// destination is carried over.
func TestLoadDests(t *testing.T) {
	for _, c := range []struct {
		name  string
		prefs map[string]string
		want  []destSetting
	}{
		{"first start: the loopback with its key", nil, []destSetting{{Key: "preview"}}},
		{"a Custom server and key kept", map[string]string{prefServer: "rtmp://example.com/app", prefKey: "k1"},
			[]destSetting{{Server: "rtmp://example.com/app", Key: "k1"}}},
		{"a service chosen: its server by default", map[string]string{prefService: "twitch", keyPref("twitch"): "live_1"},
			[]destSetting{{Service: "twitch", Server: "rtmp://live.twitch.tv/app", Key: "live_1"}}},
		{"a service with another server", map[string]string{prefService: "youtube", serverPref("youtube"): "rtmp://a.rtmp.youtube.com/live2", keyPref("youtube"): "y"},
			[]destSetting{{Service: "youtube", Server: "rtmp://a.rtmp.youtube.com/live2", Key: "y"}}},
		{"a list", map[string]string{prefKey: "ignored", prefDests: `[{"key":"a"},{"service":"kick","server":"rtmps://x/app","key":"b"}]`},
			[]destSetting{{Key: "a"}, {Service: "kick", Server: "rtmps://x/app", Key: "b"}}},
		{"an empty list", map[string]string{prefDests: `[]`}, []destSetting{}},
		{"a damaged list: the editor's", map[string]string{prefDests: `[{`, prefKey: "k"}, []destSetting{{Key: "k"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := test.NewTempApp(t).Preferences()
			for k, v := range c.prefs {
				p.SetString(k, v)
			}
			got := loadDests(p)
			if formatDests(got) != formatDests(c.want) {
				t.Errorf("loaded %s, want %s", formatDests(got), formatDests(c.want))
			}
			// Round trip.
			p.SetString(prefDests, formatDests(got))
			if again := loadDests(p); formatDests(again) != formatDests(got) {
				t.Errorf("read back %s, kept %s", formatDests(again), formatDests(got))
			}
		})
	}
	var p fyne.Preferences = test.NewTempApp(t).Preferences()
	p.SetString(prefDests, formatDests(nil))
	if got := loadDests(p); got == nil || len(got) != 0 {
		t.Errorf("no destinations kept as %q reads back as %v", formatDests(nil), got)
	}
}

// TestDestLabel: a destination is named without its key.
func TestDestLabel(t *testing.T) {
	loop := "rtmp://127.0.0.1:1935/live"
	for _, c := range []struct {
		d    destSetting
		want string
	}{
		{destSetting{Key: "preview"}, "rtmp://127.0.0.1:1935/live/****"},
		{destSetting{Server: "rtmps://example.com:443/app/", Key: "sk_123"}, "rtmps://example.com:443/app/****"},
		{destSetting{Service: "twitch", Server: "rtmp://live.twitch.tv/app", Key: "live_1"}, "Twitch · live.twitch.tv"},
		{destSetting{Service: "youtube", Server: "rtmps://a.rtmps.youtube.com:443/live2", Key: "yt-key-9"}, "YouTube Live · a.rtmps.youtube.com"},
		{destSetting{Server: "   "}, "Custom (no server yet)"},
	} {
		if got := c.d.label(loop); got != c.want {
			t.Errorf("%+v: %q, want %q", c.d, got, c.want)
		}
		if c.d.Key != "" && strings.Contains(c.d.label(loop), c.d.Key) {
			t.Errorf("%+v: the label shows the key", c.d)
		}
	}
}

// TestSessionConfig: the Studio's broadcast starts with no output, with
// the profile a service among the destinations asks for.
func TestSessionConfig(t *testing.T) {
	f := defaultForm()
	c, err := sessionConfig(f, []destSetting{{Key: "preview"}})
	if err != nil || !c.OutputsLater || len(c.URLs) != 0 || c.Record != "" || c.Profile != "high" {
		t.Errorf("custom: %+v, %v", c, err)
	}
	c, err = sessionConfig(f, []destSetting{{Key: "preview"}, {Service: "twitch", Server: "rtmp://live.twitch.tv/app", Key: "k"}})
	if err != nil || c.Profile != "main" {
		t.Errorf("with Twitch: profile %q, %v", c.Profile, err)
	}
	f.fps = "fast"
	if _, err := sessionConfig(f, nil); err == nil || !strings.Contains(err.Error(), `frame rate "fast"`) {
		t.Errorf("a bad frame rate: %v", err)
	}
}

func TestRowFailure(t *testing.T) {
	for _, c := range []struct{ msg, url, want string }{
		{"rtmp://127.0.0.1:9/live/****: cannot connect to 127.0.0.1:9: dial tcp 127.0.0.1:9: connect: connection refused",
			"rtmp://127.0.0.1:9/live/****", "cannot connect to 127.0.0.1:9: connect: connection refused"},
		{"cannot connect to [::1]:9: dial tcp6 [::1]:9: connect: connection refused", "rtmp://x/app/****",
			"cannot connect to [::1]:9: connect: connection refused"},
		{"rtmp://x/app/****: publish rejected: NetStream.Publish.BadName", "rtmp://x/app/****", "publish rejected: NetStream.Publish.BadName"},
	} {
		if got := rowFailure(c.msg, c.url); got != c.want {
			t.Errorf("%q: %q, want %q", c.msg, got, c.want)
		}
	}
}
