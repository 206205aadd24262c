package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onair/player"
)

// TestGUIEnhancedCodecs: the Studio's codec pickers send HEVC and Opus
// (Enhanced RTMP) to the loopback server, which announces E-RTMP, so no
// trust is needed; the Player tab plays the stream back with both decoded.
// The choice is kept in the preferences.
func TestGUIEnhancedCodecs(t *testing.T) {
	logs := &syncBuffer{}
	g, _, before := newTestGUI(t, logs)
	srv := g.loop.server()
	if srv == nil {
		t.Fatal("loopback server not started")
	}
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		g.studio.vcodecSel.SetSelected("HEVC (Enhanced RTMP)")
		g.studio.acodecSel.SetSelected("Opus (Enhanced RTMP)")
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 10*time.Second, "no HEVC publisher on the loopback hub", func() bool { return hubHas(g, "preview") })
	waitFor(t, 5*time.Second, "the hub never described the stream as hevc + opus", func() bool {
		for _, s := range srv.Hub().Streams() {
			if s.Name == "preview" && s.Video != nil && s.Video.Codec == "hevc" && s.Audio != nil && s.Audio.Codec == "opus" {
				return true
			}
		}
		return false
	})
	if got := g.prefs.String(prefVCodec) + "+" + g.prefs.String(prefACodec); got != "hevc+opus" {
		t.Errorf("codecs kept as %q", got)
	}

	g.onUI(func() {
		g.tabs.Select(g.playerTab)
		test.Type(g.player.url, "rtmp://"+srv.RTMPAddr()+"/live/preview")
		test.Tap(g.player.openBtn)
	})
	waitFor(t, 10*time.Second, "the player never showed 15 HEVC pictures", func() bool {
		var st player.Stats
		g.player.withPlayer(func(p *player.Player) { st = p.Stats() })
		return st.State == player.StatePlaying && g.player.surface.shown.Load() >= 15
	})
	var st player.Stats
	g.player.withPlayer(func(p *player.Player) { st = p.Stats() })
	if !strings.HasPrefix(st.Video, "hevc") || !strings.HasPrefix(st.Audio, "opus") {
		t.Errorf("the player decodes video %q, audio %q", st.Video, st.Audio)
	}
	g.onUI(func() {
		test.Tap(g.player.stopBtn)
		g.tabs.Select(g.studioTab)
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 8*time.Second, "button never came back to Go Live", func() bool {
		return uiValue(g, func() string { return g.studio.liveBtn.Text }) == "Go Live"
	})
	g.Close()
	checkGoroutines(t, before)
}
