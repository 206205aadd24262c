package record

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
)

// File is what a recording writes into, made by Config.Create. When it is
// also an io.Seeker the MP4 and Matroska muxers go back at the end to fill
// in what they only know then (durations, the cue index); without, the
// file plays all the same.
type File interface {
	io.Writer
	io.Closer
}

// createFile is Config.Create's default: the file at path, made or
// truncated, mode 0644.
func createFile(path string) (File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
}

// errNotSeekable is what output.Seek returns when the File cannot seek.
var errNotSeekable = errors.New("record: the file cannot seek")

// AVSEEK_SIZE and AVSEEK_FORCE, the flags FFmpeg adds to whence.
const (
	avseekSize  = 0x10000
	avseekForce = 0x20000
)

// output wraps the File: it keeps the file's size for Stats and the first
// write error, after which every write fails with it. The writer goroutine
// alone writes and seeks; size is read by any.
type output struct {
	f    File
	pos  int64
	size atomic.Int64
	err  error
}

func (o *output) Write(b []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.f.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	o.pos += int64(n)
	if o.pos > o.size.Load() {
		o.size.Store(o.pos)
	}
	if err != nil {
		o.err = err
	}
	return n, err
}

// seekable reports whether the File can seek.
func (o *output) seekable() bool {
	_, ok := o.f.(io.Seeker)
	return ok
}

// Seek moves in the file, and answers FFmpeg's size question (whence
// AVSEEK_SIZE).
func (o *output) Seek(offset int64, whence int) (int64, error) {
	s, ok := o.f.(io.Seeker)
	if !ok {
		return 0, errNotSeekable
	}
	if whence&avseekSize != 0 {
		return o.size.Load(), nil
	}
	pos, err := s.Seek(offset, whence&^avseekForce)
	if err != nil {
		return 0, err
	}
	o.pos = pos
	return pos, nil
}
