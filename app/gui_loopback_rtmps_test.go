package app

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestGUILoopbackRTMPS: the Loopback tab lists the RTMPS address and the
// certificate's fingerprint, Copy copies the rtmps:// URL whole, and the
// Studio goes live to it with "Accept a self-signed certificate"; the
// Player plays it back over RTMPS and, from the RTMPE row, over RTMPE.
func TestGUILoopbackRTMPS(t *testing.T) {
	logs := &syncBuffer{}
	g, _, before := newTestGUI(t, logs)
	srv := g.loop.server()
	if srv == nil || srv.RTMPSAddr() == "" {
		t.Fatalf("no RTMPS: %q", uiValue(g, func() string { return g.loop.note.Text }))
	}
	row := -1
	for i, r := range loopbackRows {
		if strings.HasPrefix(r.label, "RTMPS") {
			row = i
		}
	}
	want := "rtmps://" + srv.RTMPSAddr() + "/live/"
	if got := uiValue(g, func() string { return g.loop.urls[row].Text }); !strings.HasPrefix(got, want) {
		t.Fatalf("RTMPS row %q, want %s…", got, want)
	}
	fp := uiValue(g, func() string { return g.loop.tlsNote.Text })
	if !regexp.MustCompile(`SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fp) || !strings.Contains(fp, srv.CertFingerprint()) {
		t.Fatalf("fingerprint note %q, want %s", fp, srv.CertFingerprint())
	}
	g.onUI(func() { test.Tap(g.loop.copyBtns[row]) })
	if got := g.app.Clipboard().Content(); got != want+"preview" {
		t.Fatalf("copied %q, want %s", got, want+"preview")
	}

	// The Studio, to the RTMPS address, accepting the self-signed certificate.
	g.onUI(func() {
		g.studio.server.SetText("rtmps://" + srv.RTMPSAddr() + "/live")
		g.studio.key.SetText("overtls")
		g.studio.insecure.SetChecked(true)
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 10*time.Second, "no publisher over RTMPS", func() bool { return hubHas(g, "overtls") })
	// The Player plays it back over RTMPS: the loopback's own certificate
	// needs no "accept" (the check stays off).
	if uiValue(g, func() bool { return g.player.insecure.Checked }) {
		t.Fatal("the Player accepts any certificate from the start")
	}
	for _, u := range []string{"rtmps://" + srv.RTMPSAddr() + "/live/x", " RTMPS://" + srv.RTMPSAddr() + "/live/x"} {
		if !g.loop.isOwnRTMPS(u) {
			t.Errorf("%q is not the loopback's own RTMPS", u)
		}
	}
	for _, u := range []string{"rtmp://" + srv.RTMPSAddr() + "/live/x", "rtmps://example.com/live/x", "rtmps://" + srv.RTMPSAddr() + "0/live/x"} {
		if g.loop.isOwnRTMPS(u) {
			t.Errorf("%q taken for the loopback's own RTMPS", u)
		}
	}
	g.onUI(func() { g.player.open("rtmps://" + srv.RTMPSAddr() + "/live/overtls") })
	waitFor(t, 10*time.Second, "the Player showed no picture over RTMPS", func() bool { return g.player.surface.shown.Load() > 0 })
	// The RTMPE row, copied and played: the same stream, encrypted.
	erow := -1
	for i, r := range loopbackRows {
		if strings.HasPrefix(r.label, "RTMPE ") {
			erow = i
		}
	}
	ewant := "rtmpe://" + srv.RTMPAddr() + "/live/"
	if got := uiValue(g, func() string { return g.loop.urls[erow].Text }); !strings.HasPrefix(got, ewant) {
		t.Fatalf("RTMPE row %q, want %s…", got, ewant)
	}
	shown := g.player.surface.shown.Load()
	g.onUI(func() {
		g.player.stopPlaying()
		g.player.open(ewant + "overtls")
	})
	waitFor(t, 10*time.Second, "the Player showed no picture over RTMPE", func() bool { return g.player.surface.shown.Load() > shown+5 })
	g.onUI(func() {
		g.player.stopPlaying()
		test.Tap(g.studio.liveBtn)
	})
	waitFor(t, 8*time.Second, "never stopped", func() bool {
		return uiValue(g, func() bool { return g.studio.phase == phaseIdle })
	})
	g.Close()
	checkGoroutines(t, before)
}
