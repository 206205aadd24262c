package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onair/player"
)

// TestGUILoopbackRecord: the Loopback tab's Record every stream records
// the Studio's stream; the tab shows the stream's thumbnail; the recordings
// list shows it while it is written and after; its Open in Player plays
// the file with its duration, and Copy VOD URL gives the address that
// plays it on demand from the server (seek bar, duration); Kick lets the Studio's publish go, and the
// Studio comes back by itself.
func TestGUILoopbackRecord(t *testing.T) {
	logs := &syncBuffer{}
	g, _, before := newTestGUI(t, logs)
	v := g.loop
	g.onUI(func() {
		g.tabs.Select(g.loopTab)
		test.Tap(v.recChk)
	})
	if !v.server().Recording() || !g.prefs.Bool(prefLoopbackRecord) {
		t.Fatal("Record every stream did not turn recording on")
	}
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		test.Tap(g.studio.liveBtn)
	})
	// recRow is the first recording's text and its Open in Player button;
	// copyRow its Copy VOD URL button.
	var copyBtn *widget.Button
	recRow := func() (string, *widget.Button) {
		for _, o := range v.recList.Objects {
			if c, ok := o.(*fyne.Container); ok && len(c.Objects) == 2 {
				l, _ := c.Objects[0].(*widget.Label)
				btns, _ := c.Objects[1].(*fyne.Container)
				if l != nil && btns != nil && len(btns.Objects) == 2 {
					copyBtn, _ = btns.Objects[0].(*widget.Button)
					b, _ := btns.Objects[1].(*widget.Button)
					return l.Text, b
				}
			}
		}
		return "", nil
	}
	waitFor(t, 15*time.Second, "no recording listed while live", func() bool {
		text := uiValue(g, func() string { t, _ := recRow(); return t })
		return strings.Contains(text, "● recording")
	})
	// The live stream's thumbnail.
	waitFor(t, 5*time.Second, "no thumbnail of the live stream", func() bool {
		return uiValue(g, func() bool {
			c := v.thumbImgs["preview"]
			return c != nil && c.Image != nil && c.Image.Bounds().Dx() == thumbWidth
		})
	})
	time.Sleep(time.Second)
	g.onUI(func() { test.Tap(v.recChk) })
	waitFor(t, 5*time.Second, "the recording is still written after Record was turned off", func() bool {
		text := uiValue(g, func() string { t, _ := recRow(); return t })
		return text != "" && !strings.Contains(text, "recording")
	})
	// Kick: the Studio's publish ends; the Studio reconnects by itself.
	kickBtn := uiValue(g, func() *widget.Button {
		for _, o := range test.LaidOutObjects(v.thumbs) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Kick" {
				return b
			}
		}
		return nil
	})
	if kickBtn == nil {
		t.Fatal("no Kick button for the live stream")
	}
	g.onUI(func() { test.Tap(kickBtn) })
	if note := uiValue(g, func() string { return v.note.Text }); !strings.HasPrefix(note, "Kicked the publisher of ••••") {
		t.Errorf("after Kick the note says %q", note)
	}
	waitFor(t, 15*time.Second, "the Studio did not publish again after the kick", func() bool { return hubHas(g, "preview") })
	row := uiValue(g, func() string { t, _ := recRow(); return t })
	t.Logf("recordings list: %q", row)
	if strings.Contains(row, "preview") {
		t.Errorf("the Studio's stream key shows in the recordings list: %q", row)
	}
	g.onUI(func() {
		_, b := recRow()
		test.Tap(b)
	})
	waitFor(t, 10*time.Second, "Open in Player did not play the recording", func() bool {
		return uiValue(g, func() bool {
			return g.tabs.Selected() == g.playerTab && !g.player.tr.seek.Disabled() && g.player.tr.dur.Text != "0:00"
		})
	})
	// Copy VOD URL: the recording on demand from the loopback server, in
	// the Player, with its duration and a seek bar.
	g.onUI(func() {
		recRow()
		test.Tap(copyBtn)
	})
	vod := uiValue(g, func() string { return g.app.Clipboard().Content() })
	if want := "rtmp://" + v.server().RTMPAddr() + "/vod/preview/preview-"; !strings.HasPrefix(vod, want) {
		t.Fatalf("Copy VOD URL copied %q, want %s…", vod, want)
	}
	var file *player.Player
	g.player.withPlayer(func(p *player.Player) { file = p })
	g.onUI(func() { g.player.open(vod) })
	waitFor(t, 10*time.Second, "the recording did not play on demand", func() bool {
		onDemand := false
		g.player.withPlayer(func(p *player.Player) {
			onDemand = p != file && p.Seekable() && !p.Live() && p.Stats().Duration > 0 && p.Stats().Frames > 0
		})
		return onDemand && uiValue(g, func() bool { return !g.player.tr.seek.Disabled() })
	})
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	g.Close()
	checkGoroutines(t, before)
}
