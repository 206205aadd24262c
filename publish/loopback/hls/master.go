package hls

import (
	"fmt"
	"strings"
)

// Variant is one entry of a master playlist (RFC 8216 4.3.4.2): a media
// playlist of the same content at another size or bitrate.
type Variant struct {
	// URI of its media playlist, relative to the master playlist.
	URI string
	// Bandwidth is its peak bitrate in bits per second (required).
	Bandwidth int
	// Width and Height of the picture; 0 leaves RESOLUTION out.
	Width, Height int
	// FrameRate; 0 leaves FRAME-RATE out.
	FrameRate float64
	// Codecs is the CODECS attribute, "avc1.64001f,mp4a.40.2"; empty
	// leaves it out.
	Codecs string
}

// MasterPlaylist writes a master playlist listing vs in order (a client
// starts with the first). URIs and codec strings are written as given:
// they must not hold quotes or line breaks.
func MasterPlaylist(vs []Variant) []byte {
	b := []byte("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, v := range vs {
		b = fmt.Appendf(b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", max(v.Bandwidth, 1))
		if v.Width > 0 && v.Height > 0 {
			b = fmt.Appendf(b, ",RESOLUTION=%dx%d", v.Width, v.Height)
		}
		if v.FrameRate > 0 {
			b = fmt.Appendf(b, ",FRAME-RATE=%.3f", v.FrameRate)
		}
		if v.Codecs != "" {
			b = fmt.Appendf(b, ",CODECS=%q", v.Codecs)
		}
		b = append(b, '\n')
		b = append(b, v.URI...)
		b = append(b, '\n')
	}
	return b
}

// CodecsOf is the CODECS attribute for an H.264 track whose decoder
// configuration record (avcC) is avcC and an AAC track whose
// AudioSpecificConfig is asc (either may be nil): "avc1.PPCCLL" from the
// record's profile, constraint flags and level (RFC 6381 3.3), and
// "mp4a.40.N" with N the audio object type.
func CodecsOf(avcC, asc []byte) string {
	var cs []string
	if len(avcC) >= 4 && avcC[0] == 1 {
		cs = append(cs, fmt.Sprintf("avc1.%02x%02x%02x", avcC[1], avcC[2], avcC[3]))
	}
	if len(asc) >= 1 && asc[0]>>3 != 0 && asc[0]>>3 != 31 {
		cs = append(cs, fmt.Sprintf("mp4a.40.%d", asc[0]>>3))
	}
	return strings.Join(cs, ",")
}
