package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestGUILoopbackTranscode: the Loopback tab's Transcode to field and
// check give the server a ladder while the Studio is live: the rendition
// appears as its own stream and in the tab's list with the master
// playlist's address; a field that cannot be read says why; unchecking
// ends the rendition. The choice is kept.
func TestGUILoopbackTranscode(t *testing.T) {
	logs := &syncBuffer{}
	g, _, before := newTestGUI(t, logs)
	v := g.loop
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		test.Tap(g.studio.liveBtn)
		g.tabs.Select(g.loopTab)
	})
	waitFor(t, 15*time.Second, "the Studio did not go live", func() bool { return hubHas(g, "preview") })
	g.onUI(func() {
		v.ladderEnt.SetText("240p, 720p")
		test.Tap(v.ladderChk)
	})
	waitFor(t, 15*time.Second, "no 240p rendition of the Studio's stream", func() bool { return hubHas(g, "preview_240p") })
	waitFor(t, 5*time.Second, "the tab does not list the ladder", func() bool {
		text := uiValue(g, func() string { return v.streams.Text })
		return strings.Contains(text, "transcoded: 240p 320×240") && strings.Contains(text, "/master.m3u8") &&
			strings.Contains(text, "left out (not smaller than the source): 720p")
	})
	if text := uiValue(g, func() string { return v.streams.Text }); strings.Contains(text, "preview") {
		t.Errorf("the stream key shows in the list: %q", text)
	}
	if !g.prefs.Bool(prefLoopbackLadder+".on") || g.prefs.String(prefLoopbackLadder) != "240p, 720p" {
		t.Error("the ladder was not kept in the preferences")
	}
	g.onUI(func() {
		v.ladderEnt.SetText("big")
		v.ladderEnt.OnSubmitted(v.ladderEnt.Text)
	})
	if note := uiValue(g, func() string { return v.note.Text }); !strings.Contains(note, "Transcoding is off: bad rendition list") {
		t.Errorf("a bad ladder: the note says %q", note)
	}
	g.onUI(func() { test.Tap(v.ladderChk) })
	waitFor(t, 10*time.Second, "the rendition is still live after Transcode was unchecked", func() bool { return !hubHas(g, "preview_240p") })
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	g.Close()
	checkGoroutines(t, before)
}
