package loopback

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/peer"
	"onair/publish/flv"
	"onair/publish/rtmp"
)

// vodClip writes a 24 s clip (320x240, 30 fps, a keyframe a second,
// B-frames, AAC) as sub/clip.mp4 below dir and its FLV copy as clip.flv;
// extra ffmpeg arguments go before the output.
func vodClip(t *testing.T, dir string, extra ...string) (mp4, flvPath string) {
	t.Helper()
	mp4, flvPath = filepath.Join(dir, "sub", "clip.mp4"), filepath.Join(dir, "clip.flv")
	if err := os.MkdirAll(filepath.Dir(mp4), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	args := append([]string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "24", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"}, extra...)
	if _, err := peer.FFmpeg(ctx, append(args, "-y", mp4)...); err != nil {
		t.Fatal(err)
	}
	if _, err := peer.FFmpeg(ctx, "-i", mp4, "-c", "copy", "-y", flvPath); err != nil {
		t.Fatal(err)
	}
	return mp4, flvPath
}

// grayFrame is the luma of the first picture ffmpeg decodes from input:
// args go before -i (-ss 20: the picture at 20 s), except a filter
// (-vf …), which goes after.
func grayFrame(t *testing.T, input string, args ...string) []byte {
	t.Helper()
	var after []string
	if len(args) == 2 && args[0] == "-vf" {
		args, after = nil, args
	}
	a := append(append(append(args, "-i", input), after...), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-")
	out, err := peer.FFmpeg(context.Background(), a...)
	if err != nil || len(out) != 320*240 {
		t.Fatalf("ffmpeg's picture of %s: %d bytes, %v", input, len(out), err)
	}
	return out
}

func TestVODPath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, f := range []string{filepath.Join(root, "a.mp4"), filepath.Join(root, "s", "b.flv"), filepath.Join(outside, "secret.flv")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("FLV"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "secret.flv"), filepath.Join(root, "out.flv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "outdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a.mp4"), filepath.Join(root, "in.mp4")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want error
	}{
		{"a.mp4", nil}, {"s/b.flv", nil}, {"in.mp4", nil},
		{"nope.mp4", ErrVODNotFound}, {"s", ErrVODNotFound},
		{"../" + filepath.Base(outside) + "/secret.flv", ErrBadVODPath}, {"s/../a.mp4", ErrBadVODPath},
		{"/etc/passwd", ErrBadVODPath}, {"out.flv", ErrBadVODPath}, {"outdir/secret.flv", ErrBadVODPath},
		{"s//b.flv", ErrBadVODPath}, {"./a.mp4", ErrBadVODPath}, {`s\b.flv`, ErrBadVODPath}, {"a.mp4\x00", ErrBadVODPath}, {"", ErrBadVODPath},
	} {
		p, err := vodPath(root, c.name)
		if !errors.Is(err, c.want) || err == nil && !strings.HasPrefix(p, root) {
			t.Errorf("vodPath(%q) = %q, %v; want %v", c.name, p, err, c.want)
		}
	}
}

func TestRTMPVODName(t *testing.T) {
	for _, c := range []struct {
		app, name string
		want      []string
		ok        bool
	}{
		{"vod", "clip.mp4", []string{"clip.mp4"}, true},
		{"vod", "mp4:clip.mp4", []string{"clip.mp4"}, true},
		{"vod/sub", "mp4:clip.mp4", []string{"sub/clip.mp4"}, true},
		{"vod", "clip", []string{"clip", "clip.flv", "clip.mp4"}, true}, // librtmp strips .flv
		{"vod", "flv:a.b?x=1", []string{"a.b", "a.b.flv", "a.b.mp4"}, true},
		{"live", "clip.mp4", nil, false},
		{"vodka", "clip.mp4", nil, false},
	} {
		got, ok := rtmpVODName(c.app, c.name)
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("rtmpVODName(%q, %q) = %q, %v; want %q, %v", c.app, c.name, got, ok, c.want, c.ok)
		}
	}
}

// FuzzVODPath: whatever the name, what vodPath returns is a file inside
// the folder.
func FuzzVODPath(f *testing.F) {
	for _, s := range []string{"a.mp4", "s/b.flv", "../x", "s/../../x", "/etc/passwd", "out.flv", "in.mp4", "outdir/x", "a\x00", `..\x`} {
		f.Add(s)
	}
	root := f.TempDir()
	outside := f.TempDir()
	_ = os.WriteFile(filepath.Join(root, "a.mp4"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(outside, "x"), nil, 0o644)
	_ = os.Symlink(filepath.Join(outside, "x"), filepath.Join(root, "out.flv"))
	_ = os.Symlink(outside, filepath.Join(root, "outdir"))
	f.Fuzz(func(t *testing.T, name string) {
		p, err := vodPath(root, name)
		if err != nil {
			if !errors.Is(err, ErrBadVODPath) && !errors.Is(err, ErrVODNotFound) {
				t.Fatalf("vodPath(%q): %v", name, err)
			}
			return
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil || strings.HasPrefix(rel, "..") || p != filepath.Join(root, "a.mp4") {
			t.Fatalf("vodPath(%q) = %q: outside %s", name, p, root)
		}
	})
}

// TestRtmpdumpVOD: rtmpdump (librtmp) plays recordings from `onair serve`'s
// vod app from 20 s to 23 s, an MP4 in a subfolder (librtmp sends the
// folder in the app) and an FLV: the first picture it wrote is the ffmpeg
// CLI's picture at 20 s, and the three seconds took real time, less the
// short burst at the start.
func TestRtmpdumpVOD(t *testing.T) {
	bin, err := peer.Require("rtmpdump", "rtmpdump")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mp4, flvPath := vodClip(t, dir)
	s := startServer(t, Config{VODDir: dir})
	for _, c := range []struct{ name, file string }{{"sub/clip.mp4", mp4}, {"clip.flv", flvPath}} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.flv")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			msg, err := exec.CommandContext(ctx, bin, "-r", "rtmp://"+s.RTMPAddr()+"/vod/"+c.name, "--start", "20", "--stop", "23", "-o", out).CombinedOutput()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("rtmpdump: %v\n%s", err, msg)
			}
			// The MP4 has a keyframe at 20 s; FFmpeg's FLV muxer moved the
			// FLV's times by the AAC priming (21 ms): its first picture is
			// the keyframe before.
			key, idx := keyframeAtOrBefore(t, c.file, 20*time.Second)
			got := grayFrame(t, out)
			// Picked by its index, decoded from the start: FFmpeg's FLV
			// -ss is not exact.
			want := grayFrame(t, c.file, "-vf", "select=eq(n\\,"+strconv.Itoa(idx)+")")
			if !bytes.Equal(got, want) {
				t.Errorf("the first picture rtmpdump wrote is not ffmpeg's at %s s (%d of %d bytes differ)", key, diffCount(got, want), len(got))
			}
			t.Logf("first picture: ffmpeg's at %s s", key)
			t.Logf("rtmpdump --start 20 --stop 23: %v", took.Round(time.Millisecond))
			if took < 1500*time.Millisecond || took > 8*time.Second {
				t.Errorf("3 s of a recording took %v: want real time less the %v burst", took, vodLead)
			}
		})
	}
}

// keyframeAtOrBefore is the time (as ffprobe prints it) of the last
// keyframe of path shown at or before at, and its index among the
// pictures ffmpeg decodes.
func keyframeAtOrBefore(t *testing.T, path string, at time.Duration) (string, int) {
	t.Helper()
	p, err := peer.FFprobe(context.Background(), path, "-select_streams", "v", "-show_frames")
	if err != nil {
		t.Fatal(err)
	}
	best, idx := "", -1
	for i, f := range p.Frames {
		sec, err := strconv.ParseFloat(f.PTSTime, 64)
		if err == nil && f.KeyFrame == 1 && sec <= at.Seconds()+0.0005 {
			best, idx = f.PTSTime, i
		}
	}
	if best == "" {
		t.Fatalf("%s has no keyframe before %v", path, at)
	}
	return best, idx
}

func diffCount(a, b []byte) int {
	n := 0
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			n++
		}
	}
	return n + max(len(a), len(b)) - min(len(a), len(b))
}

// TestVODCommands plays a recording with OnAir's RTMP client: the server
// says it is recorded, onMetaData gives its duration, a play may start at
// a position, NetStream.pause holds the media, NetStream.seek moves it
// (the picture at the target comes first after Seek.Notify), and the end
// is NetStream.Play.Stop. A name outside the folder and a missing file are
// refused in words.
func TestVODCommands(t *testing.T) {
	dir := t.TempDir()
	// No B-frames: a picture's time is its tag's. (The FLV copy is not
	// used: FFmpeg's FLV muxer moves every time by the AAC priming.)
	vodClip(t, dir, "-bf", "0")
	s := startServer(t, Config{VODDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := rtmp.Dial(ctx, rtmp.Config{Addr: s.RTMPAddr(), App: "vod/sub", TCURL: "rtmp://" + s.RTMPAddr() + "/vod/sub", Key: "mp4:clip.mp4", Play: true, Start: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Recorded() {
		t.Error("the server did not say StreamIsRecorded")
	}
	// next is the next media message, statuses included.
	next := func() rtmp.Media {
		t.Helper()
		m, err := c.ReadMedia(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	firstPicture := func() uint32 {
		t.Helper()
		for {
			m := next()
			if m.TypeID == 9 {
				if info, err := flv.ParseVideo(m.Payload); err == nil && !info.Header {
					return m.Timestamp
				}
			}
		}
	}
	m := next()
	for m.TypeID == rtmp.TypeStatus {
		m = next()
	}
	vals, err := flv.UnmarshalAMF0(m.Payload)
	if err != nil || m.TypeID != 18 || len(vals) < 2 {
		t.Fatalf("first message: type %d, %v", m.TypeID, err)
	}
	d, _ := vals[1].(flv.AMF0ECMAArray).Get("duration")
	if sec, _ := d.(float64); sec < 23.5 || sec > 24.5 {
		t.Errorf("onMetaData duration %v, want 24 s", d)
	}
	if ts := firstPicture(); ts != 10000 {
		t.Errorf("play from 10 s starts at %d ms", ts)
	}
	// Pause: the notice, then nothing for a while.
	if err := c.Pause(true, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for m = next(); m.TypeID != rtmp.TypeStatus; m = next() {
	}
	if m.Status != "NetStream.Pause.Notify" {
		t.Fatalf("pause answered %q", m.Status)
	}
	pctx, pcancel := context.WithTimeout(ctx, 700*time.Millisecond)
	_, err = c.ReadMedia(pctx)
	pcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("paused, the server still sent media (%v)", err)
	}
	if err := c.Pause(false, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if m = next(); m.Status != "NetStream.Unpause.Notify" {
		t.Errorf("unpause answered %q (type %d)", m.Status, m.TypeID)
	}
	// Seek: everything up to Seek.Notify is from before it.
	if err := c.Seek(21 * time.Second); err != nil {
		t.Fatal(err)
	}
	for m = next(); m.Status != "NetStream.Seek.Notify"; m = next() {
	}
	if ts := firstPicture(); ts != 21000 {
		t.Errorf("seek to 21 s: first picture at %d ms", ts)
	}
	for m = next(); m.Status != "NetStream.Play.Stop"; m = next() {
	}
	// Refusals.
	for _, name := range []string{"../x.flv", "nope.mp4"} {
		_, err := rtmp.Dial(ctx, rtmp.Config{Addr: s.RTMPAddr(), App: "vod", TCURL: "rtmp://" + s.RTMPAddr() + "/vod", Key: name, Play: true})
		if err == nil || !strings.Contains(err.Error(), "StreamNotFound") {
			t.Errorf("play of %q: %v", name, err)
		}
		t.Logf("play of %q: %v", name, err)
	}
}

// TestVODHTTP: the ffmpeg CLI reads a recording from http://…/vod/FILE
// with byte ranges (a seek to 20 s shows its picture there) and as HLS
// (/vod/FILE/index.m3u8: every picture and audio frame of the file); bad
// names and an HEVC file (HLS carries H.264) get clear answers.
func TestVODHTTP(t *testing.T) {
	dir := t.TempDir()
	mp4, _ := vodClip(t, dir)
	if _, err := peer.FFmpeg(context.Background(), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
		"-c:v", "libx265", "-preset", "ultrafast", "-y", filepath.Join(dir, "hevc.mp4")); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{VODDir: dir})
	base := "http://" + s.HTTPAddr() + "/vod/"

	req, _ := http.NewRequest("GET", base+"sub/clip.mp4", nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	file, _ := os.ReadFile(mp4)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, file[100:200]) {
		t.Errorf("range 100-199: %s, %d bytes", resp.Status, len(body))
	}
	if got, want := grayFrame(t, base+"sub/clip.mp4", "-ss", "20"), grayFrame(t, mp4, "-ss", "20"); !bytes.Equal(got, want) {
		t.Errorf("ffmpeg -ss 20 over HTTP shows another picture (%d bytes differ)", diffCount(got, want))
	}

	count := func(input string) (video, audio string) {
		p, err := peer.FFprobe(context.Background(), input, "-count_frames")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := p.Stream("video")
		a, _ := p.Stream("audio")
		return v.NbReadFrames, a.NbReadFrames
	}
	for _, name := range []string{"sub/clip.mp4", "clip.flv"} {
		v, a := count(base + name + "/index.m3u8")
		wv, wa := count(filepath.Join(dir, filepath.FromSlash(name)))
		t.Logf("HLS of %s: %s pictures, %s audio frames (the file: %s, %s)", name, v, a, wv, wa)
		if v != wv || a != wa || v == "" {
			t.Errorf("HLS of %s: %s pictures and %s audio frames, the file has %s and %s", name, v, a, wv, wa)
		}
	}
	for _, c := range []struct {
		path string
		want int
		says string
	}{
		{"nope.mp4", 404, "no such recording"},
		{"sub/clip.mp4/seg999.ts", 404, ""},
		{"%2e%2e/x.mp4", 400, "not a file of the video-on-demand folder"},
		{"hevc.mp4/index.m3u8", 415, "want h264"},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.Contains(string(b), c.says) {
			t.Errorf("GET /vod/%s: %s %q, want %d %q", c.path, resp.Status, b, c.want, c.says)
		}
	}
}

// TestVODOfARecording: what the server records (DVR) plays back on demand
// from the record folder, with its duration.
func TestVODOfARecording(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Config{RecordDir: dir, VODDir: dir, RecordFormat: RecordFLV})
	cmd := ffmpegPublish(t, "rtmp://"+s.RTMPAddr()+"/live/rec", 4*time.Second)
	_ = cmd.Wait()
	var recs []Recording
	deadline := time.Now().Add(10 * time.Second)
	for len(recs) == 0 || recs[0].Recording {
		if time.Now().After(deadline) {
			t.Fatalf("no finished recording: %+v", recs)
		}
		time.Sleep(100 * time.Millisecond)
		recs = s.Recordings()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := peer.FFprobe(ctx, "rtmp://"+s.RTMPAddr()+"/vod/"+recs[0].Name+" live=0", "-show_format")
	if err != nil {
		t.Fatal(err)
	}
	v, okv := p.Stream("video")
	if !okv || v.CodecName != "h264" {
		t.Fatalf("ffprobe of the recording on demand: %+v", p.Streams)
	}
	t.Logf("%s on demand: %+v", recs[0].Name, p.Format)
}

// FuzzVODFile: an FLV file of any bytes opens or fails with an error, and
// reading it through, seeking in it and listing its keyframes ends without
// a crash.
func FuzzVODFile(f *testing.F) {
	var b bytes.Buffer
	_ = flv.WriteHeader(&b, true, true)
	_ = flv.WriteTag(&b, flv.TagTypeScriptData, 0, withDuration(nil, 2*time.Second))
	_ = flv.WriteTag(&b, flv.TagTypeVideo, 0, []byte{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 4, 0x68, 0xee, 0x3c, 0x80})
	_ = flv.WriteTag(&b, flv.TagTypeAudio, 0, []byte{0xaf, 0, 0x11, 0x90})
	_ = flv.WriteTag(&b, flv.TagTypeVideo, 0, []byte{0x17, 1, 0, 0, 0x21, 0, 0, 0, 1, 0x65})
	_ = flv.WriteTag(&b, flv.TagTypeAudio, 10, []byte{0xaf, 1, 0x21})
	_ = flv.WriteTag(&b, flv.TagTypeVideo, 1000, []byte{0x9d, 'h', 'v', 'c', '1', 0, 0, 5, 0, 0, 0, 1, 0x26})
	f.Add(b.Bytes(), uint16(500))
	f.Add(b.Bytes()[:b.Len()-7], uint16(2000))
	f.Add([]byte("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"), uint16(0))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, at uint16) {
		path := filepath.Join(dir, "f.flv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := openVOD(path)
		if err != nil {
			return
		}
		defer v.close()
		if len(v.headers) == 0 || v.headers[0].Kind != KindData {
			t.Fatalf("headers %v: want onMetaData first", v.headers)
		}
		for range 1000 {
			if _, err := v.src.next(); err != nil {
				break
			}
		}
		if err := v.src.seek(time.Duration(at) * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		for range 1000 {
			if _, err := v.src.next(); err != nil {
				break
			}
		}
		if _, err := v.src.keyframes(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRefusalArrives: a play refused at once still reaches the client as
// the refusal (NetStream.Play.StreamNotFound), not as a closed connection,
// however fast the server answers and goes: the client's write after its
// play (SetBufferLength) may fail, and the server lingers instead of
// resetting the connection. 1 in 40 failed before.
func TestRefusalArrives(t *testing.T) {
	s := startServer(t, Config{VODDir: t.TempDir()})
	for i := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := rtmp.Dial(ctx, rtmp.Config{Addr: s.RTMPAddr(), App: "vod", TCURL: "rtmp://" + s.RTMPAddr() + "/vod", Key: "nope.mp4", Play: true})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "StreamNotFound") || !strings.Contains(err.Error(), "no such recording") {
			t.Fatalf("play %d of a missing recording: %v", i, err)
		}
	}
}
