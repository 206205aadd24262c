package record

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a recording's container, chosen by the file name's extension.
type Format int

const (
	// FormatMP4 is fragmented MP4 (.mp4): an empty moov, then a moof and
	// an mdat every FragmentDuration, as OBS's hybrid MP4 and DASH write.
	FormatMP4 Format = iota + 1
	// FormatMKV is Matroska (.mkv): clusters of at most FragmentDuration,
	// a segment of unknown size until the trailer fixes it.
	FormatMKV
	// FormatFLV is FLV (.flv), written by publish/flv: no trailer at all.
	FormatFLV
)

func (f Format) String() string {
	switch f {
	case FormatMP4:
		return "mp4"
	case FormatMKV:
		return "mkv"
	case FormatFLV:
		return "flv"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// ErrFormat is returned by FormatOf and Start for a file name whose
// extension is not .mp4, .mkv or .flv.
var ErrFormat = errors.New("record: unsupported file type")

// FormatOf reads the format from path's extension (.mp4, .mkv or .flv, any
// case).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mp4":
		return FormatMP4, nil
	case ".mkv":
		return FormatMKV, nil
	case ".flv":
		return FormatFLV, nil
	}
	return 0, fmt.Errorf("%w: %q: want a name ending in .mp4, .mkv or .flv", ErrFormat, filepath.Base(path))
}
