package record

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/leaktest"
	"onair/internal/media"
	"onair/internal/peer"
)

func TestMain(m *testing.M) {
	astiav.SetLogLevel(astiav.LogLevelError)
	os.Exit(m.Run())
}

// push feeds packets as a live encoder would, a little at a time, so the
// queue never overflows.
func push(r *Recorder, pkts []*media.Packet) {
	for i, p := range pkts {
		r.Push(p)
		if i%64 == 63 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// checkPlays decodes the whole file with the ffmpeg CLI, failing on any
// decoding error, and checks with ffprobe that it holds H.264 and AAC that
// last about want.
func checkPlays(t *testing.T, path string, want time.Duration) *peer.MediaFile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := peer.FFmpeg(ctx, "-xerror", "-i", path, "-f", "null", "-"); err != nil {
		t.Fatalf("%s does not play: %v", path, err)
	}
	m, err := peer.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Plays() || m.Codecs["video"] != "h264" || m.Codecs["audio"] != "aac" {
		t.Errorf("%s: %+v, want h264 and aac that decode", path, m)
	}
	for _, typ := range []string{"video", "audio"} {
		if d := m.End[typ] - want.Seconds(); math.Abs(d) > 0.5 {
			t.Errorf("%s: %s lasts %.3f s, want %v ± 0.5 s", path, typ, m.End[typ], want)
		}
	}
	return m
}

// TestRecordFormats records 8 s of real H.264 + AAC into each format; the
// files play from start to end in FFmpeg and say how long they are.
func TestRecordFormats(t *testing.T) {
	tm := encoded(t)
	before := runtime.NumGoroutine()
	for _, ext := range []string{"mp4", "mkv", "flv"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec."+ext)
			var keyReqs atomic.Int64
			r, err := Start(Config{Path: path, Video: &tm.video, Audio: &tm.audio,
				RequestKeyframe: func() { keyReqs.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			push(r, tm.packets)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Path != path || st.Bytes != fi.Size() || st.Err != nil || st.Dropped != 0 || keyReqs.Load() != 1 {
				t.Errorf("stats %+v (file %d bytes), %d keyframe requests", st, fi.Size(), keyReqs.Load())
			}
			if st.Frames != testSeconds*testFPS || math.Abs(st.Duration.Seconds()-testSeconds) > 0.1 {
				t.Errorf("stats: %d frames over %v, want %d over %d s", st.Frames, st.Duration, testSeconds*int(testFPS), testSeconds)
			}
			m := checkPlays(t, path, testSeconds*time.Second)
			if ext != "flv" && math.Abs(m.Duration-testSeconds) > 0.5 {
				t.Errorf("the container says %.3f s, want %d ± 0.5 s", m.Duration, testSeconds)
			}
			if m.Packets["video"] != testSeconds*testFPS {
				t.Errorf("%d video packets, want %d", m.Packets["video"], testSeconds*int(testFPS))
			}
		})
	}
	leaktest.Check(t, before, 5*time.Second)
}

// TestRecordStartsAtKeyframe: packets from the middle of a GOP are not
// recorded; the file starts with the next keyframe, at time 0.
func TestRecordStartsAtKeyframe(t *testing.T) {
	tm := encoded(t)
	path := filepath.Join(t.TempDir(), "late.mkv")
	r, err := Start(Config{Path: path, Video: &tm.video, Audio: &tm.audio})
	if err != nil {
		t.Fatal(err)
	}
	// From 1 s in: the next keyframe is at 2 s.
	var from int
	for from < len(tm.packets) && tm.packets[from].DTS < time.Second {
		from++
	}
	push(r, tm.packets[from:])
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Frames != (testSeconds-2)*testFPS {
		t.Errorf("%d frames recorded, want %d", st.Frames, (testSeconds-2)*int(testFPS))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := peer.FFprobe(ctx, path, "-show_frames", "-select_streams", "v", "-read_intervals", "%+#1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Frames) == 0 || p.Frames[0].KeyFrame != 1 || p.Frames[0].PTSTime != "0.000000" {
		t.Errorf("first frame %+v, want a keyframe at 0", p.Frames)
	}
	checkPlays(t, path, (testSeconds-2)*time.Second)
}

// TestRecordDropsToKeyframe: a queue that overflows drops the oldest
// packets and then the pictures up to the next keyframe; the file still
// plays.
func TestRecordDropsToKeyframe(t *testing.T) {
	tm := encoded(t)
	path := filepath.Join(t.TempDir(), "drop.mp4")
	slow := &slowFile{delay: 20 * time.Millisecond}
	var keyReqs atomic.Int64
	r, err := Start(Config{Path: path, Video: &tm.video, Audio: &tm.audio, QueueSize: 16,
		RequestKeyframe: func() { keyReqs.Add(1) },
		Create: func(p string) (File, error) {
			f, err := createFile(p)
			slow.File = f
			return slow, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	// The first second at a live pace, the next in a burst far beyond 16
	// packets while the disk is slow, the rest at a live pace again.
	var i int
	for ; tm.packets[i].DTS < time.Second; i++ {
		r.Push(tm.packets[i])
		time.Sleep(time.Millisecond)
	}
	slow.slow.Store(true)
	for ; tm.packets[i].DTS < 2*time.Second-100*time.Millisecond; i++ {
		r.Push(tm.packets[i])
	}
	time.Sleep(200 * time.Millisecond)
	slow.slow.Store(false)
	push(r, tm.packets[i:])
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Dropped == 0 || st.Frames == 0 || keyReqs.Load() < 2 {
		t.Fatalf("stats %+v, %d keyframe requests: want drops, frames and a request after the drop", st, keyReqs.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := peer.FFmpeg(ctx, "-xerror", "-i", path, "-f", "null", "-"); err != nil {
		t.Fatalf("does not play after drops: %v", err)
	}
}

// slowFile makes writes slow while slow is set.
type slowFile struct {
	File
	delay time.Duration
	slow  atomic.Bool
}

func (f *slowFile) Write(b []byte) (int, error) {
	if f.slow.Load() {
		time.Sleep(f.delay)
	}
	return f.File.Write(b)
}

// TestRecordUnwritableFolder: Start says which file cannot be made and
// why, and leaves nothing running.
func TestRecordUnwritableFolder(t *testing.T) {
	tm := encoded(t)
	before := runtime.NumGoroutine()
	dir, cleanup, err := peer.UnwritableDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	for _, ext := range []string{"mp4", "mkv", "flv"} {
		path := filepath.Join(dir, "rec."+ext)
		r, err := Start(Config{Path: path, Video: &tm.video, Audio: &tm.audio})
		if err == nil {
			r.Close()
			t.Fatalf("%s: recording started in an unwritable folder", ext)
		}
		if !errors.Is(err, ErrCreate) || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM)) ||
			!strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q: want ErrCreate, a permission error and the path", ext, err)
		}
	}
	if _, err := Start(Config{Path: filepath.Join(t.TempDir(), "rec.avi"), Video: &tm.video}); !errors.Is(err, ErrFormat) ||
		!strings.Contains(err.Error(), ".mp4, .mkv or .flv") {
		t.Errorf("a .avi name: %v", err)
	}
	leaktest.Check(t, before, 5*time.Second)
}

// fullFile takes room bytes, then fails as a full disk does.
type fullFile struct {
	File
	room int
}

func (f *fullFile) Write(b []byte) (int, error) {
	if len(b) > f.room {
		n, _ := f.File.Write(b[:f.room])
		f.room = 0
		return n, syscall.ENOSPC
	}
	f.room -= len(b)
	return f.File.Write(b)
}

// TestRecordDiskFull: when the disk fills up mid-recording, the recording
// stops with a clear error (Stats.Err, Done, Close), Push goes on without
// blocking, and what was written before plays.
func TestRecordDiskFull(t *testing.T) {
	tm := encoded(t)
	before := runtime.NumGoroutine()
	for _, ext := range []string{"mp4", "mkv", "flv"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "full."+ext)
			r, err := Start(Config{Path: path, Video: &tm.video, Audio: &tm.audio,
				Create: func(p string) (File, error) {
					f, err := createFile(p)
					return &fullFile{File: f, room: 300_000}, err
				}})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			push(r, tm.packets)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("pushing took %v", d)
			}
			select {
			case <-r.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the recorder did not stop on a full disk")
			}
			st := r.Stats()
			if !errors.Is(st.Err, ErrWrite) || !errors.Is(st.Err, syscall.ENOSPC) ||
				!strings.Contains(st.Err.Error(), "no space left on device") || !strings.Contains(st.Err.Error(), path) {
				t.Errorf("Stats.Err %v", st.Err)
			}
			if err := r.Close(); !errors.Is(err, ErrWrite) {
				t.Errorf("Close: %v", err)
			}
			if st.Bytes > 300_000 || st.Duration < time.Second {
				t.Errorf("stats %+v", st)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			m, err := peer.ProbeFile(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if m.End["video"] < st.Duration.Seconds()-1 {
				t.Errorf("the file holds %.2f s of video; %v were written before the disk was full", m.End["video"], st.Duration)
			}
		})
	}
	leaktest.Check(t, before, 5*time.Second)
}
