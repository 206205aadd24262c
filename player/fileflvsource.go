package player

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/asticode/go-astiav"

	"onair/publish/flv"
)

// fileFLVSource reads an FLV file's tags for flvDemuxer: used for a file
// whose first tags are Enhanced RTMP (HEVC, AV1, Opus in FourCC tags),
// which FFmpeg 5.1's FLV demuxer cannot read. Such a file plays from the
// start without seeking.
type fileFLVSource struct {
	f       *os.File
	tags    *flv.TagReader
	aborted atomic.Bool
}

// enhancedScan is how many tags sniffEnhancedFLV reads.
const enhancedScan = 32

// sniffEnhancedFLV reports whether path is an FLV file with an Enhanced
// RTMP audio or video tag among its first tags.
func sniffEnhancedFLV(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := flv.NewTagReader(bufio.NewReader(f))
	if _, err := tr.ReadHeader(); err != nil {
		return false
	}
	for range enhancedScan {
		t, err := tr.ReadTag()
		if err != nil || len(t.Data) == 0 {
			return false
		}
		switch {
		case t.Type == flv.TagTypeVideo && t.Data[0]&0x80 != 0:
			return true
		case t.Type == flv.TagTypeAudio && flv.SoundFormat(t.Data[0]>>4) == flv.SoundFormatExHeader:
			return true
		}
	}
	return false
}

// openFileFLV opens an FLV file (s.url is file:PATH) and reads its header.
func openFileFLV(s source) (*fileFLVSource, error) {
	f, err := os.Open(strings.TrimPrefix(s.url, "file:"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", s.shown, ErrNotFound, err)
	}
	tr := flv.NewTagReader(bufio.NewReaderSize(f, 256<<10))
	if _, err := tr.ReadHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrCorrupt)
	}
	return &fileFLVSource{f: f, tags: tr}, nil
}

// nextTag is the next tag; the end of the file (or a tag cut short by it)
// is FFmpeg's EOF, as the player's reader expects of a demuxer.
func (s *fileFLVSource) nextTag() (flvTag, error) {
	for {
		if s.aborted.Load() {
			return flvTag{}, astiav.ErrExit
		}
		t, err := s.tags.ReadTag()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return flvTag{}, astiav.ErrEof
			}
			return flvTag{}, astiav.ErrInvaliddata
		}
		if ft, ok := tagOf(t); ok {
			return ft, nil
		}
	}
}

func (s *fileFLVSource) Abort() { s.aborted.Store(true) }

func (s *fileFLVSource) Close() { s.f.Close() }
