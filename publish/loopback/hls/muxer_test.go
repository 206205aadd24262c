package hls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
)

// TestMuxerSegments feeds 10 s of video and audio and reads every segment
// back: each begins with the PAT, the PMT and a keyframe that carries an
// AUD, the SPS and the PPS; continuity counters run on from segment to
// segment; timestamps begin at the offset.
func TestMuxerSegments(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t), WindowSize: 20})
	start := 5 * time.Second // any stream clock
	writeAll(t, m, synthStream(start, 10*time.Second, true, true))
	m.Close()

	m.mu.Lock()
	segs := append([]*segment(nil), m.window.segs...)
	m.mu.Unlock()
	if len(segs) != 10 {
		t.Fatalf("%d segments, want 10", len(segs))
	}
	d := newTSDemuxer()
	var videoPES, audioPES int
	for i, s := range segs {
		if s.seq != uint64(i) {
			t.Errorf("segment %d has number %d", i, s.seq)
		}
		// The last one ends after its last picture.
		if s.dur != time.Second {
			t.Errorf("segment %d lasts %v, want 1s", i, s.dur)
		}
		got, err := d.read(s.data)
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		if pid := uint16(s.data[1]&0x1f)<<8 | uint16(s.data[2]); pid != pidPAT {
			t.Errorf("segment %d begins with PID %#x", i, pid)
		}
		if pid := uint16(s.data[tsPacketSize+1]&0x1f)<<8 | uint16(s.data[tsPacketSize+2]); pid != pidPMT {
			t.Errorf("segment %d: second packet on PID %#x", i, pid)
		}
		first := got.pes[0]
		wantAU := annexB(audNALU, testSPS, testPPS, testSEI, testIDR)
		if first.pid != pidVideo || !first.randomAccess || !first.hasPCR || !bytes.HasPrefix(first.data, wantAU) {
			t.Errorf("segment %d begins with PES on %#x (random access %v, PCR %v): % x",
				i, first.pid, first.randomAccess, first.hasPCR, first.data[:min(len(first.data), 40)])
		}
		wantDTS := ticks(timestampOffset) + int64(i)*90000
		if first.dts != wantDTS || first.pts != wantDTS {
			t.Errorf("segment %d: first DTS %d, want %d", i, first.dts, wantDTS)
		}
		for _, e := range got.pes {
			switch e.pid {
			case pidVideo:
				videoPES++
				if !bytes.HasPrefix(e.data, []byte(annexBStartCode+audNALU)) {
					t.Errorf("video PES without AUD: % x", e.data[:8])
				}
			case pidAudio:
				audioPES++
				if len(e.data) != 307 || e.data[0] != 0xff || e.data[1] != 0xf1 {
					t.Errorf("audio PES of %d bytes: % x", len(e.data), e.data[:7])
				}
				if e.pts < ticks(timestampOffset-21*time.Millisecond) {
					t.Errorf("audio PTS %d", e.pts)
				}
			}
		}
	}
	// The first audio frame, 21 ms before the first keyframe, is dropped.
	if videoPES != 250 || audioPES != 468 {
		t.Errorf("%d video and %d audio PES, want 250 and 468", videoPES, audioPES)
	}
	_, _, body := get(t, m, http.MethodGet, "index.m3u8")
	if !strings.HasSuffix(string(body), "seg9.ts\n#EXT-X-ENDLIST\n") || !strings.Contains(string(body), "#EXT-X-TARGETDURATION:1\n") {
		t.Errorf("playlist\n%s", body)
	}
}

// TestMuxerWindow checks the sliding window as segments come: at most
// WindowSize in the playlist, the media sequence following, expired
// segments served for graceSegments more and then 404, no more held.
func TestMuxerWindow(t *testing.T) {
	const window = 3
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t), WindowSize: window})
	ps := synthStream(0, 12*time.Second, true, true)
	published := 0
	for _, p := range ps {
		if err := m.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		n := len(held(m))
		if n == 0 {
			continue
		}
		last := held(m)[n-1]
		if int(last)+1 == published {
			continue
		}
		published = int(last) + 1
		if n > window+graceSegments {
			t.Fatalf("%d segments held, at most %d", n, window+graceSegments)
		}
		code, _, body := get(t, m, http.MethodGet, "index.m3u8")
		if code != http.StatusOK {
			t.Fatalf("playlist: %d", code)
		}
		wantSeq := max(0, published-window)
		var want strings.Builder
		fmt.Fprintf(&want, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:%d\n", wantSeq)
		for s := wantSeq; s < published; s++ {
			fmt.Fprintf(&want, "#EXTINF:1.000,\nseg%d.ts\n", s)
		}
		if string(body) != want.String() {
			t.Fatalf("after %d segments, playlist\n%s\nwant\n%s", published, body, want.String())
		}
		for s := 0; s <= published; s++ {
			code, h, _ := get(t, m, http.MethodGet, segmentName(uint64(s)))
			wantCode := http.StatusOK
			if s < published-window-graceSegments || s == published {
				wantCode = http.StatusNotFound
			}
			if code != wantCode {
				t.Errorf("after %d segments, seg%d.ts: %d, want %d", published, s, code, wantCode)
			}
			if code == http.StatusOK && h.Get("Content-Type") != "video/mp2t" {
				t.Errorf("Content-Type %q", h.Get("Content-Type"))
			}
		}
	}
	if published != 11 {
		t.Errorf("%d segments published before Close, want 11", published)
	}
	m.Close()
	if got := held(m); len(got) != window+graceSegments || got[len(got)-1] != 11 {
		t.Errorf("held after Close: %v", got)
	}
}

// TestMuxerStartsAtKeyframe drops what comes before the first keyframe,
// audio included.
func TestMuxerStartsAtKeyframe(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t)})
	ps := synthStream(0, 3*time.Second, true, true)
	var skipped int
	for _, p := range ps {
		// Join at the second keyframe: 1 s in.
		if p.DTS < time.Second && p.Codec == media.CodecH264 {
			p.Key = false
			p.Data = annexB(testNonIDR)
		}
		if p.DTS < time.Second {
			skipped++
		}
	}
	writeAll(t, m, ps)
	m.Close()
	if m.skipped != skipped {
		t.Errorf("skipped %d packets, want %d", m.skipped, skipped)
	}
	segs := held(m)
	if len(segs) != 2 {
		t.Fatalf("segments %v", segs)
	}
	got, err := newTSDemuxer().read(m.window.segs[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if e := got.pes[0]; e.pid != pidVideo || !e.randomAccess || e.dts != ticks(timestampOffset) {
		t.Errorf("first PES %+v", e)
	}
}

// TestMuxerAudioOnly cuts on time.
func TestMuxerAudioOnly(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Audio: synthAudioConfig(t), TargetDuration: 500 * time.Millisecond})
	writeAll(t, m, synthStream(0, 3*time.Second, false, true))
	m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	frame := time.Second * aacFrameSamples / synthAAC
	var total time.Duration
	for _, s := range m.window.segs {
		if s.dur < 500*time.Millisecond && s.seq != m.window.segs[len(m.window.segs)-1].seq || s.dur >= 500*time.Millisecond+frame {
			t.Errorf("segment %d lasts %v", s.seq, s.dur)
		}
		got, err := newTSDemuxer().read(s.data)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.pcrs) == 0 || got.pcrPIDs[0] != pidAudio {
			t.Errorf("segment %d: PCRs %v on %v", s.seq, got.pcrs, got.pcrPIDs)
		}
		total += s.dur
	}
	if n := len(m.window.segs); n != 6 {
		t.Errorf("%d segments, want 6", n)
	}
	if total < 3*time.Second-frame || total > 3*time.Second+frame {
		t.Errorf("segments last %v in all", total)
	}
}

// TestMuxerForcedCut bounds a segment when no keyframe comes.
func TestMuxerForcedCut(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig(), TargetDuration: 100 * time.Millisecond})
	ps := synthStream(0, 5*time.Second, true, false)
	for _, p := range ps[1:] {
		p.Key, p.Data = false, annexB(testNonIDR)
	}
	writeAll(t, m, ps)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.window.segs) != 4 {
		t.Fatalf("%d segments", len(m.window.segs))
	}
	for _, s := range m.window.segs {
		if s.dur != time.Second {
			t.Errorf("segment %d lasts %v, want 1s", s.seq, s.dur)
		}
	}
}

func TestMuxerErrors(t *testing.T) {
	if _, err := NewMuxer(MuxerConfig{}); !errors.Is(err, ErrNoTracks) {
		t.Errorf("no tracks: %v", err)
	}
	for _, cfg := range []MuxerConfig{
		{Video: &media.CodecConfig{Codec: media.CodecAAC}},
		{Audio: &media.CodecConfig{Codec: media.CodecH264}},
		{Audio: &media.CodecConfig{Codec: media.CodecAAC, Extradata: []byte{0x2b, 0x92, 0x08, 0x00}}}, // HE-AAC
	} {
		if _, err := NewMuxer(cfg); !errors.Is(err, ErrUnsupportedCodec) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if _, err := NewMuxer(MuxerConfig{Audio: &media.CodecConfig{Codec: media.CodecAAC, Extradata: []byte{0}}}); !errors.Is(err, flv.ErrInvalidASC) {
		t.Errorf("bad ASC: %v", err)
	}
	if _, err := NewMuxer(MuxerConfig{Audio: &media.CodecConfig{Codec: media.CodecAAC}}); !errors.Is(err, flv.ErrOutOfRange) {
		t.Errorf("AAC without extradata or rate: %v", err)
	}
	if _, err := NewMuxer(MuxerConfig{Video: &media.CodecConfig{Codec: media.CodecH264, Extradata: []byte{0x67}}}); !errors.Is(err, flv.ErrNoStartCode) {
		t.Errorf("bad H.264 extradata: %v", err)
	}
	// AAC from SampleRate and Channels.
	m := newTestMuxer(t, MuxerConfig{Audio: &media.CodecConfig{Codec: media.CodecAAC, SampleRate: 44100, Channels: 2}})
	if m.adts != (adtsConfig{profile: 1, sampleRateIndex: 4, channelConfig: 2, sampleRate: 44100}) {
		t.Errorf("ADTS %+v", m.adts)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecH264, Data: annexB(testIDR)}); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("video packet to audio-only muxer: %v", err)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC}); !errors.Is(err, flv.ErrEmptyPacket) {
		t.Errorf("empty AAC: %v", err)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC, Data: make([]byte, 9000)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("large AAC: %v", err)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC, Data: esOf(10)}); err != nil {
		t.Fatal(err)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC, DTS: -11 * time.Second, PTS: -11 * time.Second, Data: esOf(10)}); !errors.Is(err, ErrTimestamp) {
		t.Errorf("early packet: %v", err)
	}
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC, DTS: -9 * time.Second, PTS: -9 * time.Second, Data: esOf(10)}); err != nil {
		t.Errorf("packet within the offset: %v", err)
	}
	m.Close()
	m.Close()
	if err := m.WritePacket(&media.Packet{Codec: media.CodecAAC, Data: esOf(10)}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	v := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig()})
	if err := v.WritePacket(&media.Packet{Codec: media.CodecH264, Data: []byte{0x65}}); !errors.Is(err, flv.ErrNoStartCode) {
		t.Errorf("bad H.264 packet: %v", err)
	}
}

// TestMuxerCloseEstimatesLastSegment: the last segment ends one frame
// after its last packet.
func TestMuxerCloseEstimatesLastSegment(t *testing.T) {
	m := newTestMuxer(t, MuxerConfig{Video: synthVideoConfig()})
	writeAll(t, m, synthStream(0, 1400*time.Millisecond, true, false))
	m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.window.segs); n != 2 || m.window.segs[1].dur != 400*time.Millisecond {
		t.Errorf("segments: %d, last lasts %v", n, m.window.segs[n-1].dur)
	}
	if !bytes.HasSuffix(m.playlist, []byte("#EXTINF:0.400,\nseg1.ts\n#EXT-X-ENDLIST\n")) {
		t.Errorf("playlist\n%s", m.playlist)
	}
}

// BenchmarkWritePacket writes 100 kB pictures, a keyframe every 25, with
// segments of 1 s.
func BenchmarkWritePacket(b *testing.B) {
	m, err := NewMuxer(MuxerConfig{Video: synthVideoConfig(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	key := &media.Packet{Codec: media.CodecH264, Key: true, Data: annexB(testSEI, testIDR, string(esOf(100_000-20)))}
	inter := &media.Packet{Codec: media.CodecH264, Data: annexB(testNonIDR, string(esOf(100_000-10)))}
	b.SetBytes(int64(len(inter.Data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := inter
		if i%synthGOP == 0 {
			p = key
		}
		p.DTS = time.Duration(i) * time.Second / synthFPS
		p.PTS = p.DTS
		if err := m.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}
