package player

import (
	"context"
	"errors"
	"testing"

	"github.com/asticode/go-astiav"
)

// fuzzTags splits b into FLV tags: per tag a kind byte (audio, video or
// data by its value mod 3), a 16-bit timestamp, a length byte and the body.
func fuzzTags(b []byte) []flvTag {
	var tags []flvTag
	for len(b) >= 4 {
		kind := [...]uint8{8, 9, 18}[b[0]%3]
		ts := uint32(b[1])<<8 | uint32(b[2])
		n := min(int(b[3]), len(b)-4)
		tags = append(tags, flvTag{kind: kind, ts: ts, body: b[4 : 4+n]})
		b = b[4+n:]
	}
	return tags
}

// FuzzFLVDemuxer feeds the player's FLV demuxer arbitrary tags (sequence
// headers, frames, metadata): it opens or says why not, and reads packets
// until the tags end, without crashing.
func FuzzFLVDemuxer(f *testing.F) {
	avcHeader := []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80}
	aacHeader := []byte{0xaf, 0, 0x11, 0x90}
	meta := []byte{2, 0, 10, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a', 8, 0, 0, 0, 1, 0, 8, 'd', 'u', 'r', 'a', 't', 'i', 'o', 'n', 0, 0x40, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0, 9}
	frame := []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 5, 0x65, 0x88, 0x84, 0, 0x10}
	audio := []byte{0xaf, 1, 0x21, 0x10, 0x04}
	tag := func(kind byte, body []byte) []byte { return append([]byte{kind, 0, 0, byte(len(body))}, body...) }
	var seed []byte
	for _, t := range [][]byte{tag(2, meta), tag(0, avcHeader), tag(1, aacHeader), tag(0, frame), tag(1, audio), tag(0, frame)} {
		seed = append(seed, t...)
	}
	f.Add(seed)
	f.Add(tag(1, []byte{0x2f, 0xff, 0xfb, 0x90, 0x64})) // legacy MP3
	f.Add(tag(0, []byte{0x90, 'h', 'v', 'c', '1', 1, 2, 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags := fuzzTags(b)
		next := func() (flvTag, error) {
			if len(tags) == 0 {
				return flvTag{}, astiav.ErrEof
			}
			t := tags[0]
			tags = tags[1:]
			return t, nil
		}
		fc := astiav.AllocFormatContext()
		d := newFLVDemuxer(fc, next)
		defer d.close()
		if err := d.open(context.Background()); err != nil {
			if !errors.Is(err, astiav.ErrEof) && !errors.Is(err, errNoTracks) {
				t.Fatalf("open: unexpected error %v", err)
			}
			return
		}
		pkt := astiav.AllocPacket()
		defer pkt.Free()
		for i := 0; i < 1000; i++ {
			if err := d.readFrame(pkt); err != nil {
				return
			}
			pkt.Unref()
		}
	})
}
