package flv

import (
	"encoding/binary"

	"onair/internal/media"
)

// Encoder is the value of the "encoder" property that Metadata writes.
const Encoder = "OnAir"

// Metadata makes the body of the onMetaData script data tag (tag type 18):
// the AMF0 string "onMetaData" followed by an AMF0 ECMA array describing the
// tracks. A nil configuration means the stream has no such track.
//
// For video: width, height, framerate, videocodecid (7, AVC; for HEVC the
// FourCC hvc1 as a number, as Enhanced RTMP says) and videodatarate
// (kbit/s, 1000 bit/s). For audio: audiocodecid (10, AAC; Opus: its FourCC),
// audiodatarate (kbit/s), audiosamplerate (Hz), audiosamplesize (16) and
// stereo (two channels). Then encoder ("OnAir"). Sizes, rates and the frame
// rate are left out when zero; audio sample rate and channels come from the
// AudioSpecificConfig in Extradata when the configuration leaves them zero.
//
// An FLV file or HTTP-FLV stream carries this body as it is. An RTMP
// publisher sends it as a data message (type 18) with "@setDataFrame" in
// front, which the server strips and keeps for players: see SetDataFrame.
func Metadata(video, audio *media.CodecConfig) []byte {
	var props []AMF0Property
	number := func(key string, v float64) {
		if v != 0 {
			props = append(props, AMF0Property{Key: key, Value: v})
		}
	}
	if video != nil {
		number("width", float64(video.Width))
		number("height", float64(video.Height))
		number("framerate", video.FrameRate)
		props = append(props, AMF0Property{Key: "videocodecid", Value: metadataCodecID(video.Codec, float64(CodecIDAVC))})
		number("videodatarate", float64(video.Bitrate)/1000)
	}
	if audio != nil {
		rate, channels := audio.SampleRate, audio.Channels
		var asc AudioSpecificConfig
		if (rate == 0 || channels == 0) && asc.Unmarshal(audio.Extradata) == nil {
			if rate == 0 {
				rate = asc.SampleRate
			}
			if channels == 0 {
				channels = asc.Channels()
			}
		}
		props = append(props, AMF0Property{Key: "audiocodecid", Value: metadataCodecID(audio.Codec, float64(SoundFormatAAC))})
		number("audiodatarate", float64(audio.Bitrate)/1000)
		number("audiosamplerate", float64(rate))
		props = append(props,
			AMF0Property{Key: "audiosamplesize", Value: float64(16)},
			AMF0Property{Key: "stereo", Value: channels == 2})
	}
	props = append(props, AMF0Property{Key: "encoder", Value: Encoder})

	b := appendAMF0Key(append(make([]byte, 0, 64+24*len(props)), amf0String), "onMetaData")
	b = binary.BigEndian.AppendUint32(append(b, amf0ECMAArray), uint32(len(props)))
	for _, p := range props {
		b = appendAMF0Key(b, p.Key)
		switch v := p.Value.(type) {
		case float64:
			b = appendAMF0Number(b, v)
		case bool:
			b = appendAMF0Bool(b, v)
		case string:
			b = appendAMF0Key(append(b, amf0String), v)
		}
	}
	return append(b, 0, 0, amf0ObjectEnd)
}

// metadataCodecID is the codec ID that onMetaData gives a track: the legacy
// one for H.264 and AAC, the FourCC as a number for codecs that need
// Enhanced RTMP (E-RTMP v2, "Enhancing onMetaData").
func metadataCodecID(c media.Codec, legacy float64) float64 {
	if c.Enhanced() {
		if f, ok := FourCCOf(c); ok {
			return float64(f)
		}
	}
	return legacy
}

// SetDataFrame puts the AMF0 string "@setDataFrame" in front of a script
// data body such as Metadata's: the payload of the RTMP data message with
// which a publisher sets the stream's metadata,
// "@setDataFrame", "onMetaData", {...}.
func SetDataFrame(body []byte) []byte {
	const name = "@setDataFrame"
	b := make([]byte, 0, 3+len(name)+len(body))
	b = appendAMF0Key(append(b, amf0String), name)
	return append(b, body...)
}
