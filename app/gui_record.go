package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onair/app/engine"
)

// recordFormat is the Studio's recording format: fragmented MP4, which
// plays everywhere and survives a crash (publish/record).
const recordFormat = ".mp4"

// recordDir is where the Studio's recordings go: XDG_VIDEOS_DIR, ~/Videos,
// or the home directory.
func (g *gui) recordDir() string { return userDir(g.opts.RecordDir, "XDG_VIDEOS_DIR", "Videos") }

// userDir is override when set, else the folder the XDG variable env names
// when it is there, else ~/name when it is there, else the home directory.
func userDir(override, env, name string) string {
	if override != "" {
		return override
	}
	if d := os.Getenv(env); d != "" {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	if fi, err := os.Stat(filepath.Join(home, name)); err == nil && fi.IsDir() {
		return filepath.Join(home, name)
	}
	return home
}

// recordPath is the file a recording started at t goes to:
// onair-2026-12-05_07-30-12.mp4 in recordDir, or with -2, -3, … before the
// extension when that file is there already (two within a second).
func (g *gui) recordPath(t time.Time) string {
	dir, name := g.recordDir(), recordName(t)
	path := filepath.Join(dir, name)
	for i := 2; i < 100; i++ {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			break
		}
		path = filepath.Join(dir, strings.TrimSuffix(name, recordFormat)+fmt.Sprintf("-%d", i)+recordFormat)
	}
	return path
}

func recordName(t time.Time) string {
	return "onair-" + t.Format("2006-01-02_15-04-05") + recordFormat
}

// recLabel is what shows beside the recording button: the time recorded
// and the file's size ("" when not recording).
func recLabel(r *engine.RecordingStats) string {
	if r == nil {
		return ""
	}
	if r.Err != nil {
		return "REC failed"
	}
	return fmt.Sprintf("REC %s  %s", fmtUptime(r.Duration), fmtBytes(r.Bytes))
}
