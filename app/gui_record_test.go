package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onair/internal/peer"
)

// recordings lists the files in the window's recording folder.
func recordings(t *testing.T, g *gui) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(g.opts.RecordDir, "onair-*.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// TestGUIRecord drives the recording button: Start Recording when not
// live records only (a file appears and grows, time and size show beside
// the button); Go Live and End Stream meanwhile leave the recording
// alone; Stop Recording ends it and the file plays. Recording while live
// and stopping it leaves the stream alone. An unwritable folder is a
// message.
func TestGUIRecord(t *testing.T) {
	g, _, before := newTestGUI(t, &syncBuffer{})
	text := func(f func() string) string { return uiValue(g, f) }
	status := func() string { return g.studio.status.Text }
	g.onUI(func() {
		g.studio.sizeSel.SetSelected(sizePresets[0].label)
		g.studio.presetSel.SetSelected("ultrafast")
		test.Tap(g.studio.recBtn)
	})
	if got := text(func() string { return g.studio.recBtn.Text }); got != "Stop Recording" {
		t.Fatalf("after Start Recording the button reads %q", got)
	}
	var path string
	waitFor(t, 10*time.Second, "no recording file", func() bool {
		f := recordings(t, g)
		if len(f) == 1 && fileSize(f[0]) > 0 {
			path = f[0]
		}
		return path != ""
	})
	if !strings.HasPrefix(filepath.Base(path), "onair-"+time.Now().Format("2006-01-02")) {
		t.Errorf("file name %s", path)
	}
	size := fileSize(path)
	waitFor(t, 10*time.Second, "the file does not grow", func() bool { return fileSize(path) > size })
	waitFor(t, 5*time.Second, "no time and size beside the button", func() bool {
		l := text(func() string { return g.studio.recLbl.Text })
		return strings.HasPrefix(l, "REC 0:0") && strings.HasSuffix(l, "B")
	})
	if st := text(func() string { return g.studio.stateLbl.Text }); st != "recording" {
		t.Errorf("state %q while recording only", st)
	}
	if hubHas(g, "preview") {
		t.Error("published while recording only")
	}

	// Go Live while recording, then End Stream: the recording goes on.
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 10*time.Second, "not live while recording", func() bool { return hubHas(g, "preview") })
	waitFor(t, 5*time.Second, "state never live", func() bool {
		return text(func() string { return g.studio.stateLbl.Text }) == "live"
	})
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 10*time.Second, "End Stream did not end the stream alone", func() bool {
		return !hubHas(g, "preview") && text(func() string { return g.studio.liveBtn.Text }) == "Go Live"
	})
	if got := text(func() string { return g.studio.recBtn.Text }); got != "Stop Recording" {
		t.Fatalf("End Stream stopped the recording: %q", got)
	}
	size = fileSize(path)
	waitFor(t, 10*time.Second, "the file stopped growing after End Stream", func() bool { return fileSize(path) > size })

	// Stop Recording: the session ends, the file plays.
	waitFor(t, 10*time.Second, "never 3 s recorded", func() bool {
		l := text(func() string { return g.studio.recLbl.Text })
		return l >= "REC 0:03" && l < "REC 0:1"
	})
	g.onUI(func() { test.Tap(g.studio.recBtn) })
	waitFor(t, 10*time.Second, "never idle after Stop Recording", func() bool {
		return uiValue(g, func() bool { return g.studio.phase == phaseIdle })
	})
	if st := text(status); !strings.HasPrefix(st, "Recording saved to "+path+" (0:") {
		t.Errorf("status %q", st)
	}
	if l := text(func() string { return g.studio.recLbl.Text }); l != "" {
		t.Errorf("label %q after the recording", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := peer.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Plays() || m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" || m.End["video"] < 2 || m.Duration < 2 {
		t.Errorf("recording: %+v", m)
	}

	// Live first, then record and stop: the stream goes on.
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 10*time.Second, "not live", func() bool { return hubHas(g, "preview") })
	waitFor(t, 5*time.Second, "state never live", func() bool {
		return text(func() string { return g.studio.stateLbl.Text }) == "live"
	})
	g.onUI(func() { test.Tap(g.studio.recBtn) })
	waitFor(t, 10*time.Second, "no second recording", func() bool {
		f := recordings(t, g)
		return len(f) == 2 && text(func() string { return g.studio.recLbl.Text }) != ""
	})
	g.onUI(func() { test.Tap(g.studio.recBtn) })
	waitFor(t, 10*time.Second, "the second recording did not end", func() bool {
		return strings.HasPrefix(text(status), "Recording saved to ") &&
			text(func() string { return g.studio.recBtn.Text }) == "Start Recording"
	})
	if !hubHas(g, "preview") || text(func() string { return g.studio.liveBtn.Text }) != "End Stream" {
		t.Error("Stop Recording ended the stream")
	}

	// An unwritable folder: a message, the stream goes on.
	dir, cleanup, err := peer.UnwritableDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	g.onUI(func() {
		g.opts.RecordDir = dir
		test.Tap(g.studio.recBtn)
	})
	waitFor(t, 10*time.Second, "no message for an unwritable folder", func() bool {
		return strings.HasPrefix(text(status), "Could not record: cannot create the recording "+dir)
	})
	if text(func() string { return g.studio.recBtn.Text }) != "Start Recording" || !hubHas(g, "preview") {
		t.Error("after the failed recording: not back to Start Recording, or not live")
	}
	g.onUI(func() { test.Tap(g.studio.liveBtn) })
	waitFor(t, 10*time.Second, "never idle after End Stream", func() bool {
		return uiValue(g, func() bool { return g.studio.phase == phaseIdle })
	})
	g.Close()
	checkGoroutines(t, before)
}
