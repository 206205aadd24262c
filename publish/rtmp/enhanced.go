package rtmp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"onair/publish/flv"
)

// ErrNotEnhanced is returned by Dial when publishing codecs that only
// Enhanced RTMP carries (Config.Enhanced) to a server whose connect reply
// does not announce them. Such a server would take the stream and pass on
// tags its players cannot read; failing before publish says why instead.
var ErrNotEnhanced = errors.New("the server does not announce Enhanced RTMP")

// Enhanced RTMP capability flags of videoFourCcInfoMap and
// audioFourCcInfoMap (E-RTMP v2, "Enhancing NetConnection connect
// Command").
const (
	fourCCCanDecode  = 0x01
	fourCCCanEncode  = 0x02
	fourCCCanForward = 0x04
)

// isVideoFourCC reports whether the FourCC names a video codec (the rest
// are audio) for the video/audio info maps.
func isVideoFourCC(f string) bool {
	switch f {
	case "avc1", "hvc1", "av01", "vp09", "vp08":
		return true
	}
	return false
}

// enhancedConnect adds the E-RTMP properties to a connect command object:
// fourCcList (E-RTMP v1, which FFmpeg 6.1 and gortmplib read) and the v2
// info maps, with what the client does with each codec: a publisher
// encodes them, a player decodes them.
func enhancedConnect(obj flv.AMF0Object, fourCCs []string, play bool) flv.AMF0Object {
	if play {
		return appendFourCCs(obj, fourCCs, fourCCCanDecode)
	}
	return appendFourCCs(obj, fourCCs, fourCCCanEncode)
}

// serverEnhancedProps adds the server's E-RTMP announcement to the
// properties object of its connect reply: it forwards each codec.
func serverEnhancedProps(obj flv.AMF0Object, fourCCs []string) flv.AMF0Object {
	return appendFourCCs(obj, fourCCs, fourCCCanForward)
}

// appendFourCCs appends fourCcList and the info maps, each codec with the
// capability flags.
func appendFourCCs(obj flv.AMF0Object, fourCCs []string, flags int) flv.AMF0Object {
	if len(fourCCs) == 0 {
		return obj
	}
	list := make(flv.AMF0StrictArray, 0, len(fourCCs))
	var video, audio flv.AMF0Object
	for _, f := range fourCCs {
		list = append(list, f)
		p := flv.AMF0Property{Key: f, Value: float64(flags)}
		if isVideoFourCC(f) {
			video = append(video, p)
		} else {
			audio = append(audio, p)
		}
	}
	obj = append(obj, flv.AMF0Property{Key: "fourCcList", Value: list})
	if video != nil {
		obj = append(obj, flv.AMF0Property{Key: "videoFourCcInfoMap", Value: video})
	}
	if audio != nil {
		obj = append(obj, flv.AMF0Property{Key: "audioFourCcInfoMap", Value: audio})
	}
	return obj
}

// ServerEnhanced is what a server's connect reply announces of Enhanced
// RTMP: the FourCCs it takes ("*" for any: in fourCcList any codec, in an
// info map any of the map's kind), and its capsEx flags.
type ServerEnhanced struct {
	FourCCs            []string
	AnyVideo, AnyAudio bool
	CapsEx             int
}

// Has reports whether the server announced the FourCC (or a wildcard for
// its kind).
func (s ServerEnhanced) Has(fourCC string) bool {
	if isVideoFourCC(fourCC) && s.AnyVideo || !isVideoFourCC(fourCC) && s.AnyAudio {
		return true
	}
	return slices.Contains(s.FourCCs, fourCC)
}

// Announced reports whether the reply said anything of E-RTMP.
func (s ServerEnhanced) Announced() bool {
	return len(s.FourCCs) > 0 || s.AnyVideo || s.AnyAudio || s.CapsEx != 0
}

// parseServerEnhanced reads the E-RTMP properties of a connect _result:
// they may be in the properties object (first argument) or the
// information object (second), as servers differ.
func parseServerEnhanced(args []any) ServerEnhanced {
	var s ServerEnhanced
	add := func(f string, video, audio bool) {
		switch {
		case f == "*":
			s.AnyVideo, s.AnyAudio = s.AnyVideo || video, s.AnyAudio || audio
		case f != "" && !slices.Contains(s.FourCCs, f):
			s.FourCCs = append(s.FourCCs, f)
		}
	}
	for _, obj := range args {
		if list, ok := property(obj, "fourCcList").(flv.AMF0StrictArray); ok {
			for _, v := range list {
				f, _ := v.(string)
				add(f, true, true)
			}
		}
		for _, key := range []string{"videoFourCcInfoMap", "audioFourCcInfoMap"} {
			var props []flv.AMF0Property
			switch m := property(obj, key).(type) {
			case flv.AMF0Object:
				props = m
			case flv.AMF0ECMAArray:
				props = m
			}
			for _, p := range props {
				// A server that only decodes (plays back) a codec does not
				// take it from a publisher; forward or decode both count.
				if n, ok := p.Value.(float64); ok && int(n)&(fourCCCanDecode|fourCCCanForward) != 0 {
					add(p.Key, key == "videoFourCcInfoMap", key == "audioFourCcInfoMap")
				}
			}
		}
		if n, ok := property(obj, "capsEx").(float64); ok {
			s.CapsEx |= int(n)
		}
	}
	return s
}

// checkEnhanced is the publish-side check: every FourCC the client will
// send must be one the server announced, unless the caller trusts it.
func checkEnhanced(s ServerEnhanced, want []string, trust bool) error {
	if trust || len(want) == 0 {
		return nil
	}
	var missing []string
	for _, f := range want {
		if !s.Has(f) {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := "does not announce Enhanced RTMP at all (no fourCcList or videoFourCcInfoMap/audioFourCcInfoMap in its connect reply)"
	if s.Announced() {
		what = fmt.Sprintf("announces %s only", strings.Join(s.FourCCs, ", "))
	}
	return fmt.Errorf("%w: publishing %s needs it, and the server %s; its viewers would get a stream they cannot decode. "+
		"Publish H.264 and AAC instead, or, if the server forwards E-RTMP without announcing it (MediaMTX, SRS 6), trust it (--trust-enhanced)",
		ErrNotEnhanced, strings.Join(missing, " and "), what)
}

// ServerEnhanced is what the server's connect reply announced of Enhanced
// RTMP.
func (c *Client) ServerEnhanced() ServerEnhanced { return c.server }
