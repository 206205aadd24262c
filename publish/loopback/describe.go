package loopback

import (
	"onair/publish/flv"
)

// describe reads codec facts from the sequence headers (legacy or
// Enhanced RTMP) for the status API.
func describe(vseq, aseq *Unit) (*VideoInfo, *AudioInfo) {
	var v *VideoInfo
	var a *AudioInfo
	if vseq != nil {
		v = &VideoInfo{Codec: "unknown"}
		if info, err := flv.ParseVideo(vseq.Body); err == nil {
			v.Codec = info.Codec.String()
			v.Width, v.Height, _ = info.Size()
		}
	}
	if aseq != nil {
		a = &AudioInfo{Codec: "unknown"}
		if info, err := flv.ParseAudio(aseq.Body); err == nil {
			a.Codec = info.Codec.String()
			a.SampleRate, a.Channels, _ = info.Format()
		}
	}
	return v, a
}
