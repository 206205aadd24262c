package app

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestGUIDestinations drives the destination list: two more destinations
// added with the editor (one on the loopback server, one on a refused
// port); the second's Start makes it live while the first stays off; the
// refused one fails on its own with a red light; the list is kept in the
// preferences and a new window reads it back; Remove and Stop.
func TestGUIDestinations(t *testing.T) {
	logs := &syncBuffer{}
	g, w, before := newTestGUI(t, logs)
	st := g.studio
	text := func(f func() string) string { return uiValue(g, f) }
	g.onUI(func() {
		st.sizeSel.SetSelected(sizePresets[0].label)
		st.presetSel.SetSelected("ultrafast")
	})
	if n := uiValue(g, func() int { return len(st.rows) }); n != 1 {
		t.Fatalf("%d rows at first start, want the loopback's one", n)
	}
	refused := freeTCPAddr(t)
	g.onUI(func() {
		test.Tap(st.addBtn)
		test.Type(st.key, "second-SECRET")
		test.Tap(st.addBtn)
		st.server.SetText("rtmp://" + refused + "/live")
		test.Type(st.key, "third-SECRET")
	})
	rows := uiValue(g, func() []*destRow { return append([]*destRow(nil), st.rows...) })
	if len(rows) != 3 {
		t.Fatalf("%d rows after adding two", len(rows))
	}
	first, second, third := rows[0], rows[1], rows[2]
	if got := text(func() string { return second.name }); !strings.HasSuffix(got, "/live/****") {
		t.Errorf("second row named %q: want the loopback URL with its key masked", got)
	}
	// Tapping a row shows it in the editor.
	g.onUI(func() { test.Tap(first.obj) })
	if got := text(func() string { return st.key.Text + " " + st.server.Text }); got != "preview rtmp://"+g.loop.server().RTMPAddr()+"/live" || uiValue(g, func() bool { return st.sel != first }) {
		t.Errorf("after tapping the first row the editor shows %q", got)
	}
	g.onUI(func() { test.Tap(third.obj) })
	if got := text(func() string { return st.key.Text }); got != "third-SECRET" {
		t.Errorf("after tapping the third row the editor shows the key %q", got)
	}

	// Start the second: it goes live, the first stays off.
	g.onUI(func() { test.Tap(second.startBtn) })
	waitFor(t, 10*time.Second, "the second destination never published", func() bool { return hubHas(g, "second-SECRET") })
	waitFor(t, 10*time.Second, "the second row never showed its figures with a green light", func() bool {
		return uiValue(g, func() bool {
			return strings.HasPrefix(second.info, "live · ") && second.light.FillColor == healthColors[healthOK]
		})
	})
	if hubHas(g, "preview") || text(func() string { return first.info }) != "off" ||
		uiValue(g, func() bool { return first.light.FillColor != healthColors[healthOff] }) {
		t.Error("the first destination started too")
	}
	if got := text(func() string { return st.liveBtn.Text }); got != "End Stream" {
		t.Errorf("main button %q while one destination is live", got)
	}
	if uiValue(g, func() bool { return !second.removeBtn.Disabled() || first.removeBtn.Disabled() }) {
		t.Error("Remove is offered for the live row, or not for the one off")
	}
	if got := text(func() string { return g.loop.name(g.loop.server()) }); got != "second-SECRET" {
		t.Errorf("the Loopback tab names %q: want the live destination's stream", got)
	}

	// Start the third: refused, red, and the second goes on.
	g.onUI(func() { test.Tap(third.startBtn) })
	waitFor(t, 15*time.Second, "the refused destination never failed", func() bool {
		return uiValue(g, func() bool {
			return strings.HasPrefix(third.info, "failed: ") && third.light.FillColor == healthColors[healthBad]
		})
	})
	if info := text(func() string { return third.info }); !strings.Contains(info, "refused") || strings.Contains(info, "third-SECRET") {
		t.Errorf("the failed row says %q", info)
	}
	if st := text(func() string { return st.status.Text }); !strings.HasPrefix(st, "Could not go live: ") {
		t.Errorf("status %q", st)
	}
	time.Sleep(1500 * time.Millisecond) // a figures tick
	if !hubHas(g, "second-SECRET") || !strings.HasPrefix(text(func() string { return second.info }), "live · ") {
		t.Error("the refused destination stopped the live one")
	}
	if markup := uiValue(g, func() string { return test.RenderToMarkup(w.Canvas()) }); strings.Contains(markup, "SECRET") {
		t.Error("a key shows in the window")
	}

	// The list in the preferences: three destinations with their keys; a
	// new window reads them back.
	saved := g.prefs.String(prefDests)
	var list []destSetting
	if err := json.Unmarshal([]byte(saved), &list); err != nil {
		t.Fatal(err)
	}
	want := []destSetting{{Key: "preview"}, {Key: "second-SECRET"}, {Server: "rtmp://" + refused + "/live", Key: "third-SECRET"}}
	if len(list) != 3 || list[0] != want[0] || list[1] != want[1] || list[2] != want[2] {
		t.Errorf("kept %+v, want %+v", list, want)
	}

	// Remove the failed one; the list is kept without it.
	g.onUI(func() { test.Tap(third.removeBtn) })
	if n := uiValue(g, func() int { return len(st.rows) }); n != 2 {
		t.Errorf("%d rows after Remove", n)
	}
	if saved := g.prefs.String(prefDests); strings.Contains(saved, "third") {
		t.Errorf("removed row still kept: %s", saved)
	}

	// Stop the second, the last output: the session ends.
	g.onUI(func() { test.Tap(second.startBtn) })
	waitFor(t, 10*time.Second, "never idle after the last destination stopped", func() bool {
		return uiValue(g, func() bool { return st.phase == phaseIdle })
	})
	if hubHas(g, "second-SECRET") {
		t.Error("still published after Stop")
	}
	g.Close()
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "SECRET") && !strings.Contains(line, "stream=second-SECRET") {
			t.Errorf("a key in a log line: %s", line)
		}
	}
	checkGoroutines(t, before)

	// A new window (after this one: Fyne's caches have one UI goroutine)
	// reads the three back; its editor shows the first.
	g2 := newTestGUIWith(t, &syncBuffer{}, func(p fyne.Preferences) { p.SetString(prefDests, saved) })
	got := uiValue(g2, func() []destSetting { return g2.studio.settings() })
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("a new window reads %+v", got)
	}
	if k := uiValue(g2, func() string { return g2.studio.key.Text }); k != "preview" {
		t.Errorf("the new window's editor shows the key %q: want the first row's", k)
	}
	g2.Close()
}

// TestGUIGoLiveAll: Go Live starts every destination (two streams on the
// loopback server; a Twitch one without its key fails at once, saying
// so), End Stream stops them all. With no destination left, Go Live is
// off and says why.
func TestGUIGoLiveAll(t *testing.T) {
	g, _, before := newTestGUI(t, &syncBuffer{})
	st := g.studio
	g.onUI(func() {
		st.sizeSel.SetSelected(sizePresets[0].label)
		st.presetSel.SetSelected("ultrafast")
		test.Tap(st.addBtn)
		st.serviceSel.SetSelected("Twitch")
		test.Tap(st.addBtn)
		test.Type(st.key, "other")
		test.Tap(st.liveBtn)
	})
	if got := uiValue(g, func() string { return st.rows[1].info }); !strings.HasPrefix(got, "failed: no stream key: paste your Twitch stream key") {
		t.Errorf("the Twitch row without a key says %q", got)
	}
	waitFor(t, 10*time.Second, "not live to both", func() bool { return hubHas(g, "preview") && hubHas(g, "other") })
	waitFor(t, 10*time.Second, "the rows never both showed live", func() bool {
		return uiValue(g, func() bool {
			return strings.HasPrefix(st.rows[0].info, "live · ") && strings.HasPrefix(st.rows[2].info, "live · ")
		})
	})
	g.onUI(func() { test.Tap(st.liveBtn) })
	waitFor(t, 10*time.Second, "End Stream did not end", func() bool {
		return uiValue(g, func() bool { return st.phase == phaseIdle && st.liveBtn.Text == "Go Live" })
	})
	if hubHas(g, "preview") || hubHas(g, "other") {
		t.Error("still published after End Stream")
	}
	g.onUI(func() {
		for len(st.rows) > 0 {
			test.Tap(st.rows[0].removeBtn)
		}
	})
	if uiValue(g, func() bool { return !st.liveBtn.Disabled() || !st.server.Disabled() }) {
		t.Error("Go Live or the editor offered with no destination")
	}
	g.onUI(func() { st.goLive(nil) })
	if got := uiValue(g, func() string { return st.status.Text }); got != "Cannot go live: no destination: press Add destination." {
		t.Errorf("Go Live with no destination: %q", got)
	}
	g.Close()
	checkGoroutines(t, before)
}

// newTestGUIWith is newTestGUI with preferences set before the window is
// built.
func newTestGUIWith(t *testing.T, logs *syncBuffer, prefs func(fyne.Preferences)) *gui {
	t.Helper()
	a := test.NewTempApp(t)
	prefs(a.Preferences())
	w := a.NewWindow("OnAir")
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g := newGUI(a, w, guiOptions{RTMPAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", RTMPSAddr: "127.0.0.1:0", CertDir: t.TempDir(),
		NullAudio: true, SnapshotDir: t.TempDir(), RecordDir: t.TempDir(), Logger: log})
	t.Cleanup(g.Close)
	return g
}
