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

// ffmpegTool finds an FFmpeg program; without it the test fails: the HEVC
// checks below need real libx265 output.
func ffmpegTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): apt-get install ffmpeg", name, err)
	}
	return path
}

// TestFFmpegHEVC encodes three frames with libx265, builds the
// HEVCDecoderConfigurationRecord from the VPS, SPS and PPS of the Annex-B
// stream, and checks it against ffprobe and against the hvcC FFmpeg's MP4
// muxer writes for the same stream; then sends every access unit through
// VideoPacketBody and ParseVideo.
func TestFFmpegHEVC(t *testing.T) {
	ffmpeg, ffprobe := ffmpegTool(t, "ffmpeg"), ffmpegTool(t, "ffprobe")
	dir := t.TempDir()
	hevc, mp4 := filepath.Join(dir, "out.hevc"), filepath.Join(dir, "out.mp4")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(ffmpeg, "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
		"-frames:v", "3", "-c:v", "libx265", "-x265-params", "log-level=error", "-f", "hevc", hevc)
	run(ffmpeg, "-nostdin", "-loglevel", "error", "-i", hevc, "-c", "copy", "-tag:v", "hvc1", mp4)
	probe := map[string]string{}
	for _, line := range strings.Split(run(ffprobe, "-v", "error", "-show_streams", hevc), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			probe[k] = v
		}
	}

	stream, err := os.ReadFile(hevc)
	if err != nil {
		t.Fatal(err)
	}
	nalus, err := SplitAnnexB(stream)
	if err != nil {
		t.Fatal(err)
	}
	var params [][]byte
	// Access units: a new one at the first NAL unit after a picture's
	// slices, or at a slice with first_slice_segment_in_pic_flag.
	units := [][][]byte{nil}
	hasSlice := false
	for _, nalu := range nalus {
		typ := HEVCNALUTypeOf(nalu)
		if typ >= HEVCNALUTypeVPS && typ <= HEVCNALUTypePPS {
			params = append(params, nalu)
		}
		slice := typ < HEVCNALUTypeVPS
		if hasSlice && (!slice || len(nalu) > 2 && nalu[2]&0x80 != 0) {
			units = append(units, nil)
			hasSlice = false
		}
		hasSlice = hasSlice || slice
		units[len(units)-1] = append(units[len(units)-1], nalu)
	}
	r, err := NewHEVCDecoderConfigurationRecord(JoinAnnexB(params))
	if err != nil {
		t.Fatal(err)
	}
	w, h, ok := HEVCSPSSize(r.NALUs(HEVCNALUTypeSPS)[0])
	profiles := map[uint8]string{1: "Main", 2: "Main 10", 3: "Main Still Picture", 4: "Rext"}
	if !ok || probe["width"] != itoa(w) || probe["height"] != itoa(h) ||
		probe["profile"] != profiles[r.GeneralProfileIDC] || probe["level"] != itoa(int(r.GeneralLevelIDC)) ||
		probe["pix_fmt"] != "yuv420p" || r.ChromaFormat != 1 || r.BitDepthLumaMinus8 != 0 {
		t.Fatalf("record %+v, size %dx%d; ffprobe %v", r, w, h, probe)
	}
	record, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(mp4)
	if err != nil {
		t.Fatal(err)
	}
	if box := mp4Box(t, file, "hvcC"); !bytes.Equal(record, box) {
		t.Fatalf("record % x, FFmpeg's hvcC % x", record, box)
	}

	seq, err := VideoSequenceHeader(&media.CodecConfig{Codec: media.CodecHEVC, Extradata: JoinAnnexB(params)})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := ParseVideo(seq); err != nil || !info.Header || !bytes.Equal(info.Data, record) {
		t.Fatalf("sequence header: %+v, %v", info, err)
	}
	if len(units) != 3 {
		t.Fatalf("%d access units, want 3", len(units))
	}
	for n, unit := range units {
		body, _, err := VideoPacketBody(&media.Packet{Codec: media.CodecHEVC, Data: JoinAnnexB(unit)})
		if err != nil {
			t.Fatal(err)
		}
		info, err := ParseVideo(body)
		if err != nil {
			t.Fatal(err)
		}
		if info.Codec != media.CodecHEVC || info.Key != (n == 0) || info.Header || info.End {
			t.Fatalf("access unit %d: %+v", n, info)
		}
		got, err := UnmarshalAVCC(info.Data, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, nalu := range got {
			if typ := HEVCNALUTypeOf(nalu); typ >= HEVCNALUTypeVPS && typ <= HEVCNALUTypeAUD {
				t.Fatalf("access unit %d keeps NAL unit type %d", n, typ)
			}
		}
	}
}

// mp4Box is the payload of the first box of the type in an MP4 file, found
// by its type bytes (enough for the sample entry's configuration boxes).
func mp4Box(t *testing.T, file []byte, typ string) []byte {
	t.Helper()
	i := bytes.Index(file, []byte(typ))
	if i < 4 {
		t.Fatalf("no %s box in FFmpeg's MP4", typ)
	}
	size := int(file[i-4])<<24 | int(file[i-3])<<16 | int(file[i-2])<<8 | int(file[i-1])
	if size < 8 || i-4+size > len(file) {
		t.Fatalf("%s box of %d bytes at %d in %d", typ, size, i-4, len(file))
	}
	return file[i+4 : i-4+size]
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
