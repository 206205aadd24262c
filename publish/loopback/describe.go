package loopback

import (
	"onair/publish/flv"
)

// describe reads codec facts from the sequence headers for the status API.
func describe(vseq, aseq *Unit) (*VideoInfo, *AudioInfo) {
	var v *VideoInfo
	var a *AudioInfo
	if vseq != nil {
		v = &VideoInfo{Codec: "h264"}
		var tag flv.VideoTag
		var rec flv.AVCDecoderConfigurationRecord
		if tag.Unmarshal(vseq.Body) == nil && rec.Unmarshal(tag.Data) == nil && len(rec.SPS) > 0 {
			if w, h, ok := flv.SPSSize(rec.SPS[0]); ok {
				v.Width, v.Height = w, h
			}
		}
	}
	if aseq != nil {
		a = &AudioInfo{Codec: "aac"}
		var tag flv.AudioTag
		var asc flv.AudioSpecificConfig
		if tag.Unmarshal(aseq.Body) == nil && asc.Unmarshal(tag.Data) == nil {
			a.SampleRate, a.Channels = asc.SampleRate, asc.Channels()
		}
	}
	return v, a
}
