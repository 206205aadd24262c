package loopback

import "time"

// Kind is what a Unit carries, with the FLV tag type's values.
type Kind uint8

const (
	KindAudio Kind = 8
	KindVideo Kind = 9
	KindData  Kind = 18
)

// Unit is one FLV tag's worth of a stream as it moves through the hub. Its
// Body is shared by every viewer and must not be modified.
type Unit struct {
	Kind Kind
	// DTS is the decode time on the publisher's timeline.
	DTS time.Duration
	// Key marks a video keyframe; Header a sequence header (AVC or AAC
	// configuration) or metadata.
	Key, Header bool
	// Body is the FLV tag body (what an RTMP media message carries).
	Body []byte
}

// classify fills Key and Header from the FLV body.
func classify(u *Unit) {
	switch u.Kind {
	case KindVideo:
		if len(u.Body) >= 2 {
			frameType, codec := u.Body[0]>>4, u.Body[0]&0x0f
			u.Key = frameType == 1
			u.Header = codec == 7 && u.Body[1] == 0 // AVC sequence header
		}
	case KindAudio:
		if len(u.Body) >= 2 {
			u.Header = u.Body[0]>>4 == 10 && u.Body[1] == 0 // AAC sequence header
		}
	case KindData:
		u.Header = true
	}
}
