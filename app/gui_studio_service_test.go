package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"onair/app/engine"
)

// TestGUIServicePicker: choosing a service fills the server and the
// keyframe interval, brings the key kept for it (none the first time),
// says where the key is found and warns about settings beyond the
// service's limits; the form then goes to the service with the pasted
// key. Custom brings back the loopback server and its key.
func TestGUIServicePicker(t *testing.T) {
	g, w, _ := newTestGUI(t, &syncBuffer{})
	st := g.studio
	loopURL := uiValue(g, func() string { return st.server.Text })
	if got := uiValue(g, func() string { return st.serviceSel.Selected }); got != customService {
		t.Fatalf("the picker starts on %q", got)
	}
	status := func() string { return uiValue(g, func() string { return st.status.Text }) }

	g.onUI(func() {
		st.keyint.SetText("5s")
		st.serviceSel.SetSelected("Twitch")
	})
	if got := uiValue(g, func() string { return st.server.Text }); got != "rtmp://live.twitch.tv/app" {
		t.Errorf("server %q after choosing Twitch", got)
	}
	if got := uiValue(g, func() string { return st.keyint.Text }); got != "2s" {
		t.Errorf("keyframe interval %q after choosing Twitch", got)
	}
	if got := uiValue(g, func() string { return st.key.Text }); got != "" {
		t.Errorf("key %q: the loopback's key carried to Twitch", got)
	}
	if got := status(); !strings.Contains(got, "Twitch: paste your stream key (from https://dashboard.twitch.tv/settings/stream)") {
		t.Errorf("status %q", got)
	}
	if got := g.prefs.String(prefService); got != "twitch" {
		t.Errorf("saved service %q", got)
	}

	// Too much video for Twitch: the status line says so, as it is typed.
	g.onUI(func() {
		st.vbitrate.SetText("")
		test.Type(st.vbitrate, "8000k")
	})
	if got := status(); got != "Twitch accepts at most 6000 kb/s of video; you chose 8000 kb/s." {
		t.Errorf("status %q", got)
	}
	g.onUI(func() {
		st.vbitrate.SetText("4500k")
		test.Type(st.key, "live_SECRET_1")
	})
	if got := status(); !strings.HasPrefix(got, "Twitch: server and keyframe interval set, profile main") {
		t.Errorf("status %q", got)
	}
	var cfg engine.Config
	var err error
	g.onUI(func() { cfg, err = st.form().config() })
	if err != nil || strings.Join(cfg.URLs, " ") != "rtmp://live.twitch.tv/app/live_SECRET_1" || cfg.Profile != "main" {
		t.Errorf("config URLs %q profile %q, %v", cfg.URLs, cfg.Profile, err)
	}
	if strings.Contains(uiValue(g, func() string { return test.RenderToMarkup(w.Canvas()) }), "live_SECRET_1") {
		t.Error("the key shows in the window")
	}
	if got := g.prefs.String(keyPref("twitch")); got != "live_SECRET_1" {
		t.Errorf("Twitch key saved as %q", got)
	}

	// Facebook Live: its RTMPS server; Custom: the loopback and its key
	// back; Twitch again: its key back.
	g.onUI(func() { st.serviceSel.SetSelected("Facebook Live") })
	if got := uiValue(g, func() string { return st.server.Text }); got != "rtmps://live-api-s.facebook.com:443/rtmp/" {
		t.Errorf("server %q after choosing Facebook Live", got)
	}
	g.onUI(func() { st.serviceSel.SetSelected(customService) })
	if got := uiValue(g, func() string { return st.server.Text + " " + st.key.Text }); got != loopURL+" preview" {
		t.Errorf("Custom brings back %q, want %q", got, loopURL+" preview")
	}
	if got := g.prefs.String(prefServer); got != "" {
		t.Errorf("Custom server saved as %q: it should follow the loopback", got)
	}
	g.onUI(func() { st.serviceSel.SetSelected("Twitch") })
	if got := uiValue(g, func() string { return st.key.Text }); got != "live_SECRET_1" {
		t.Errorf("Twitch key %q when chosen again", got)
	}
}
