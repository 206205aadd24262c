package encode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/asticode/go-astiav"
)

// Opus through libopus (FFmpeg 5.1's wrapper, libavcodec/libopusenc.c).
//
//   - application=lowdelay (OPUS_APPLICATION_RESTRICTED_LOWDELAY) keeps
//     libopus to its CELT layer, whose algorithmic delay is 2.5 ms (120
//     samples at 48 kHz, the OpusHead pre-skip FFmpeg reports as the
//     initial padding); "audio" and "voip" may switch to SILK or the hybrid
//     mode and cost 6.5 ms (312 samples). At the bitrates a live stream
//     carries (64k and up) CELT is what "audio" would pick anyway.
//   - frame_duration is AudioConfig.FrameDuration in milliseconds; the
//     wrapper sets the codec's frame size from it (480 or 960 samples).
//   - vbr=constrained: variable within a frame's budget, so the rate never
//     runs above the target over a short window (what an RTMP link's buffer
//     cares about), with most of VBR's quality.
//   - The wrapper takes interleaved samples (FLT or S16), not planar ones.
//   - The extradata is the OpusHead of RFC 7845 (19 bytes for mapping
//     family 0, which mono and stereo use): checkOpus checks it.

// opusOptions are libopus's settings; the caller frees the dictionary.
func opusOptions(cfg AudioConfig) (*astiav.Dictionary, error) {
	d := astiav.NewDictionary()
	for _, o := range [][2]string{
		{"application", "lowdelay"},
		{"frame_duration", strconv.FormatInt(cfg.FrameDuration.Milliseconds(), 10)},
		{"vbr", "constrained"},
	} {
		if err := d.Set(o[0], o[1], 0); err != nil {
			d.Free()
			return nil, fmt.Errorf("setting %s: %w", o[0], err)
		}
	}
	return d, nil
}

// checkOpus checks the OpusHead libopus gave as extradata and that the
// frame size is the one asked for.
func (e *AudioEncoder) checkOpus() error {
	h := e.track.Extradata
	if len(h) < 19 || !bytes.HasPrefix(h, []byte("OpusHead")) {
		return fmt.Errorf("libopus gave no OpusHead (extradata % x)", h)
	}
	if int(h[9]) != e.cfg.Channels {
		return fmt.Errorf("libopus's OpusHead says %d channels, want %d", h[9], e.cfg.Channels)
	}
	if want := int(e.cfg.FrameDuration.Milliseconds()) * e.cfg.SampleRate / 1000; e.size != want {
		return fmt.Errorf("libopus frame size %d samples, want %d (%v)", e.size, want, e.cfg.FrameDuration)
	}
	return nil
}

// opusPreSkip is the pre-skip of an OpusHead: the samples a decoder drops
// at the start, the encoder's delay.
func opusPreSkip(head []byte) int {
	if len(head) < 12 {
		return 0
	}
	return int(binary.LittleEndian.Uint16(head[10:12]))
}
