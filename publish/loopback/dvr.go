package loopback

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"onair/internal/media"
	"onair/publish/flv"
	"onair/publish/record"
)

// The server's recording (DVR): with Config.RecordDir set, every publish of
// a stream is written to RecordDir/NAME/NAME-YYYY-MM-DD_HH-MM-SS.EXT, read
// from the hub like a viewer (a slow disk loses units, it never holds the
// publisher up), split at the first keyframe after RecordSegment.
//
// FLV files take the tags as the publisher sent them (every codec the
// server relays, Enhanced RTMP included), flushed after each batch the hub
// hands over (tens of milliseconds). Fragmented MP4 goes through package
// record with fragments of at most 500 ms. Either way a crash (kill -9)
// loses at most about a second.

// Recording formats (Config.RecordFormat).
const (
	RecordMP4 = "mp4"
	RecordFLV = "flv"
)

// dvrFile is one recording file being written.
type dvrFile interface {
	write(u *Unit) error
	close() error
}

// dvrOut records one stream.
type dvrOut struct {
	s      *Server
	name   string
	reader *Reader

	// Run goroutine only.
	headers []*Unit // the latest metadata and sequence headers, for a new file
	file    dvrFile
	started time.Duration // DTS the current file began at
	path    string        // of the current file
}

// startRecording starts recording a stream that just got a publisher (or
// that was live when recording was turned on).
func (s *Server) startRecording(name string) {
	if s.cfg.RecordDir == "" || !s.recordOn.Load() {
		return
	}
	startInternal(s, s.dvr, name, func(r *Reader) *dvrOut { return &dvrOut{s: s, name: name, reader: r} })
}

func (o *dvrOut) hubReader() *Reader { return o.reader }

// SetRecording turns the recording of every stream on or off (with
// Config.RecordDir; Config.RecordOff starts it off). On, streams live now
// are recorded from their next keyframe; off, their files are closed.
func (s *Server) SetRecording(on bool) {
	if s.cfg.RecordDir == "" || s.recordOn.Swap(on) == on {
		return
	}
	if on {
		for _, st := range s.hub.Streams() {
			if st.Publisher != "" {
				s.startRecording(st.Name)
			}
		}
		return
	}
	s.mu.Lock()
	outs := make([]*dvrOut, 0, len(s.dvr))
	for _, o := range s.dvr {
		outs = append(outs, o)
	}
	s.mu.Unlock()
	for _, o := range outs {
		s.hub.Leave(o.name, o.reader)
	}
}

// Recording reports whether streams are being recorded.
func (s *Server) Recording() bool { return s.cfg.RecordDir != "" && s.recordOn.Load() }

func (o *dvrOut) run() {
	defer o.closeFile()
	var buf []*Unit
	for {
		buf = o.reader.Next(buf)
		for _, u := range buf {
			o.take(u)
		}
		if f, ok := o.file.(*flvDVR); ok && len(buf) > 0 {
			f.flush()
		}
		if len(buf) > 0 {
			continue
		}
		select {
		case <-o.reader.Done():
			return
		case <-o.reader.Ready():
		}
	}
}

// take writes u, starting a file (or the next one) at a keyframe.
func (o *dvrOut) take(u *Unit) {
	if u.Header {
		o.keepHeader(u)
	}
	// A full segment ends at the next keyframe (any unit without video).
	full := o.file != nil && !u.Header && u.DTS-o.started >= o.s.cfg.RecordSegment
	if full && (u.Kind == KindVideo && u.Key || !o.hasVideo()) {
		o.closeFile()
	}
	if o.file == nil {
		if u.Header {
			return // written with the file's first media
		}
		if o.hasVideo() && !(u.Kind == KindVideo && u.Key) {
			return // a file with video starts at a keyframe
		}
		if err := o.openFile(u.DTS); err != nil {
			o.s.log.Warn("recording failed to start", "stream", o.name, "err", err)
			return
		}
	}
	if err := o.file.write(u); err != nil {
		o.fail(err)
	}
}

// keepHeader remembers u as the latest of its kind (metadata, video or
// audio sequence header).
func (o *dvrOut) keepHeader(u *Unit) {
	for i, h := range o.headers {
		if h.Kind == u.Kind {
			o.headers[i] = u
			return
		}
	}
	o.headers = append(o.headers, u)
}

func (o *dvrOut) hasVideo() bool {
	for _, h := range o.headers {
		if h.Kind == KindVideo {
			return true
		}
	}
	return false
}

// openFile starts a file whose first media is at dts.
func (o *dvrOut) openFile(dts time.Duration) error {
	dir := filepath.Join(o.s.cfg.RecordDir, o.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o.s.pruneRecordings(dir)
	ext := o.s.cfg.RecordFormat
	stamp := time.Now().Format("2006-01-02_15-04-05")
	path := filepath.Join(dir, o.name+"-"+stamp+"."+ext)
	for i := 2; fileExists(path); i++ { // two files in one second (a short segment)
		path = filepath.Join(dir, fmt.Sprintf("%s-%s-%d.%s", o.name, stamp, i, ext))
	}
	var f dvrFile
	var err error
	if ext == RecordFLV {
		f, err = newFLVDVR(path, o.headers, dts)
	} else {
		f, err = newMP4DVR(path, o.headers, o.s)
	}
	if err != nil {
		return err
	}
	o.file, o.started, o.path = f, dts, path
	o.s.mu.Lock()
	o.s.writing[path] = true
	o.s.mu.Unlock()
	o.s.log.Info("recording", "stream", o.name, "path", path)
	return nil
}

func (o *dvrOut) closeFile() {
	if o.file == nil {
		return
	}
	o.s.mu.Lock()
	delete(o.s.writing, o.path)
	o.s.mu.Unlock()
	if err := o.file.close(); err != nil {
		o.s.log.Warn("recording: closing the file", "stream", o.name, "err", err)
	}
	o.file = nil
}

// fail ends the current file after a write error (a full disk); the next
// keyframe tries a new one.
func (o *dvrOut) fail(err error) {
	o.s.log.Warn("recording stopped", "stream", o.name, "err", err)
	o.closeFile()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// pruneRecordings deletes the recordings (and snapshots) in dir older than
// RecordKeep.
func (s *Server) pruneRecordings(dir string) {
	if s.cfg.RecordKeep <= 0 {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !(isRecording(e.Name()) || strings.HasSuffix(e.Name(), ".jpg")) {
			continue
		}
		if time.Since(info.ModTime()) > s.cfg.RecordKeep {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				s.log.Info("recording deleted (--record-keep)", "path", filepath.Join(dir, e.Name()))
			}
		}
	}
}

func isRecording(name string) bool {
	return strings.HasSuffix(name, "."+RecordMP4) || strings.HasSuffix(name, "."+RecordFLV)
}

// flvDVR writes the tags as they came, with times from the file's start.
type flvDVR struct {
	f     *os.File
	w     *bufio.Writer
	start time.Duration
	err   error
}

func newFLVDVR(path string, headers []*Unit, start time.Duration) (*flvDVR, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	d := &flvDVR{f: f, w: bufio.NewWriterSize(f, 256<<10), start: start}
	hasV, hasA := false, false
	for _, h := range headers {
		hasV = hasV || h.Kind == KindVideo
		hasA = hasA || h.Kind == KindAudio
	}
	if err := flv.WriteHeader(d.w, hasV, hasA); err != nil {
		f.Close()
		return nil, err
	}
	for _, h := range headers {
		if err := d.write(h); err != nil {
			f.Close()
			return nil, err
		}
	}
	return d, nil
}

func (d *flvDVR) write(u *Unit) error {
	if d.err != nil {
		return d.err
	}
	ms := uint32(max(0, u.DTS-d.start) / time.Millisecond)
	if u.Header {
		ms = 0
	}
	d.err = flv.WriteTag(d.w, flv.TagType(u.Kind), ms, u.Body)
	return d.err
}

// flush hands what is buffered to the file (the OS keeps it through a
// crash of the process).
func (d *flvDVR) flush() {
	if d.err == nil {
		d.err = d.w.Flush()
	}
}

func (d *flvDVR) close() error {
	d.flush()
	return errors.Join(d.err, d.f.Close())
}

// mp4DVR writes fragmented MP4 through package record. Each packet goes
// once the next of its track has come, with the time between them as its
// duration (the MP4 fragment wants it).
type mp4DVR struct {
	rec        *record.Recorder
	lengthSize int                           // NAL unit length size of AVC/HEVC pictures
	held       map[media.Codec]*media.Packet // the newest packet of each track
	dur        map[media.Codec]time.Duration
}

func newMP4DVR(path string, headers []*Unit, s *Server) (*mp4DVR, error) {
	d := &mp4DVR{lengthSize: 4, held: map[media.Codec]*media.Packet{}, dur: map[media.Codec]time.Duration{}}
	var video, audio *media.CodecConfig
	for _, h := range headers {
		switch h.Kind {
		case KindVideo:
			video, d.lengthSize = videoCodecConfig(h)
		case KindAudio:
			audio = audioCodecConfig(h)
		}
	}
	rec, err := record.Start(record.Config{Path: path, Video: video, Audio: audio, Logger: s.log})
	if err != nil {
		return nil, err
	}
	d.rec = rec
	return d, nil
}

func (d *mp4DVR) write(u *Unit) error {
	if u.Header {
		return nil // the configurations are the file's; a change mid-file is not followed
	}
	pk := unitPacket(u, d.lengthSize)
	if pk == nil {
		return nil
	}
	if prev := d.held[pk.Codec]; prev != nil {
		if dd := pk.DTS - prev.DTS; dd > 0 && dd < time.Second {
			d.dur[pk.Codec] = dd
		}
		prev.Duration = d.dur[pk.Codec]
		d.rec.Push(prev) // the recorder counts time from its first packet
	}
	d.held[pk.Codec] = pk
	return d.rec.Stats().Err
}

func (d *mp4DVR) close() error {
	for c, pk := range d.held {
		pk.Duration = d.dur[c]
		d.rec.Push(pk)
	}
	return d.rec.Close()
}

// videoCodecConfig is the track of a video sequence header, and the NAL
// unit length size of its pictures: AVC and HEVC as Annex-B parameter
// sets (what media.CodecConfig carries), AV1 its av1C.
func videoCodecConfig(u *Unit) (*media.CodecConfig, int) {
	info, err := flv.ParseVideo(u.Body)
	if err != nil || !info.Header {
		return nil, 4
	}
	c := &media.CodecConfig{Codec: info.Codec, Extradata: append([]byte(nil), info.Data...)}
	c.Width, c.Height, _ = info.Size()
	lengthSize := 4
	switch info.Codec {
	case media.CodecH264:
		var rec flv.AVCDecoderConfigurationRecord
		if rec.Unmarshal(info.Data) != nil {
			return nil, 4
		}
		c.Extradata, lengthSize = rec.AnnexB(), int(rec.LengthSizeMinusOne)+1
	case media.CodecHEVC:
		var rec flv.HEVCDecoderConfigurationRecord
		if rec.Unmarshal(info.Data) != nil {
			return nil, 4
		}
		c.Extradata, lengthSize = rec.AnnexB(), int(rec.LengthSizeMinusOne)+1
	}
	return c, lengthSize
}

// audioCodecConfig is the track of an audio sequence header (AAC, Opus).
func audioCodecConfig(u *Unit) *media.CodecConfig {
	info, err := flv.ParseAudio(u.Body)
	if err != nil || !info.Header {
		return nil
	}
	c := &media.CodecConfig{Codec: info.Codec, Extradata: append([]byte(nil), info.Data...), SampleRate: 48000, Channels: 2}
	switch info.Codec {
	case media.CodecAAC:
		var asc flv.AudioSpecificConfig
		if asc.Unmarshal(info.Data) != nil {
			return nil
		}
		c.SampleRate, c.Channels = asc.SampleRate, asc.Channels()
	case media.CodecOpus:
		if len(info.Data) > 9 {
			c.Channels = int(info.Data[9])
		}
	}
	return c
}

// unitPacket is a coded picture or audio frame of u as media.Packet
// carries it (AVC and HEVC in Annex-B, their lengths lengthSize bytes in
// the tag); nil for anything else (a header, an end of sequence, a damaged
// tag).
func unitPacket(u *Unit, lengthSize int) *media.Packet {
	switch u.Kind {
	case KindVideo:
		info, err := flv.ParseVideo(u.Body)
		if err != nil || info.Header || info.End || info.Command || info.Metadata || len(info.Data) == 0 {
			return nil
		}
		data := info.Data
		if info.Codec == media.CodecH264 || info.Codec == media.CodecHEVC {
			nalus, err := flv.UnmarshalAVCC(info.Data, lengthSize)
			if err != nil {
				return nil
			}
			data = flv.JoinAnnexB(nalus)
		}
		return &media.Packet{Codec: info.Codec, DTS: u.DTS, PTS: u.DTS + time.Duration(info.CompositionTime)*time.Millisecond,
			Key: info.Key || flv.PictureIsKey(info.Codec, info.Data), Data: data}
	case KindAudio:
		info, err := flv.ParseAudio(u.Body)
		if err != nil || info.Header || info.End || info.Multichannel || len(info.Data) == 0 {
			return nil
		}
		return &media.Packet{Codec: info.Codec, DTS: u.DTS, PTS: u.DTS, Key: true, Data: info.Data}
	}
	return nil
}

// Recording is one recorded file, as /api/recordings lists it.
type Recording struct {
	Stream string `json:"stream"`
	// Path is the file; Name its name below the record folder
	// (NAME/FILE).
	Path string `json:"path"`
	Name string `json:"name"`
	// Start is when the file began (from its name), Seconds how much
	// media it holds (0 when it cannot be read yet).
	Start   time.Time `json:"start"`
	Seconds float64   `json:"duration_s"`
	Bytes   int64     `json:"bytes"`
	// Recording: the file is being written.
	Recording bool `json:"recording"`
}

// Recordings lists the recorded files, newest first.
func (s *Server) Recordings() []Recording {
	out := []Recording{}
	if s.cfg.RecordDir == "" {
		return out
	}
	dirs, _ := os.ReadDir(s.cfg.RecordDir)
	s.mu.Lock()
	writing := make(map[string]bool, len(s.writing))
	for p := range s.writing {
		writing[p] = true
	}
	s.mu.Unlock()
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(s.cfg.RecordDir, d.Name()))
		for _, f := range files {
			info, err := f.Info()
			if err != nil || !f.Type().IsRegular() || !isRecording(f.Name()) {
				continue
			}
			path := filepath.Join(s.cfg.RecordDir, d.Name(), f.Name())
			r := Recording{Stream: d.Name(), Path: path, Name: d.Name() + "/" + f.Name(), Bytes: info.Size(), Recording: writing[path]}
			r.Start = startOf(d.Name(), f.Name(), info.ModTime())
			r.Seconds = s.seconds(path, info)
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	return out
}

// seconds is recordedSeconds(path), read again only when the file
// changed.
func (s *Server) seconds(path string, info os.FileInfo) float64 {
	key := fmt.Sprintf("%s|%d|%d", path, info.Size(), info.ModTime().UnixNano())
	s.mu.Lock()
	sec, ok := s.durations[key]
	s.mu.Unlock()
	if ok {
		return sec
	}
	sec = recordedSeconds(path)
	s.mu.Lock()
	for k := range s.durations {
		if strings.HasPrefix(k, path+"|") {
			delete(s.durations, k)
		}
	}
	s.durations[key] = sec
	s.mu.Unlock()
	return sec
}

// startOf reads a recording's start from its name (STREAM-YYYY-MM-DD_HH-MM-SS…).
func startOf(stream, file string, mod time.Time) time.Time {
	rest := strings.TrimPrefix(file, stream+"-")
	if len(rest) >= len("2006-01-02_15-04-05") {
		if t, err := time.ParseInLocation("2006-01-02_15-04-05", rest[:len("2006-01-02_15-04-05")], time.Local); err == nil {
			return t
		}
	}
	return mod
}

// recordedSeconds is the media a recording holds: an FLV file's last tag
// time (from its trailing PreviousTagSize), an MP4's duration as FFmpeg
// reads it.
func recordedSeconds(path string) float64 {
	if strings.HasSuffix(path, "."+RecordFLV) {
		return flvSeconds(path)
	}
	return record.Seconds(path)
}

// flvSeconds is the timestamp of an FLV file's last whole tag, in seconds.
func flvSeconds(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end < 13+11+4 {
		return 0
	}
	var b [11]byte
	if _, err := f.ReadAt(b[:4], end-4); err != nil {
		return 0
	}
	prev := int64(binary.BigEndian.Uint32(b[:4]))
	at := end - 4 - prev
	if prev < 11 || at < 13 {
		return 0 // a tag cut by a crash: not worth a scan for a listing
	}
	if _, err := f.ReadAt(b[:], at); err != nil {
		return 0
	}
	ts := uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6]) | uint32(b[7])<<24
	return float64(ts) / 1000
}

func (s *Server) serveRecordings(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"recordings": s.Recordings()})
}
