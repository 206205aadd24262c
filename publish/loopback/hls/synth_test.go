package hls

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
)

// Synthetic streams for the muxer tests: the NAL units are stand-ins, not
// decodable pictures, but carry the types the muxer acts on.

const (
	synthFPS = 25
	synthGOP = 25 // a keyframe every second
	synthAAC = 48000
)

func synthVideoConfig() *media.CodecConfig {
	return &media.CodecConfig{Codec: media.CodecH264, Extradata: annexB(testSPS, testPPS), Width: 320, Height: 240}
}

func synthAudioConfig(t testing.TB) *media.CodecConfig {
	asc, err := (&flv.AudioSpecificConfig{ObjectType: flv.AACObjectTypeLC, SampleRate: synthAAC, ChannelConfig: 2}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &media.CodecConfig{Codec: media.CodecAAC, Extradata: asc, SampleRate: synthAAC, Channels: 2}
}

// synthStream returns dur of packets in DTS order: video at synthFPS with
// a keyframe every synthGOP pictures (when video), AAC frames at 48 kHz
// (when audio), starting at stream time start. The first audio packet is
// 21 ms early, like FFmpeg's AAC encoder priming.
func synthStream(start, dur time.Duration, video, audio bool) []*media.Packet {
	var ps []*media.Packet
	if video {
		for i := 0; time.Duration(i)*time.Second/synthFPS < dur; i++ {
			ts := start + time.Duration(i)*time.Second/synthFPS
			p := &media.Packet{Codec: media.CodecH264, PTS: ts, DTS: ts, Data: annexB(testSEI, testNonIDR, string(esOf(2000)))}
			if i%synthGOP == 0 {
				p.Key = true
				p.Data = annexB(testSEI, testIDR, string(esOf(8000)))
			}
			ps = append(ps, p)
		}
	}
	if audio {
		frame := time.Second * aacFrameSamples / synthAAC
		for i := 0; time.Duration(i)*frame < dur; i++ {
			ts := start + time.Duration(i)*frame - 21*time.Millisecond
			ps = append(ps, &media.Packet{Codec: media.CodecAAC, PTS: ts, DTS: ts, Key: true, Data: esOf(300)})
		}
	}
	// Video first at equal times, as an encoder that starts with it.
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].DTS < ps[j].DTS })
	return ps
}

// testLogger writes to the test's log at debug level.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(b[:len(b)-1]))
	return len(b), nil
}

func newTestMuxer(t testing.TB, cfg MuxerConfig) *Muxer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	m, err := NewMuxer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func writeAll(t testing.TB, m *Muxer, ps []*media.Packet) {
	t.Helper()
	for _, p := range ps {
		if err := m.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
}

// get does a request on the muxer in memory and returns the status and
// the body.
func get(t testing.TB, m *Muxer, method, name string) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(method, "/"+name, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, body
}

// held returns the sequence numbers of the segments the muxer holds.
func held(m *Muxer) []uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var seqs []uint64
	for _, s := range m.window.segs {
		seqs = append(seqs, s.seq)
	}
	return seqs
}
