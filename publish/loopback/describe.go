package loopback

import (
	"onair/internal/media"
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
			switch info.Codec {
			case media.CodecH264:
				var rec flv.AVCDecoderConfigurationRecord
				if rec.Unmarshal(info.Data) == nil && len(rec.SPS) > 0 {
					v.Width, v.Height, _ = flv.SPSSize(rec.SPS[0])
				}
			case media.CodecAV1:
				v.Width, v.Height, _ = flv.AV1RecordSize(info.Data)
			case media.CodecHEVC:
				var rec flv.HEVCDecoderConfigurationRecord
				if rec.Unmarshal(info.Data) == nil {
					if sps := rec.NALUs(flv.HEVCNALUTypeSPS); len(sps) > 0 {
						v.Width, v.Height, _ = flv.HEVCSPSSize(sps[0])
					}
				}
			}
		}
	}
	if aseq != nil {
		a = &AudioInfo{Codec: "unknown"}
		if info, err := flv.ParseAudio(aseq.Body); err == nil {
			a.Codec = info.Codec.String()
			switch info.Codec {
			case media.CodecAAC:
				var asc flv.AudioSpecificConfig
				if asc.Unmarshal(info.Data) == nil {
					a.SampleRate, a.Channels = asc.SampleRate, asc.Channels()
				}
			case media.CodecOpus:
				var h flv.OpusHead
				if h.Unmarshal(info.Data) == nil {
					a.SampleRate, a.Channels = 48000, int(h.Channels)
				}
			}
		}
	}
	return v, a
}
