package hls

import (
	"bytes"
	"testing"
)

// The PAT and PMT FFmpeg 5.1 writes for H.264 and AAC with its default PIDs
// (ffmpeg ... -f mpegts): ours must be the same.
const (
	ffmpegPAT = "\x00\xb0\x0d\x00\x01\xc1\x00\x00\x00\x01\xf0\x00\x2a\xb1\x04\xb2"
	ffmpegPMT = "\x02\xb0\x17\x00\x01\xc1\x00\x00\xe1\x00\xf0\x00\x1b\xe1\x00\xf0\x00\x0f\xe1\x01\xf0\x00\x2f\x44\xb9\x9b"
)

func TestSections(t *testing.T) {
	if got := patSection(pidPMT); string(got) != ffmpegPAT {
		t.Errorf("PAT\ngot  % x\nwant % x", got, ffmpegPAT)
	}
	got := pmtSection(pidVideo, []pmtStream{{streamTypeH264, pidVideo}, {streamTypeAAC, pidAudio}})
	if string(got) != ffmpegPMT {
		t.Errorf("PMT\ngot  % x\nwant % x", got, ffmpegPMT)
	}
	// Audio only: the PCR on the audio PID.
	got = pmtSection(pidAudio, []pmtStream{{streamTypeAAC, pidAudio}})
	if crc32MPEG(got) != 0 || got[1] != 0xb0 || got[2] != 9+5+4 || got[8] != 0xe1 || got[9] != 0x01 {
		t.Errorf("audio-only PMT % x", got)
	}
}

func TestTables(t *testing.T) {
	for _, tc := range []struct {
		video, audio bool
		pcrPID       uint16
		streams      int
	}{
		{true, true, pidVideo, 2},
		{true, false, pidVideo, 1},
		{false, true, pidAudio, 1},
	} {
		w := newTSWriter(tc.video, tc.audio)
		d := newTSDemuxer()
		for i := 0; i < 20; i++ { // continuity counters wrap
			b := w.appendTables(nil)
			if len(b) != 2*tsPacketSize {
				t.Fatalf("tables of %d bytes", len(b))
			}
			if b[3]&0x0f != byte(i%16) || b[tsPacketSize+3]&0x0f != byte(i%16) {
				t.Errorf("tables %d: continuity counters %d and %d", i, b[3]&0x0f, b[tsPacketSize+3]&0x0f)
			}
			got, err := d.read(b)
			if err != nil {
				t.Fatal(err)
			}
			pat, pmt := got.sections[pidPAT], got.sections[pidPMT]
			if len(pat) != 1 || string(pat[0]) != ffmpegPAT || len(pmt) != 1 {
				t.Fatalf("sections %x", got.sections)
			}
			if pcr := uint16(pmt[0][8]&0x1f)<<8 | uint16(pmt[0][9]); pcr != tc.pcrPID {
				t.Errorf("PCR PID %#x, want %#x", pcr, tc.pcrPID)
			}
			if n := (len(pmt[0]) - 16) / 5; n != tc.streams {
				t.Errorf("PMT lists %d streams, want %d", n, tc.streams)
			}
		}
		if tc.video && tc.audio && !bytes.Equal(w.tables[tsPacketSize+5:tsPacketSize+5+len(ffmpegPMT)], []byte(ffmpegPMT)) {
			t.Errorf("PMT packet % x", w.tables[tsPacketSize:tsPacketSize+32])
		}
	}
}
