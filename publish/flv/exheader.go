package flv

import (
	"encoding/binary"
	"fmt"
)

// The parts of the ExVideoTagHeader and ExAudioTagHeader of Enhanced RTMP
// v2 that video and audio share: ModEx modifiers and multitrack framing.

// packetTypeModEx is the packet type, video and audio alike, that announces
// a ModEx modifier before the real packet type.
const packetTypeModEx = 7

// MultitrackType is the AvMultitrackType of a multitrack enhanced tag.
type MultitrackType uint8

const (
	// MultitrackOneTrack is one track, with its track ID.
	MultitrackOneTrack MultitrackType = 0
	// MultitrackManyTracks is several tracks of one codec, each with its
	// track ID and size.
	MultitrackManyTracks MultitrackType = 1
	// MultitrackManyTracksManyCodecs is several tracks, each with its own
	// FourCC, track ID and size.
	MultitrackManyTracksManyCodecs MultitrackType = 2
)

// skipModEx skips the ModEx modifiers that follow packet type pt (when it
// is ModEx) at b[pos:]: each is a size (UI8+1, or UI16+1 after 0xff), that
// many bytes of modifier data, and a byte with the modifier type in the
// high and the next packet type in the low 4 bits. The only modifier
// defined, TimestampOffsetNano, is dropped: FLV timestamps here are whole
// milliseconds. It returns the packet type after the modifiers and the
// position after them. Errors: ErrTruncated.
func skipModEx(b []byte, pos int, pt uint8) (uint8, int, error) {
	for pt == packetTypeModEx {
		if pos >= len(b) {
			return 0, 0, fmt.Errorf("%w: ModEx data size at byte %d of %d", ErrTruncated, pos, len(b))
		}
		size := int(b[pos]) + 1
		pos++
		if size == 256 {
			if len(b)-pos < 2 {
				return 0, 0, fmt.Errorf("%w: ModEx 16-bit data size at byte %d of %d", ErrTruncated, pos, len(b))
			}
			size = int(binary.BigEndian.Uint16(b[pos:])) + 1
			pos += 2
		}
		if len(b)-pos < size+1 {
			return 0, 0, fmt.Errorf("%w: ModEx data of %d bytes and the packet type after it at byte %d of %d",
				ErrTruncated, size, pos, len(b))
		}
		pos += size
		pt = b[pos] & 0x0f
		pos++
	}
	return pt, pos, nil
}

// multitrack is the packet of one track of a multitrack enhanced tag.
type multitrack struct {
	packetType uint8
	fourCC     FourCC
	data       []byte // capacity ends with it
}

// readMultitrack reads the multitrack header and tracks at b[pos:], the
// byte after a Multitrack packet type: the multitrack type and the packet
// type of all tracks, the FourCC unless each track has its own, then the
// tracks. It returns the track with ID 0, or the first track when none has
// ID 0 (the specification recommends ID 0 for the default track). All
// tracks are checked against the bytes that remain. nested is the packet
// type value of Multitrack (6 for video, 5 for audio): neither it nor
// ModEx may follow. Errors: ErrTruncated, ErrUnsupportedCodec (multitrack
// type above 2, nested Multitrack or ModEx).
func readMultitrack(b []byte, pos int, nested uint8, what string) (multitrack, error) {
	if pos >= len(b) {
		return multitrack{}, fmt.Errorf("%w: %s multitrack type at byte %d of %d", ErrTruncated, what, pos, len(b))
	}
	mt := MultitrackType(b[pos] >> 4)
	pt := b[pos] & 0x0f
	pos++
	if mt > MultitrackManyTracksManyCodecs {
		return multitrack{}, fmt.Errorf("%w: %s multitrack type %d (known: 0 to 2)", ErrUnsupportedCodec, what, mt)
	}
	if pt == nested || pt == packetTypeModEx {
		return multitrack{}, fmt.Errorf("%w: %s multitrack packet type %d inside a multitrack tag", ErrUnsupportedCodec, what, pt)
	}
	var fourCC FourCC
	if mt != MultitrackManyTracksManyCodecs {
		if len(b)-pos < 4 {
			return multitrack{}, fmt.Errorf("%w: %s multitrack FourCC at byte %d of %d", ErrTruncated, what, pos, len(b))
		}
		fourCC = FourCC(binary.BigEndian.Uint32(b[pos:]))
		pos += 4
	}
	if mt == MultitrackOneTrack {
		if pos >= len(b) {
			return multitrack{}, fmt.Errorf("%w: %s track ID at byte %d of %d", ErrTruncated, what, pos, len(b))
		}
		pos++ // the only track, whatever its ID
		return multitrack{pt, fourCC, b[pos:len(b):len(b)]}, nil
	}

	var found multitrack
	haveZero := false
	for tracks := 0; tracks == 0 || pos < len(b); tracks++ {
		if mt == MultitrackManyTracksManyCodecs {
			if len(b)-pos < 4 {
				return multitrack{}, fmt.Errorf("%w: %s track %d FourCC at byte %d of %d", ErrTruncated, what, tracks, pos, len(b))
			}
			fourCC = FourCC(binary.BigEndian.Uint32(b[pos:]))
			pos += 4
		}
		if len(b)-pos < 4 {
			return multitrack{}, fmt.Errorf("%w: %s track %d ID and size at byte %d of %d", ErrTruncated, what, tracks, pos, len(b))
		}
		id := b[pos]
		size := int(b[pos+1])<<16 | int(b[pos+2])<<8 | int(b[pos+3])
		pos += 4
		if size > len(b)-pos {
			return multitrack{}, fmt.Errorf("%w: %s track %d (ID %d) size (%d) exceeds remaining %d bytes",
				ErrTruncated, what, tracks, id, size, len(b)-pos)
		}
		if tracks == 0 || id == 0 && !haveZero {
			found = multitrack{pt, fourCC, b[pos : pos+size : pos+size]}
		}
		haveZero = haveZero || id == 0
		pos += size
	}
	return found, nil
}
