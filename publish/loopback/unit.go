package loopback

import (
	"sync/atomic"
	"time"

	"onair/publish/rtmp"
)

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

	// rtmp is Body cut into RTMP chunks by the first RTMP viewer that sends
	// the unit, for all of them.
	rtmp atomic.Pointer[rtmp.Prepared]
}

// prepared returns u ready for RTMP sessions with chunk size chunkSize,
// cutting it the first time.
func (u *Unit) prepared(chunkSize uint32) *rtmp.Prepared {
	if p := u.rtmp.Load(); p != nil && p.ChunkSize() == chunkSize {
		return p
	}
	p := rtmp.Prepare(uint8(u.Kind), u.Body, chunkSize)
	if !u.rtmp.CompareAndSwap(nil, p) {
		if q := u.rtmp.Load(); q.ChunkSize() == chunkSize {
			return q // another viewer cut it at the same time
		}
	}
	return p
}

// classify fills Key and Header from the FLV body.
func classify(u *Unit) {
	switch u.Kind {
	case KindVideo:
		if len(u.Body) >= 2 {
			if u.Body[0]&0x80 != 0 {
				// Enhanced RTMP: IsExHeader, 3 bits of frame type, 4 of
				// packet type (0: SequenceStart).
				u.Key = (u.Body[0]>>4)&7 == 1
				u.Header = u.Body[0]&0x0f == 0
				break
			}
			frameType, codec := u.Body[0]>>4, u.Body[0]&0x0f
			u.Key = frameType == 1
			u.Header = codec == 7 && u.Body[1] == 0 // AVC sequence header
		}
	case KindAudio:
		if len(u.Body) >= 2 {
			switch u.Body[0] >> 4 {
			case 10:
				u.Header = u.Body[1] == 0 // AAC sequence header
			case 9:
				u.Header = u.Body[0]&0x0f == 0 // E-RTMP SequenceStart
			}
		}
	case KindData:
		u.Header = true
	}
}
