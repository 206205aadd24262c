package loopback

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"onair/internal/peer"
)

// TestSnapshot: GET /live/NAME.jpg is the stream's keyframe as JPEG: the
// ffmpeg CLI decodes it at the stream's size, and the colours of the 75%
// bars it published (lavfi pal75bars) come back; ?w=320 is a 320×180
// thumbnail; eight requests at once decode the keyframe once; a stream
// that is not live is 404, a silly width 400. SnapshotEvery writes them
// into the record folder.
func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Config{RecordDir: dir, RecordOff: true, SnapshotEvery: 500 * time.Millisecond})
	bin, err := peer.Require("ffmpeg", "ffmpeg")
	if err != nil {
		t.Fatal(err)
	}
	pub := exec.Command(bin, "-hide_banner", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "pal75bars=size=640x360:rate=25",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p", "-t", "20", "-f", "flv", "rtmp://"+s.RTMPAddr()+"/live/bars")
	if err := pub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Process.Kill(); _ = pub.Wait() })
	waitStream(t, s, "bars")
	base := "http://" + s.HTTPAddr() + "/live/bars.jpg"

	// A width nobody asked before (SnapshotEvery takes the full size).
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	before := s.snaps.decodes.Load()
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = get(t, base+"?w=600", http.StatusOK)
		}()
	}
	wg.Wait()
	if n := s.snaps.decodes.Load() - before; n != 1 {
		t.Errorf("8 requests for one keyframe decoded it %d times, want 1", n)
	}
	for _, b := range bodies[1:] {
		if string(b) != string(bodies[0]) {
			t.Error("8 requests at once got different pictures")
			break
		}
	}
	full := get(t, base, http.StatusOK)
	rgb := decodeRGB(t, full, 640, 360)
	// pal75bars (EBU 100/0/75/0): white at 100%, then 75% yellow, cyan,
	// green, magenta, red, blue, and black.
	want := [8][3]int{{255, 255, 255}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}, {0, 0, 0}}
	for i, c := range want {
		x, y := i*640/8+40, 180
		p := rgb[(y*640+x)*3:]
		for k := 0; k < 3; k++ {
			if d := int(p[k]) - c[k]; d < -25 || d > 25 {
				t.Errorf("bar %d at (%d,%d): RGB %v, want about %v", i, x, y, p[:3], c)
				break
			}
		}
	}
	thumb := get(t, base+"?w=320", http.StatusOK)
	decodeRGB(t, thumb, 320, 180)
	t.Logf("snapshot %d bytes, thumbnail %d bytes", len(full), len(thumb))

	get(t, "http://"+s.HTTPAddr()+"/live/nope.jpg", http.StatusNotFound)
	time.Sleep(time.Second)
	if files, _ := filepath.Glob(filepath.Join(dir, "bars", "bars-*.jpg")); len(files) == 0 {
		t.Error("SnapshotEvery wrote no snapshot")
	} else {
		b, _ := os.ReadFile(files[0])
		decodeRGB(t, b, 640, 360)
	}
	get(t, base+"?w=99999", http.StatusBadRequest)
	get(t, base+"?w=abc", http.StatusBadRequest)
}

func get(t *testing.T, url string, want int) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Errorf("GET %s: %s %q, want %d", url, resp.Status, b, want)
	}
	return b
}

// decodeRGB decodes a JPEG with the ffmpeg CLI into w×h RGB24, failing
// unless it is that size.
func decodeRGB(t *testing.T, jpg []byte, w, h int) []byte {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out.rgb")
	if err := os.WriteFile(in, jpg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := peer.FFmpeg(ctx, "-y", "-v", "error", "-i", in, "-f", "rawvideo", "-pix_fmt", "rgb24", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != w*h*3 {
		t.Fatalf("the JPEG decodes to %d bytes, want %dx%d RGB (%d)", len(b), w, h, w*h*3)
	}
	return b
}
