package publish

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
	"onair/publish/rtmp/chunk"
)

const testKey = "sk_live_9d2b7e41"

// Real parameter sets from libx264 (High, level 3.1, 1280x720), as in
// publish/flv's tests.
var (
	testSPS = []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60}
	testPPS = []byte{0x68, 0xef, 0x8f, 0xcb}
	testASC = []byte{0x11, 0x90} // AAC-LC, 48 kHz, stereo
)

func videoConfig() *media.CodecConfig {
	var extradata []byte
	for _, nalu := range [][]byte{testSPS, testPPS} {
		extradata = append(append(extradata, 0, 0, 0, 1), nalu...)
	}
	return &media.CodecConfig{Codec: media.CodecH264, Extradata: extradata, Width: 1280, Height: 720, FrameRate: 30, Bitrate: 2500000}
}

func audioConfig() *media.CodecConfig {
	return &media.CodecConfig{Codec: media.CodecAAC, Extradata: testASC, SampleRate: 48000, Channels: 2, Bitrate: 128000}
}

// videoPacket is a tiny H.264 access unit: an IDR slice (NAL type 5) when
// key, else a non-IDR slice (type 1). It carries id, so that the server
// side can tell packets apart, and ends in a stop bit (no zero byte that
// Annex-B parsing would trim).
func videoPacket(id int, dts time.Duration, key bool) *media.Packet {
	nal := byte(0x41)
	if key {
		nal = 0x65
	}
	return &media.Packet{Codec: media.CodecH264, DTS: dts, PTS: dts, Key: key,
		Data: []byte{0, 0, 0, 1, nal, 0x88, 0x84, byte(id >> 8), byte(id), 0x80}}
}

// audioPacket is a raw AAC access unit whose last two bytes are id.
func audioPacket(id int, dts time.Duration) *media.Packet {
	return &media.Packet{Codec: media.CodecAAC, DTS: dts, PTS: dts, Data: []byte{0x21, 0x10, byte(id >> 8), byte(id)}}
}

// tag is a media message as the server sees it.
type tag struct {
	video, key, header bool
	id                 int
	ts                 uint32
}

func (g tag) String() string {
	kind := "audio"
	if g.video {
		kind = "video"
	}
	return fmt.Sprintf("%s %d key=%v header=%v ts=%d", kind, g.id, g.key, g.header, g.ts)
}

// parseTag checks an FLV video or audio tag body sent on message stream 1
// and finds the id that videoPacket or audioPacket put in it.
func parseTag(m *chunk.Message) (tag, error) {
	g := tag{ts: m.Timestamp}
	p := m.Payload
	if m.StreamID != 1 {
		return g, fmt.Errorf("type %d on message stream %d, want 1", m.TypeID, m.StreamID)
	}
	switch m.TypeID {
	case chunk.TypeVideo:
		g.video = true
		if len(p) < 5 || (p[0] != 0x17 && p[0] != 0x27) || p[1] > 1 || p[2] != 0 || p[3] != 0 || p[4] != 0 {
			return g, fmt.Errorf("video tag % x: want AVC, key or inter frame, composition time 0", p)
		}
		g.key, g.header = p[0] == 0x17, p[1] == 0
		if g.header {
			return g, nil
		}
		// One NAL unit, 4-byte length: the slice videoPacket made.
		if len(p) != 5+4+6 || binary.BigEndian.Uint32(p[5:]) != 6 || p[10] != 0x88 || p[11] != 0x84 || p[14] != 0x80 {
			return g, fmt.Errorf("video tag % x: want one slice NAL unit in AVCC", p)
		}
		if nalType := p[9] & 0x1f; (nalType == 5) != g.key {
			return g, fmt.Errorf("video tag % x: key flag %v for NAL unit type %d", p, g.key, nalType)
		}
		g.id = int(binary.BigEndian.Uint16(p[12:]))
	case chunk.TypeAudio:
		if len(p) < 2 || p[0] != 0xaf || p[1] > 1 {
			return g, fmt.Errorf("audio tag % x: want AAC 44 kHz 16-bit stereo", p)
		}
		g.header = p[1] == 0
		if g.header {
			if !bytes.Equal(p[2:], testASC) {
				return g, fmt.Errorf("AAC sequence header % x, want % x", p[2:], testASC)
			}
			return g, nil
		}
		if len(p) != 6 || p[2] != 0x21 || p[3] != 0x10 {
			return g, fmt.Errorf("audio tag % x: want the raw access unit", p)
		}
		g.id = int(binary.BigEndian.Uint16(p[4:]))
	default:
		return g, fmt.Errorf("message type %d, want audio or video", m.TypeID)
	}
	return g, nil
}

// expectHeaders reads what must start every connection: @setDataFrame
// onMetaData, then the AVC and AAC sequence headers of the tracks there are.
func expectHeaders(t *testing.T, events <-chan event, conn int, video, audio bool) {
	t.Helper()
	e := next(t, events)
	if e.conn != conn || e.m == nil || e.m.TypeID != chunk.TypeDataAMF0 {
		t.Fatalf("first event on connection %d: %+v, want the metadata", conn, e)
	}
	vals, err := flv.UnmarshalAMF0(e.m.Payload)
	if err != nil || len(vals) != 3 || vals[0] != "@setDataFrame" || vals[1] != "onMetaData" {
		t.Fatalf("metadata: %v (%v), want @setDataFrame onMetaData {…}", vals, err)
	}
	ecma, _ := vals[2].(flv.AMF0ECMAArray)
	meta := map[string]any{}
	for _, p := range ecma {
		meta[p.Key] = p.Value
	}
	if video && (meta["width"] != 1280.0 || meta["height"] != 720.0 || meta["videocodecid"] != 7.0) {
		t.Errorf("metadata %v: want width 1280, height 720, videocodecid 7", meta)
	}
	if audio && (meta["audiocodecid"] != 10.0 || meta["audiosamplerate"] != 48000.0 || meta["stereo"] != true) {
		t.Errorf("metadata %v: want audiocodecid 10, audiosamplerate 48000, stereo", meta)
	}
	if video {
		e = next(t, events)
		if e.conn != conn || e.m == nil {
			t.Fatalf("on connection %d: %+v, want the AVC sequence header", conn, e)
		}
		g, err := parseTag(e.m)
		if err != nil || !g.video || !g.header || !g.key || g.ts != 0 {
			t.Fatalf("%v (%v), want the AVC sequence header at 0", g, err)
		}
		// AVCDecoderConfigurationRecord: version 1, profile, compatibility
		// and level from the SPS, then the SPS and PPS themselves.
		rec := e.m.Payload[5:]
		if len(rec) < 4 || rec[0] != 1 || !bytes.Equal(rec[1:4], testSPS[1:4]) ||
			!bytes.Contains(rec, testSPS) || !bytes.Contains(rec, testPPS) {
			t.Fatalf("AVC sequence header record % x does not hold the SPS and PPS", rec)
		}
	}
	if audio {
		e = next(t, events)
		if e.conn != conn || e.m == nil {
			t.Fatalf("on connection %d: %+v, want the AAC sequence header", conn, e)
		}
		g, err := parseTag(e.m)
		if err != nil || g.video || !g.header || g.ts != 0 {
			t.Fatalf("%v (%v), want the AAC sequence header at 0", g, err)
		}
	}
}

// expectTags reads n media tags from connection conn.
func expectTags(t *testing.T, events <-chan event, conn, n int) []tag {
	t.Helper()
	var tags []tag
	for len(tags) < n {
		e := next(t, events)
		if e.conn != conn || e.m == nil {
			t.Fatalf("after %d media tags: %+v, want tag %d on connection %d", len(tags), e, len(tags)+1, conn)
		}
		g, err := parseTag(e.m)
		if err != nil {
			t.Fatal(err)
		}
		if g.header {
			t.Fatalf("after %d media tags: sequence header %v", len(tags), g)
		}
		tags = append(tags, g)
	}
	return tags
}

// expectUnpublish reads FCUnpublish, deleteStream and the end of
// connection conn.
func expectUnpublish(t *testing.T, events <-chan event, conn int) {
	t.Helper()
	for _, name := range []string{"FCUnpublish", "deleteStream"} {
		e := next(t, events)
		if e.conn != conn || e.m == nil || e.m.TypeID != chunk.TypeCommandAMF0 {
			t.Fatalf("%+v, want %s on connection %d", e, name, conn)
		}
		if vals, err := flv.UnmarshalAMF0(e.m.Payload); err != nil || len(vals) == 0 || vals[0] != name {
			t.Fatalf("command %v (%v), want %s", vals, err, name)
		}
	}
	if e := next(t, events); e.conn != conn || e.m != nil || e.err != nil {
		t.Fatalf("%+v, want connection %d to end cleanly", e, conn)
	}
}

// checkTimestamps fails t unless each track's timestamps never go back.
func checkTimestamps(t *testing.T, tags []tag) {
	t.Helper()
	var last [2]uint32
	for i, g := range tags {
		track := 0
		if !g.video {
			track = 1
		}
		if g.ts < last[track] {
			t.Errorf("tag %d (%v) goes back from %d", i, g, last[track])
		}
		last[track] = g.ts
	}
}

// waitStats returns p's Stats once ok accepts them, or after a second.
func waitStats(p *Publisher, ok func(Stats) bool) Stats {
	s := p.Stats()
	for i := 0; i < 1000 && !ok(s); i++ {
		time.Sleep(time.Millisecond)
		s = p.Stats()
	}
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startPublisher(t *testing.T, cfg Config) *Publisher {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	p, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestPublisherSendsHeadersThenMedia(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, testKey, nil)
	var keyRequests atomic.Int32
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), Audio: audioConfig(),
		RequestKeyframe: func() { keyRequests.Add(1) }})
	if s := p.Stats(); s.State != StateLive || strings.Contains(s.URL, testKey) {
		t.Errorf("after Start: state %v, URL %q; want live, key masked", s.State, s.URL)
	}

	// Video at 30 fps and AAC at 1024 samples / 48 kHz, in DTS order. The
	// encoder's first AAC packet has a negative DTS (priming).
	var pushed []tag
	var videoBytes, audioBytes uint64
	vi, ai := 0, 0
	for vi < 10 {
		vdts := time.Duration(vi) * time.Second / 30
		adts := time.Duration(ai)*1024*time.Second/48000 - 21333*time.Microsecond
		if adts < vdts {
			p.Push(audioPacket(ai, adts))
			pushed = append(pushed, tag{id: ai, ts: uint32(max(adts.Round(time.Millisecond)/time.Millisecond, 0))})
			audioBytes += 2 + 4
			ai++
			continue
		}
		p.Push(videoPacket(vi, vdts, vi%5 == 0))
		pushed = append(pushed, tag{video: true, key: vi%5 == 0, id: vi, ts: uint32(vdts.Round(time.Millisecond) / time.Millisecond)})
		videoBytes += 5 + 4 + 6
		vi++
	}
	if pushed[0].video || pushed[0].ts != 0 {
		t.Fatalf("first packet %v: the test wants an AAC packet with a negative DTS first", pushed[0])
	}

	expectHeaders(t, srv.events, 1, true, true)
	got := expectTags(t, srv.events, 1, len(pushed))
	for i := range pushed {
		if got[i] != pushed[i] {
			t.Errorf("tag %d: got %v, want %v", i, got[i], pushed[i])
		}
	}
	checkTimestamps(t, got)

	// The server can have a tag before the publisher counts it.
	s := waitStats(p, func(s Stats) bool { return s.FramesSent == 10 })
	if s.State != StateLive || s.FramesSent != 10 || s.Dropped != 0 || s.VideoBytes != videoBytes || s.AudioBytes != audioBytes ||
		s.LastFrameAt != 9*time.Second/30 || s.Reconnects != 0 {
		t.Errorf("Stats() = %+v; want live, 10 frames, %d video bytes, %d audio bytes, last frame at %v",
			s, videoBytes, audioBytes, 9*time.Second/30)
	}
	if n := keyRequests.Load(); n != 0 {
		t.Errorf("RequestKeyframe called %d times; the stream started with a keyframe", n)
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectUnpublish(t, srv.events, 1)
	if err := p.Wait(); !errors.Is(err, ErrStopped) {
		t.Errorf("Wait() = %v, want ErrStopped", err)
	}
	if s := p.Stats(); s.State != StateStopped {
		t.Errorf("state after Close: %v", s.State)
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done() not closed after Close")
	}
}

func TestPublisherWaitsForKeyframe(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, testKey, nil)
	var keyRequests atomic.Int32
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), RequestKeyframe: func() { keyRequests.Add(1) }})

	const frame = time.Second / 30
	for i := 0; i < 3; i++ { // the encoder started before the publisher
		p.Push(videoPacket(i, time.Duration(i)*frame, false))
	}
	p.Push(videoPacket(3, 3*frame, true))
	p.Push(videoPacket(4, 4*frame, false))
	p.Push(videoPacket(5, 5*frame, false))

	expectHeaders(t, srv.events, 1, true, false)
	got := expectTags(t, srv.events, 1, 3)
	for i, g := range got {
		if want := 3 + i; g.id != want || g.key != (want == 3) {
			t.Errorf("tag %d: %v, want video %d (key only the first)", i, g, want)
		}
	}
	if want := uint32((3 * frame).Round(time.Millisecond) / time.Millisecond); got[0].ts != want {
		t.Errorf("first tag at %d ms, want its DTS, %d ms", got[0].ts, want)
	}
	if s := waitStats(p, func(s Stats) bool { return s.FramesSent == 3 }); s.Dropped != 3 || s.FramesSent != 3 {
		t.Errorf("Stats() = %+v, want 3 dropped, 3 sent", s)
	}
	if n := keyRequests.Load(); n != 1 {
		t.Errorf("RequestKeyframe called %d times, want once for the gap", n)
	}
	p.Close()
	expectUnpublish(t, srv.events, 1)
}

func TestPublisherCloseFlushes(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, testKey, nil)
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), Audio: audioConfig()})

	const n = 50
	for i := 0; i < n; i++ {
		d := time.Duration(i) * 10 * time.Millisecond
		if i%2 == 0 {
			p.Push(videoPacket(i, d, i == 0))
		} else {
			p.Push(audioPacket(i, d))
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectHeaders(t, srv.events, 1, true, true)
	got := expectTags(t, srv.events, 1, n)
	for i, g := range got {
		if g.id != i || g.video != (i%2 == 0) {
			t.Errorf("tag %d: %v", i, g)
		}
	}
	expectUnpublish(t, srv.events, 1)
	if s := p.Stats(); s.Dropped != 0 || s.FramesSent != n/2 {
		t.Errorf("Stats() = %+v, want nothing dropped, %d frames sent", s, n/2)
	}
}

// TestPublisherFlushTimeout: on a slow connection Close gives up sending
// the backlog after FlushTimeout.
func TestPublisherFlushTimeout(t *testing.T) {
	checkLeaks(t)
	// A server that reads 1 MB video tags at about 20 per second.
	srv := newFakeServer(t, testKey, func(conn int, m *chunk.Message) bool {
		if m.TypeID == chunk.TypeVideo {
			time.Sleep(50 * time.Millisecond)
		}
		return false
	})
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), FlushTimeout: 200 * time.Millisecond})

	const n = 40 // far more than the socket buffers hold
	data := append([]byte{0, 0, 0, 1, 0x65}, make([]byte, 1<<20)...)
	data[len(data)-1] = 0x80
	for i := 0; i < n; i++ {
		d := time.Duration(i) * time.Second / 30
		p.Push(&media.Packet{Codec: media.CodecH264, DTS: d, PTS: d, Key: true, Data: data})
	}
	start := time.Now()
	p.Close()
	d := time.Since(start)

	expectHeaders(t, srv.events, 1, true, false)
	sent := 0
	for e := next(t, srv.events); e.m != nil && e.m.TypeID == chunk.TypeVideo; e = next(t, srv.events) {
		sent++
	}
	t.Logf("Close took %v; %d of %d sent", d, sent, n)
	if sent == n {
		t.Errorf("all %d packets sent on a slow connection, in %v: Close did not stop at FlushTimeout", n, d)
	}
}

// holdHandler is a slog.Handler that holds the goroutine logging a warning
// until release is closed: a way to stop the publisher's goroutine in the
// middle of its work.
type holdHandler struct {
	held    chan struct{}
	release chan struct{}
}

func (h *holdHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *holdHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *holdHandler) WithGroup(string) slog.Handler            { return h }

func (h *holdHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		select {
		case h.held <- struct{}{}:
		default:
		}
		<-h.release
	}
	return nil
}

// TestPublisherOverflowWaitsForKeyframe: when the queue overflows and a
// video packet is lost, the pictures after it cannot be decoded: they are
// dropped until the next keyframe, which is asked for.
func TestPublisherOverflowWaitsForKeyframe(t *testing.T) {
	checkLeaks(t)
	srv := newFakeServer(t, testKey, nil)
	hold := &holdHandler{held: make(chan struct{}, 1), release: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(hold.release) }) }
	var keyRequests atomic.Int32
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), QueueSize: 4,
		Logger: slog.New(hold), RequestKeyframe: func() { keyRequests.Add(1) }})
	t.Cleanup(release) // before Close, in case the test fails while holding

	const frame = time.Second / 30
	p.Push(videoPacket(0, 0, true))
	expectHeaders(t, srv.events, 1, true, false)
	if g := expectTags(t, srv.events, 1, 1)[0]; g.id != 0 {
		t.Fatalf("got %v, want the keyframe 0", g)
	}
	// A packet the publisher cannot package makes it log a warning: hold
	// it there while the queue overflows.
	p.Push(&media.Packet{Codec: media.CodecH264, DTS: frame, PTS: frame})
	select {
	case <-hold.held:
	case <-time.After(3 * time.Second):
		t.Fatal("the publisher did not warn about an empty packet")
	}
	for i := 2; i <= 6; i++ { // 2 is pushed out of the queue of 4
		p.Push(videoPacket(i, time.Duration(i)*frame, false))
	}
	if s := p.Stats(); s.Dropped != 1 || s.QueueSpan != 3*frame {
		t.Errorf("with the queue full: Stats() = %+v, want 1 dropped, a span of %v", s, 3*frame)
	}
	release()
	p.Push(videoPacket(7, 7*frame, true))
	p.Push(videoPacket(8, 8*frame, false))
	got := expectTags(t, srv.events, 1, 2)
	if got[0].id != 7 || !got[0].key || got[1].id != 8 {
		t.Errorf("after the overflow: %v, want the keyframe 7, then 8", got)
	}
	s := waitStats(p, func(s Stats) bool { return s.FramesSent == 3 })
	if s.Dropped != 5 || s.FramesSent != 3 {
		t.Errorf("Stats() = %+v; want 5 dropped (2 by the overflow, 3..6 undecodable without it), 3 sent", s)
	}
	if n := keyRequests.Load(); n != 1 {
		t.Errorf("RequestKeyframe called %d times, want once", n)
	}
	p.Close()
	expectUnpublish(t, srv.events, 1)
}

// TestPublisherReconnects: the server drops the connection; the publisher
// reconnects to it, starts the stream over with metadata, sequence headers
// and a keyframe, and its timestamps go on.
func TestPublisherReconnects(t *testing.T) {
	checkLeaks(t)
	var avMessages atomic.Int32
	srv := newFakeServer(t, testKey, func(conn int, m *chunk.Message) bool {
		if conn != 1 || m.TypeID != chunk.TypeVideo && m.TypeID != chunk.TypeAudio {
			return false
		}
		return avMessages.Add(1) == 2+4 // the sequence headers, then 4 media tags
	})
	var keyRequests atomic.Int32
	keyWanted := make(chan struct{}, 1)
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), Audio: audioConfig(),
		ReconnectMin: 100 * time.Millisecond,
		RequestKeyframe: func() {
			keyRequests.Add(1)
			select {
			case keyWanted <- struct{}{}:
			default:
			}
		}})

	// Push like an encoder until the second connection has its first video
	// tag: a keyframe first, and one when asked for, but, as encoders do,
	// a few frames later. The frames before it cannot be sent.
	var evs []event
	states := []State{StateLive}
	secondHasVideo := false
	nextKey := 0
	deadline := time.Now().Add(4 * time.Second)
	for i := 0; !secondHasVideo; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no video on a second connection; states %v, %d events", states, len(evs))
		}
		select {
		case <-keyWanted:
			if nextKey < i {
				nextKey = i + 3
			}
		default:
		}
		d := time.Duration(i) * 10 * time.Millisecond
		p.Push(videoPacket(i, d, i == nextKey))
		p.Push(audioPacket(i, d))
		time.Sleep(2 * time.Millisecond)

		if st := p.Stats().State; st != states[len(states)-1] {
			states = append(states, st)
		}
		for len(srv.events) > 0 {
			e := <-srv.events
			evs = append(evs, e)
			if e.conn == 2 && e.m != nil {
				if g, err := parseTag(e.m); err == nil && g.video && !g.header {
					secondHasVideo = true
				}
			}
		}
	}
	s := p.Stats()
	if want := []State{StateLive, StateReconnecting, StateLive}; fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if s.Reconnects != 1 || s.LastError == "" || strings.Contains(s.LastError, testKey) {
		t.Errorf("Stats() = %+v; want 1 reconnect and why, key masked", s)
	}
	if keyRequests.Load() < 1 {
		t.Error("RequestKeyframe was not called after the reconnect")
	}
	if s.Dropped < 3 {
		t.Errorf("Stats().Dropped = %d; want at least the 3 frames before the keyframe", s.Dropped)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for e := next(t, srv.events); ; e = next(t, srv.events) {
		evs = append(evs, e)
		if e.conn == 2 && e.m == nil {
			break
		}
	}

	one, two := replay(evs, 1), replay(evs, 2)
	expectHeaders(t, one, 1, true, true)
	first := expectTags(t, one, 1, 4)
	if !first[0].video || !first[0].key {
		t.Errorf("first tag on connection 1: %v, want a keyframe", first[0])
	}
	if e := next(t, one); e.m != nil || e.conn != 1 {
		t.Fatalf("%+v after the server dropped connection 1, want its end", e)
	}

	expectHeaders(t, two, 2, true, true)
	var second []tag
	for len(two) > 3 { // FCUnpublish, deleteStream and the end remain
		second = append(second, expectTags(t, two, 2, 1)...)
	}
	expectUnpublish(t, two, 2)
	for _, g := range second {
		if g.video {
			if !g.key {
				t.Errorf("first video on connection 2: %v, want a keyframe", g)
			}
			break
		}
	}
	checkTimestamps(t, append(first, second...))
}

// TestPublisherCloseWhileReconnecting: Close does not wait out the delay
// before the next attempt.
func TestPublisherCloseWhileReconnecting(t *testing.T) {
	checkLeaks(t)
	// The server drops each connection at its first video message, the
	// AVC sequence header.
	srv := newFakeServer(t, testKey, func(conn int, m *chunk.Message) bool { return m.TypeID == chunk.TypeVideo })
	p := startPublisher(t, Config{URL: srv.url(), Video: videoConfig(), ReconnectMin: 10 * time.Second})
	if s := waitStats(p, func(s Stats) bool { return s.State == StateReconnecting }); s.State != StateReconnecting {
		t.Fatalf("state %v after the server dropped the connection, want reconnecting", s.State)
	}
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v while waiting to reconnect", d)
	}
	if err := p.Wait(); !errors.Is(err, ErrStopped) {
		t.Errorf("Wait() = %v, want ErrStopped", err)
	}
	if s := p.Stats(); s.State != StateStopped || s.Reconnects != 1 {
		t.Errorf("Stats() = %+v, want stopped after 1 reconnect", s)
	}
	p.Push(videoPacket(1, 0, true)) // after Close: dropped, does not block
}

// replay returns connection conn's events in a closed channel.
func replay(evs []event, conn int) <-chan event {
	ch := make(chan event, len(evs))
	for _, e := range evs {
		if e.conn == conn {
			ch <- e
		}
	}
	close(ch)
	return ch
}

func TestPublisherStartErrors(t *testing.T) {
	checkLeaks(t)
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "rtmp://" + ln.Addr().String() + "/live/" + testKey
	ln.Close()

	cases := []struct {
		name string
		cfg  Config
		is   error
		want string
	}{
		{"refused", Config{URL: refused, Video: videoConfig()}, nil, "cannot connect"},
		{"bad URL", Config{URL: "http://h/live/" + testKey, Video: videoConfig()}, ErrBadURL, "unsupported scheme"},
		{"no tracks", Config{URL: refused}, nil, "nothing to publish"},
	}
	for _, c := range cases {
		c.cfg.Logger = quietLogger()
		start := time.Now()
		p, err := Start(context.Background(), c.cfg)
		if err == nil {
			p.Close()
			t.Errorf("%s: Start succeeded", c.name)
			continue
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: Start took %v to fail", c.name, d)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want %v", c.name, err, c.is)
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), testKey) {
			t.Errorf("%s: %q, want it to say %q and hide the key", c.name, err, c.want)
		}
	}
}
