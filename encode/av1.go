package encode

import (
	"strconv"
)

// AV1 through SVT-AV1 (FFmpeg 5.1's libsvtav1 wrapper, SVT-AV1 1.4 in
// Debian 12): the only AV1 encoder here that keeps 720p30 in real time on
// two cores with room to spare (preset 12: about 0.5 CPU s per s; libaom's
// realtime mode at cpu-used 8 needs 0.8 to 0.9 and does not always keep
// up).
//
//   - The x264 preset names map to SVT-AV1's presets (svtPreset), from 12
//     (ultrafast) down.
//   - Low delay: the low-delay prediction structure (pred-struct=1, no
//     frames reordered, so DTS equals PTS) and no lookahead; CBR at the
//     bitrate (rc=2, which the low-delay structure allows).
//   - Keyframes on the interval (the wrapper takes the GOP size), closed
//     (key frames, not intra-only "forward" frames), no scene-change
//     detection. No keyframe on demand: SVT-AV1 1.4 forces key frames only
//     in random-access CRF/CQP mode, not in low-delay CBR, so
//     ForceKeyframe waits for the next one on the interval (a reconnected
//     destination resumes there).
//   - With the global header flag the wrapper puts the sequence header OBU
//     in the extradata; publish/flv builds the av1C record from it.
//   - Like libx265's, the wrapper never reconfigures the encoder: the
//     bitrate is fixed once open (VideoEncoder.SetBitrate).
//   - SVT-AV1 prints its banner and settings to stderr at info level
//     unless the SVT_LOG environment variable says otherwise: app/ sets it.

// svtPreset is SVT-AV1's preset for an x264 preset name.
func svtPreset(p string) int {
	for i, q := range Presets() {
		if q == p {
			return max(12-i, 2)
		}
	}
	return 10
}

// svtav1Options are libsvtav1's settings.
func svtav1Options(cfg VideoConfig) [][2]string {
	return [][2]string{
		{"preset", strconv.Itoa(svtPreset(cfg.Preset))},
		{"svtav1-params", "pred-struct=1:rc=2:lookahead=0:scd=0:irefresh-type=2"},
	}
}
