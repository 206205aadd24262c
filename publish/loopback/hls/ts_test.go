package hls

import (
	"bytes"
	"testing"
)

// esOf returns n bytes of elementary stream data that look like nothing
// in particular.
func esOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

// TestPESPacketization writes PES packets of every size around the packet
// boundaries and reads them back: 188-byte packets with sync bytes,
// continuity counters per PID, the PCR and random access flag on the first
// packet only, stuffing in the last.
func TestPESPacketization(t *testing.T) {
	w := newTSWriter(true, true)
	d := newTSDemuxer()
	var sizes []int
	for n := 0; n < 3*tsPacketSize; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 65535, 65536, 100000)
	for i, n := range sizes {
		dts := ticks(timestampOffset) + int64(i)*3600
		pts := dts + 3600*int64(i%2)
		key := i%5 == 0
		es := esOf(n)
		b := w.appendPES(nil, w.video, streamIDVideo, pts, dts, key, es)
		audio := esOf(n % 400)
		b = w.appendPES(b, w.audio, streamIDAudio, dts, dts, true, audio)

		got, err := d.read(b)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if len(got.pes) != 2 {
			t.Fatalf("size %d: %d PES", n, len(got.pes))
		}
		v, a := got.pes[0], got.pes[1]
		if v.pid != pidVideo || v.streamID != streamIDVideo || !bytes.Equal(v.data, es) {
			t.Errorf("size %d: video PES pid %#x stream %#x, %d bytes", n, v.pid, v.streamID, len(v.data))
		}
		if v.pts != pts || v.dts != dts || v.hasDTS != (pts != dts) {
			t.Errorf("size %d: PTS %d DTS %d (%v), want %d %d", n, v.pts, v.dts, v.hasDTS, pts, dts)
		}
		if !v.hasPCR || v.pcr != dts-ticks(pcrDelay) || v.randomAccess != key {
			t.Errorf("size %d: PCR %v %d, random access %v", n, v.hasPCR, v.pcr, v.randomAccess)
		}
		if a.pid != pidAudio || a.streamID != streamIDAudio || !bytes.Equal(a.data, audio) || a.pts != dts || a.hasDTS {
			t.Errorf("size %d: audio PES %+v", n, a)
		}
		if a.hasPCR || !a.randomAccess {
			t.Errorf("size %d: audio PES with PCR %v, random access %v", n, a.hasPCR, a.randomAccess)
		}
		// As few packets as the data needs: the header, the adaptation
		// field (2 bytes and the PCR, or the random access flag) and the
		// data, in 184-byte payloads.
		hdr := 14
		if pts != dts {
			hdr = 19
		}
		want := (hdr+n+8+tsPayloadSize-1)/tsPayloadSize + (14+len(audio)+2+tsPayloadSize-1)/tsPayloadSize
		if got.packets != want {
			t.Errorf("size %d: %d packets, want %d", n, got.packets, want)
		}
	}
}

// TestPCRPace checks that the PCR keeps its pace when video is slow: a
// packet with only a PCR goes out on the video PID before audio when the
// last PCR is pcrInterval old, and PCRs never go back.
func TestPCRPace(t *testing.T) {
	w := newTSWriter(true, true)
	d := newTSDemuxer()
	var b []byte
	start := ticks(timestampOffset)
	// One picture every 500 ms, audio every 21.3 ms, for 5 s.
	nextVideo := int64(0)
	for at := int64(0); at < 5*90000; at += 1920 {
		if at >= nextVideo {
			b = w.appendPES(b, w.video, streamIDVideo, start+nextVideo, start+nextVideo, true, esOf(3000))
			nextVideo += 45000
		}
		b = w.appendPES(b, w.audio, streamIDAudio, start+at, start+at, true, esOf(300))
	}
	got, err := d.read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.pcrs) < 50 {
		t.Fatalf("%d PCRs in 5 s", len(got.pcrs))
	}
	for i := 1; i < len(got.pcrs); i++ {
		if got.pcrPIDs[i] != pidVideo {
			t.Fatalf("PCR on PID %#x", got.pcrPIDs[i])
		}
		gap := got.pcrs[i] - got.pcrs[i-1]
		if gap < 0 || gap > ticks(pcrInterval)+1920 {
			t.Errorf("PCR %d: %d after the previous one", i, gap)
		}
	}
	// Every PES on the video PID still reads back whole.
	for _, e := range got.pes {
		if e.pid == pidVideo && len(e.data) != 3000 {
			t.Errorf("video PES of %d bytes", len(e.data))
		}
	}
}

// TestAudioOnlyPCR checks that without video the PCR travels with audio.
func TestAudioOnlyPCR(t *testing.T) {
	w := newTSWriter(false, true)
	start := ticks(timestampOffset)
	var b []byte
	for i := int64(0); i < 10; i++ {
		b = w.appendPES(b, w.audio, streamIDAudio, start+i*1920, start+i*1920, true, esOf(200))
	}
	got, err := newTSDemuxer().read(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got.pes {
		if !e.hasPCR || e.pcr != max(e.dts-ticks(pcrDelay), 0) {
			t.Errorf("audio PES %d: PCR %v %d", i, e.hasPCR, e.pcr)
		}
	}
	if len(got.pcrs) != 10 {
		t.Errorf("%d PCRs", len(got.pcrs))
	}
}

func TestPCRBytes(t *testing.T) {
	af := make([]byte, 8)
	// 0x1_2345_6789 ticks.
	writeAdaptationField(af, afPCR|afRandomAccess, 0x123456789)
	want := "\x07\x50\x91\xa2\xb3\xc4\xfe\x00"
	if string(af) != want {
		t.Errorf("got % x, want % x", af, want)
	}
}
