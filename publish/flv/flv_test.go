package flv

import (
	"encoding/hex"
	"strings"
)

// hexBytes decodes hex digits, ignoring spaces and newlines: test tables
// read like the hex dumps they come from.
func hexBytes(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic("bad hex in test table: " + err.Error())
	}
	return b
}

// Real parameter sets from FFmpeg 5.1 + libx264 (core 164), and the
// AVCDecoderConfigurationRecord FFmpeg's FLV muxer wrote for them
// (ffmpeg -f lavfi -i testsrc2 -c:v libx264 -preset veryfast -profile:v ...
// -f flv).
var (
	// High profile, level 3.1, 1280x720, 4:2:0 8-bit.
	x264HighSPS    = hexBytes("67 64 00 1f ac d9 40 50 05 bb 01 10 00 00 03 00 10 00 00 03 03 c0 f1 83 19 60")
	x264HighPPS    = hexBytes("68 ef 8f cb")
	x264HighRecord = hexBytes(`01 64 00 1f ff e1 00 1a
		67 64 00 1f ac d9 40 50 05 bb 01 10 00 00 03 00 10 00 00 03 03 c0 f1 83 19 60
		01 00 04 68 ef 8f cb
		fd f8 f8 00`)

	// High 4:4:4 Predictive (profile_idc 244), 320x240, 10-bit.
	x264High444SPS    = hexBytes("67 f4 00 0d 90 d9 b2 82 83 f6 02 20 00 00 03 00 20 00 00 06 41 e2 85 32 c0")
	x264High444PPS    = hexBytes("68 eb e3 c4 48 44")
	x264High444Record = hexBytes(`01 f4 00 0d ff e1 00 19
		67 f4 00 0d 90 d9 b2 82 83 f6 02 20 00 00 03 00 20 00 00 06 41 e2 85 32 c0
		01 00 06 68 eb e3 c4 48 44
		ff fa fa 00`)

	// High 4:2:2 (profile_idc 122), 320x240, 10-bit.
	x264High422SPS    = hexBytes("67 7a 00 0d b6 cd 94 14 1f b0 11 00 00 03 00 01 00 00 03 00 32 0f 14 29 96")
	x264High422PPS    = hexBytes("68 eb e3 cb 22 c0")
	x264High422Record = hexBytes(`01 7a 00 0d ff e1 00 19
		67 7a 00 0d b6 cd 94 14 1f b0 11 00 00 03 00 01 00 00 03 00 32 0f 14 29 96
		01 00 06 68 eb e3 cb 22 c0
		fe fa fa 00`)

	// Constrained Baseline, 320x240: no High-profile fields.
	x264BaselineSPS    = hexBytes("67 42 c0 0d d9 01 41 fb 01 10 00 00 03 00 10 00 00 03 03 20 f1 42 a4 80")
	x264BaselinePPS    = hexBytes("68 cb 83 cb 20")
	x264BaselineRecord = hexBytes(`01 42 c0 0d ff e1 00 18
		67 42 c0 0d d9 01 41 fb 01 10 00 00 03 00 10 00 00 03 03 20 f1 42 a4 80
		01 00 05 68 cb 83 cb 20`)

	// Start of x264's version SEI and of an IDR slice.
	x264SEI = hexBytes("06 05 11 dc 45 e9 bd e6 d9 48 b7 96 2c d8 20 d9 23 ee ef 80")
	x264IDR = hexBytes("65 88 84 00 33 ff fe f6 f0 fe 05 36 56 04 50 96 6f 9b")
	aud     = hexBytes("09 f0")
)
