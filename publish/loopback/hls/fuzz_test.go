package hls

import (
	"testing"
	"time"

	"onair/internal/media"
)

// FuzzWritePacket writes arbitrary data as H.264 and AAC packets at
// arbitrary times: WritePacket may fail but never panics, and what it
// wrote is always well-formed MPEG-TS.
func FuzzWritePacket(f *testing.F) {
	f.Add(annexB(testSEI, testIDR), true, int64(0), int64(0))
	f.Add(annexB(testAUD, testNonIDR), false, int64(40*time.Millisecond), int64(40*time.Millisecond))
	f.Add(annexB(testSPS, testPPS, testIDR), false, int64(-time.Second), int64(time.Second))
	f.Add([]byte("\x00\x00\x01"), true, int64(2*time.Second), int64(-time.Hour))
	f.Add(esOf(500), true, int64(time.Hour), int64(time.Hour+time.Millisecond))
	f.Fuzz(func(t *testing.T, data []byte, key bool, dts, delta int64) {
		m, err := NewMuxer(MuxerConfig{Video: synthVideoConfig(), Audio: synthAudioConfig(t),
			TargetDuration: time.Millisecond, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		// A keyframe to start, then the fuzzed packets, then another
		// keyframe to cut after them.
		idr := &media.Packet{Codec: media.CodecH264, Key: true, Data: annexB(testIDR)}
		if err := m.WritePacket(idr); err != nil {
			t.Fatal(err)
		}
		for _, c := range []media.Codec{media.CodecH264, media.CodecAAC} {
			m.WritePacket(&media.Packet{Codec: c, Key: key, DTS: time.Duration(dts), PTS: time.Duration(dts + delta), Data: data})
		}
		end := &media.Packet{Codec: media.CodecH264, Key: true, DTS: time.Duration(dts) + time.Second, PTS: time.Duration(dts) + time.Second, Data: annexB(testIDR)}
		m.WritePacket(end)
		m.Close()
		d := newTSDemuxer()
		for _, s := range m.window.segs {
			if _, err := d.read(s.data); err != nil {
				t.Fatalf("segment %d: %v", s.seq, err)
			}
		}
	})
}
