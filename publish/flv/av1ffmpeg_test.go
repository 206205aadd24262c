package flv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/media"
)

// TestFFmpegAV1 encodes three frames with SVT-AV1 (the encoder OnAir uses),
// builds the av1C record from the stream's sequence header OBU and checks
// it against the av1C FFmpeg's MP4 muxer writes for the same stream; then
// sends each temporal unit through VideoPacketBody and ParseVideo.
func TestFFmpegAV1(t *testing.T) {
	ffmpeg := ffmpegTool(t, "ffmpeg")
	dir := t.TempDir()
	obu, mp4 := filepath.Join(dir, "out.obu"), filepath.Join(dir, "out.mp4")
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
		"-frames:v", "3", "-c:v", "libsvtav1", "-preset", "12", "-f", "obu", obu)
	run("-nostdin", "-loglevel", "error", "-i", obu, "-c", "copy", mp4)
	stream, err := os.ReadFile(obu)
	if err != nil {
		t.Fatal(err)
	}
	obus, err := splitOBUs(stream)
	if err != nil {
		t.Fatal(err)
	}
	var seqOBU []byte
	units := 0
	for _, o := range obus {
		switch (o[0] >> 3) & 0x0f {
		case 1:
			if seqOBU == nil {
				seqOBU = o
			}
		case 2: // temporal delimiter
			units++
		}
	}
	if seqOBU == nil || units != 3 {
		t.Fatalf("%d temporal units, sequence header %v", units, seqOBU != nil)
	}
	record, err := NewAV1CodecConfigurationRecord(seqOBU)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(mp4)
	if err != nil {
		t.Fatal(err)
	}
	if box := mp4Box(t, file, "av1C"); !bytes.Equal(record, box) {
		t.Fatalf("record % x, FFmpeg's av1C % x", record, box)
	}
	if w, h, ok := AV1RecordSize(record); !ok || w != 640 || h != 360 {
		t.Errorf("size from the record: %dx%d %v, want 640x360", w, h, ok)
	}
	if again, err := NewAV1CodecConfigurationRecord(record); err != nil || !bytes.Equal(again, record) {
		t.Errorf("a record given as extradata: % x, %v", again, err)
	}
	seq, err := VideoSequenceHeader(&media.CodecConfig{Codec: media.CodecAV1, Extradata: seqOBU})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := ParseVideo(seq); err != nil || !info.Header || info.Codec != media.CodecAV1 || !bytes.Equal(info.Data, record) {
		t.Fatalf("sequence header: %+v, %v", info, err)
	}
	body, _, err := VideoPacketBody(&media.Packet{Codec: media.CodecAV1, Key: true, Data: stream})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := ParseVideo(body); err != nil || info.Codec != media.CodecAV1 || !info.Key || !bytes.Equal(info.Data, stream) {
		t.Fatalf("coded frames: %+v, %v", info, err)
	}
}

// FuzzNewAV1CodecConfigurationRecord: any extradata gives a record that
// begins with the av1C marker and holds a sequence header OBU, or an
// error; never a panic.
func FuzzNewAV1CodecConfigurationRecord(f *testing.F) {
	for _, seed := range []string{
		"0a 0b 00 00 00 02 af ff 9b 5f 30 08",             // a sequence header OBU (profile 0)
		"12 00 0a 0b 00 00 00 02 af ff 9b 5f 30 08",       // after a temporal delimiter
		"81 00 0c 00 0a 0b 00 00 00 02 af ff 9b 5f 30 08", // a record already
		"0a 0b 00 00", "08 00", "0a ff ff ff ff ff ff ff ff ff", "",
	} {
		f.Add(hexBytes(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewAV1CodecConfigurationRecord(b)
		if err != nil {
			return
		}
		if len(r) < 4 || r[0] != av1CMarker {
			t.Fatalf("record % x from % x", r, b)
		}
	})
}
