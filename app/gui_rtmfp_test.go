package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestGUIRTMFPDestination: the Loopback tab's server listens for RTMFP
// too and says where; a destination rtmfp://… added in the Studio goes
// live over RTMFP, and its row shows the session's figures (round trip,
// losses, retransmissions, abandoned messages).
func TestGUIRTMFPDestination(t *testing.T) {
	logs := &syncBuffer{}
	g, _, before := newTestGUI(t, logs)
	st := g.studio
	addr := uiValue(g, func() string { return g.loop.server().RTMFPAddr() })
	if addr == "" {
		t.Fatal("the loopback server does not listen for RTMFP")
	}
	if note := uiValue(g, func() string { return g.loop.note.Text }); !strings.Contains(note, "RTMFP on "+addr) {
		t.Errorf("the Loopback tab says %q", note)
	}
	g.onUI(func() {
		st.sizeSel.SetSelected(sizePresets[0].label)
		st.presetSel.SetSelected("ultrafast")
		test.Tap(st.addBtn)
		st.server.SetText("rtmfp://" + addr + "/live")
		test.Type(st.key, "udp-SECRET")
	})
	rows := uiValue(g, func() []*destRow { return append([]*destRow(nil), st.rows...) })
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	row := rows[1]
	g.onUI(func() { test.Tap(row.startBtn) })
	waitFor(t, 15*time.Second, "the RTMFP destination never published", func() bool { return hubHas(g, "udp-SECRET") })
	waitFor(t, 10*time.Second, "the RTMFP row never showed its session's figures", func() bool {
		return uiValue(g, func() bool {
			return strings.HasPrefix(row.info, "live · ") && strings.Contains(row.info, " · RTT ") && strings.Contains(row.info, " · lost ")
		})
	})
	t.Logf("row: %s", uiValue(g, func() string { return row.info }))
	g.onUI(func() { test.Tap(row.startBtn) })
	waitFor(t, 10*time.Second, "never idle after the RTMFP destination stopped", func() bool {
		return uiValue(g, func() bool { return st.phase == phaseIdle })
	})
	g.Close()
	if strings.Contains(logs.String(), "udp-SECRET") && !strings.Contains(logs.String(), "stream=udp-SECRET") {
		t.Error("the key in a log line")
	}
	checkGoroutines(t, before)
}
