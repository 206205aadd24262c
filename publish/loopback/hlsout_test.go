package loopback

import (
	"bytes"
	"errors"
	"testing"

	"onair/internal/media"
	"onair/publish/flv"
)

// TestToPacketLengthSizes: an H.264 picture is read with the NAL unit
// length size of its sequence header, and empty NAL units are skipped.
func TestToPacketLengthSizes(t *testing.T) {
	tag := []byte{0x17, 1, 0, 0, 0} // keyframe, AVC NALU, composition time 0
	want := flv.JoinAnnexB([][]byte{{0x65, 0x88}, {0x06, 0x05}})
	for _, c := range []struct {
		name       string
		lengthSize int
		avcc       []byte
	}{
		{"1-byte lengths", 1, []byte{2, 0x65, 0x88, 0, 2, 0x06, 0x05}},
		{"2-byte lengths", 2, []byte{0, 2, 0x65, 0x88, 0, 0, 0, 2, 0x06, 0x05}},
		{"4-byte lengths", 4, []byte{0, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 2, 0x06, 0x05, 0, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := &Unit{Kind: KindVideo, Body: append(append([]byte{}, tag...), c.avcc...)}
			p, err := toPacket(u, c.lengthSize)
			if err != nil || p == nil || p.Codec != media.CodecH264 || !bytes.Equal(p.Data, want) {
				t.Fatalf("toPacket = %+v, %v; want Annex-B % x", p, err, want)
			}
		})
	}
	// Read with the wrong length size, the picture is unusable: an error,
	// which the caller counts.
	u := &Unit{Kind: KindVideo, Body: append(append([]byte{}, tag...), 0, 0, 0, 9, 0x65)}
	if _, err := toPacket(u, 4); !errors.Is(err, flv.ErrTruncated) {
		t.Errorf("truncated picture: err %v, want ErrTruncated", err)
	}
}

// TestVideoConfigLengthSize: the length size comes from the record.
func TestVideoConfigLengthSize(t *testing.T) {
	for _, minusOne := range []uint8{0, 1, 3} {
		rec := flv.AVCDecoderConfigurationRecord{ProfileIndication: 0x64, LevelIndication: 0x1f, LengthSizeMinusOne: minusOne,
			SPS: [][]byte{{0x67, 0x64, 0, 0x1f}}, PPS: [][]byte{{0x68, 0xeb}}}
		b, err := rec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		u := &Unit{Kind: KindVideo, Header: true, Body: append([]byte{0x17, 0, 0, 0, 0}, b...)}
		if c, n := videoConfig(u, 4); c == nil || n != int(minusOne)+1 {
			t.Errorf("LengthSizeMinusOne %d: config %v, length size %d", minusOne, c, n)
		}
	}
	if c, n := videoConfig(&Unit{Kind: KindVideo, Body: []byte{0x17}}, 2); c != nil || n != 2 {
		t.Errorf("bad header: config %v, length size %d, want nil and 2 kept", c, n)
	}
}

// TestHLSSkipCounts: a skipped unit is counted, and logged.
func TestHLSSkipCounts(t *testing.T) {
	var o hlsOut
	o.skip(discardLogger(), "s", errors.New("bad"))
	o.skip(nil, "s", errors.New("bad"))
	if n := o.skipped.Load(); n != 2 {
		t.Errorf("skipped = %d, want 2", n)
	}
}
