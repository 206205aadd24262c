package encode

import (
	"strconv"
	"strings"
)

// HEVC through libx265 (FFmpeg 5.1's wrapper, libavcodec/libx265.c).
//
// The settings follow libx264's where libx265 has them: the preset, tune
// zerolatency (no lookahead, no B-frames, no cutree), B-frames only when
// asked, keyframes exactly on the interval (keyint = min-keyint, scenecut
// 0), a CBR-like VBV of one second at the bitrate, forced keyframes as IDR
// pictures (the wrapper's forced-idr option), the main profile.
//
// What the wrapper does and does not do, which shapes the rest:
//
//   - It hands the codec context's thread count to x265 as frame threads.
//     Every frame thread beyond the first delays the output by a frame, so
//     the count stays at libavcodec's default 1 and frame-threads=1 says so
//     again; the parallelism comes from x265's worker pool instead
//     (wavefront rows within one picture, VideoConfig.Threads).
//   - It opens GOPs (CRA keyframes) unless told otherwise; open-gop=0 makes
//     every keyframe an IDR picture, which a viewer joining there decodes
//     without the pictures before it.
//   - With the global header flag it puts x265's stream headers in the
//     extradata and does not repeat them (repeat-headers=0 says so too);
//     info=0 keeps x265's version-and-settings SEI out of them, so that the
//     extradata is exactly the VPS, SPS and PPS, Annex-B.
//   - It never calls x265_encoder_reconfig: the bitrate, like every other
//     setting, is fixed once the encoder is open (VideoEncoder.SetBitrate).
//   - x265 prints its banner and settings to stderr unless its own log
//     level says otherwise (log-level=error); FFmpeg's log level does not
//     reach it.

// x265Options are libx265's settings.
func x265Options(cfg VideoConfig, gop int) [][2]string {
	params := []string{
		"log-level=error",
		"repeat-headers=0",
		"info=0",
		"open-gop=0",
		"scenecut=0",
		"frame-threads=1",
	}
	if cfg.Threads > 0 {
		params = append(params, "pools="+strconv.Itoa(cfg.Threads))
	}
	opts := [][2]string{
		{"preset", cfg.Preset},
		{"profile", cfg.Profile},
		{"bf", strconv.Itoa(cfg.BFrames)},
		{"maxrate", strconv.Itoa(cfg.Bitrate)},
		{"bufsize", strconv.Itoa(cfg.Bitrate)}, // one second of VBV: CBR-like
		{"keyint_min", strconv.Itoa(gop)},
		{"forced-idr", "1"},
		{"x265-params", strings.Join(params, ":")},
	}
	if cfg.Tune != "none" {
		opts = append(opts, [2]string{"tune", cfg.Tune})
	}
	return opts
}
