package hls

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"onair/internal/media"
)

// realSPS and realPPS are x264's for 320×240 (the LL muxer's
// initialization section reads the SPS).
var (
	realSPS = mustHex("6764000dacd94141fb0110000003001000000303c0f1429960")
	realPPS = mustHex("68ebe3cb22c0")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func newTestLL(t testing.TB) *LLMuxer {
	t.Helper()
	video := synthVideoConfig()
	video.Extradata = annexB(string(realSPS), string(realPPS))
	m, err := NewLLMuxer(LLConfig{Video: video, Audio: synthAudioConfig(t), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func llGet(t testing.TB, m *LLMuxer, target string) (int, []byte) {
	t.Helper()
	w := httptest.NewRecorder()
	m.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w.Code, w.Body.Bytes()
}

var (
	partRE = regexp.MustCompile(`#EXT-X-PART:DURATION=([\d.]+),URI="s(\d+)\.(\d+)\.m4s"(,INDEPENDENT=YES)?`)
	infRE  = regexp.MustCompile(`#EXTINF:([\d.]+),\ns(\d+)\.m4s`)
)

// TestLLPlaylistRules: 6 s of 25 fps video with a keyframe every second,
// and AAC, cut into LL-HLS. The playlist follows the spec's rules: the
// server-control and part-info tags; parts no longer than PART-TARGET
// and, but for a segment's last, at least 85 % of it; part numbers from 0
// in each segment, segment numbers consecutive; each segment's first part
// independent; segments of the GOP's length, no longer than the target
// duration; a preload hint naming the next part.
func TestLLPlaylistRules(t *testing.T) {
	m := newTestLL(t)
	writeAllLL(t, m, synthStream(3*time.Second, 6*time.Second+20*time.Millisecond, true, true))
	code, body := llGet(t, m, "/index.m3u8")
	if code != http.StatusOK {
		t.Fatalf("playlist: %d", code)
	}
	pl := string(body)
	for _, want := range []string{"#EXT-X-VERSION:9", "#EXT-X-TARGETDURATION:1\n", "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600",
		"#EXT-X-PART-INF:PART-TARGET=0.200", `#EXT-X-MAP:URI="init.mp4"`, `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="s6.0.m4s"`} {
		if !strings.Contains(pl, want) {
			t.Errorf("no %q in\n%s", want, pl)
		}
	}
	parts := partRE.FindAllStringSubmatch(pl, -1)
	if len(parts) < 15 {
		t.Fatalf("%d parts listed:\n%s", len(parts), pl)
	}
	lastMSN, lastPart := -1, -1
	for i, p := range parts {
		d, _ := strconv.ParseFloat(p[1], 64)
		msn, _ := strconv.Atoi(p[2])
		part, _ := strconv.Atoi(p[3])
		if d > 0.2+1e-9 {
			t.Errorf("part s%d.%d lasts %v, more than PART-TARGET", msn, part, d)
		}
		endsSegment := i+1 == len(parts) || parts[i+1][3] == "0"
		if d < 0.85*0.2 && !endsSegment {
			t.Errorf("part s%d.%d lasts %v, under 85%% of PART-TARGET", msn, part, d)
		}
		switch {
		case msn == lastMSN && part != lastPart+1, msn != lastMSN && (lastMSN >= 0 && msn != lastMSN+1 || part != 0):
			t.Errorf("part s%d.%d after s%d.%d", msn, part, lastMSN, lastPart)
		}
		if (part == 0) != (p[4] != "") {
			t.Errorf("part s%d.%d: independent %v", msn, part, p[4] != "")
		}
		lastMSN, lastPart = msn, part
	}
	infs := infRE.FindAllStringSubmatch(pl, -1)
	if len(infs) != 6 {
		t.Fatalf("%d complete segments, want 6:\n%s", len(infs), pl)
	}
	for _, s := range infs {
		if d, _ := strconv.ParseFloat(s[1], 64); d < 0.999 || d > 1.001 {
			t.Errorf("segment s%s lasts %v, want the GOP (1 s)", s[2], d)
		}
	}

	// A part and a segment are CMAF fragments with both tracks; a segment
	// is its parts.
	_, part := llGet(t, m, "/s2.1.m4s")
	var parts2 fmp4.Parts
	if err := parts2.Unmarshal(part); err != nil || len(parts2) != 1 || len(parts2[0].Tracks) != 2 {
		t.Fatalf("part s2.1: %v, %+v", err, parts2)
	}
	if n := len(parts2[0].Tracks[0].Samples); n != 5 {
		t.Errorf("part s2.1 has %d pictures, want 5 (200 ms at 25 fps)", n)
	}
	if got := parts2[0].Tracks[0].BaseTime; got != 2*90000+5*3600 {
		t.Errorf("part s2.1 starts at %d (90 kHz), want %d", got, 2*90000+5*3600)
	}
	_, seg := llGet(t, m, "/s2.m4s")
	var all []byte
	for i := 0; i < 5; i++ {
		_, p := llGet(t, m, "/"+LLPartName(2, i))
		all = append(all, p...)
	}
	if !bytes.Equal(seg, all) {
		t.Errorf("segment s2 (%d bytes) is not its 5 parts (%d bytes)", len(seg), len(all))
	}
	_, init := llGet(t, m, "/init.mp4")
	var in fmp4.Init
	if err := in.Unmarshal(bytes.NewReader(init)); err != nil || len(in.Tracks) != 2 || in.Tracks[1].TimeScale != 48000 {
		t.Errorf("init: %v, %+v", err, in.Tracks)
	}

	m.Close()
	_, body = llGet(t, m, "/index.m3u8")
	if !strings.HasSuffix(string(body), "#EXT-X-ENDLIST\n") || strings.Contains(string(body), "PRELOAD-HINT") {
		t.Errorf("after Close:\n%s", body)
	}
}

func writeAllLL(t testing.TB, m *LLMuxer, ps []*media.Packet) {
	t.Helper()
	for _, p := range ps {
		if err := m.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLLBlockingReload: a reload asking for the next part answers as soon
// as that part is made; one for a part that never comes answers 503 within
// three target durations; bad queries get 400.
func TestLLBlockingReload(t *testing.T) {
	m := newTestLL(t)
	ps := synthStream(0, 3*time.Second, true, true)
	cut := len(ps) * 2 / 3
	writeAllLL(t, m, ps[:cut])
	_, body := llGet(t, m, "/index.m3u8")
	hint := regexp.MustCompile(`PRELOAD-HINT:TYPE=PART,URI="s(\d+)\.(\d+)\.m4s"`).FindStringSubmatch(string(body))
	if hint == nil {
		t.Fatalf("no preload hint:\n%s", body)
	}
	q := "/index.m3u8?_HLS_msn=" + hint[1] + "&_HLS_part=" + hint[2]
	name := "s" + hint[1] + "." + hint[2] + ".m4s"
	playlist, part := make(chan string, 1), make(chan []byte, 1)
	go func() { _, b := llGet(t, m, q); playlist <- string(b) }()
	go func() { _, b := llGet(t, m, "/"+name); part <- b }()
	select {
	case <-playlist:
		t.Fatal("the blocking reload answered before its part was made")
	case <-part:
		t.Fatal("the hinted part was served before it was made")
	case <-time.After(200 * time.Millisecond):
	}
	writeAllLL(t, m, ps[cut:])
	select {
	case pl := <-playlist:
		if !strings.Contains(pl, `URI="`+name+`"`) {
			t.Errorf("the blocking reload's answer has no %s:\n%s", name, pl)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the blocking reload did not answer once the part was made")
	}
	select {
	case b := <-part:
		var ps fmp4.Parts
		if err := ps.Unmarshal(b); err != nil || len(ps) != 1 {
			t.Errorf("the hinted part: %v, %d bytes", err, len(b))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the hinted part did not come once made")
	}

	// A part that never comes: three target durations (1 s each here).
	start := time.Now()
	code, _ := llGet(t, m, "/index.m3u8?_HLS_msn=4&_HLS_part=0")
	if el := time.Since(start); code != http.StatusServiceUnavailable || el > 3500*time.Millisecond || el < 2*time.Second {
		t.Errorf("a part that never comes: %d after %v, want 503 after 3 target durations", code, el)
	}
	for _, bad := range []string{"_HLS_msn=x", "_HLS_part=1", "_HLS_msn=1&_HLS_part=-1", "_HLS_msn=99"} {
		if code, _ := llGet(t, m, "/index.m3u8?"+bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	m.Close()
	// After the end, a blocked request returns the final playlist.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if m.wait(ctx, 50, 0) {
		t.Error("a part after the end counts as there")
	}
}

// TestParseLLName reads part and segment names, and nothing else.
func TestParseLLName(t *testing.T) {
	for name, want := range map[string][2]int{"s0.m4s": {0, -1}, "s12.3.m4s": {12, 3}, "s7.0.m4s": {7, 0}} {
		msn, part, ok := ParseLLName(name)
		if !ok || int(msn) != want[0] || part != want[1] {
			t.Errorf("%s: %d %d %v", name, msn, part, ok)
		}
		if back := LLSegmentName(msn); part < 0 && back != name {
			t.Errorf("%s: back %s", name, back)
		}
	}
	for _, bad := range []string{"s.m4s", "s1..m4s", "s01.m4s", "s1.02.m4s", "x1.m4s", "s1.m4", "s-1.m4s", "s1.2.3.m4s", "init.mp4", "s99999999999999999999.m4s"} {
		if _, _, ok := ParseLLName(bad); ok {
			t.Errorf("%s read as a name", bad)
		}
	}
}

// FuzzLLRequest: names and queries from anywhere never panic, and a name
// read back is the name.
func FuzzLLRequest(f *testing.F) {
	f.Add("s3.1.m4s", "_HLS_msn=3&_HLS_part=1")
	f.Add("s0.m4s", "_HLS_msn=x")
	f.Add("s1.m4s", "_HLS_part=2")
	f.Fuzz(func(t *testing.T, name, query string) {
		if msn, part, ok := ParseLLName(name); ok {
			back := LLSegmentName(msn)
			if part >= 0 {
				back = LLPartName(msn, part)
			}
			if back != name {
				t.Fatalf("%q read as %d %d, which is %q", name, msn, part, back)
			}
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		if r, err := ParseLLRequest(q); err == nil && !r.Block && r.Part != -1 {
			t.Fatalf("%q: %+v", query, r)
		}
	})
}

// TestLLHTTP: unknown names are 404, other methods 405; io.Discard keeps
// the import honest for HEAD.
func TestLLHTTP(t *testing.T) {
	m := newTestLL(t)
	defer m.Close()
	if code, _ := llGet(t, m, "/nothing.ts"); code != http.StatusNotFound {
		t.Errorf("unknown name: %d", code)
	}
	w := httptest.NewRecorder()
	m.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/index.m3u8", io.NopCloser(strings.NewReader(""))))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}
