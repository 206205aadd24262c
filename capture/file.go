package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asticode/go-astiav"

	"onair/internal/logx"
	"onair/internal/media"
)

var (
	// ErrUnsupported is returned by OpenFile when FFmpeg cannot read the
	// file (not a media file, a container it does not know, a truncated
	// header) or has no decoder for a stream that is to be delivered; the
	// message says which and gives FFmpeg's own words.
	ErrUnsupported = errors.New("capture: media file cannot be decoded")
	// ErrNoStream is returned by OpenFile when FileConfig asks for video or
	// audio and the file has none (or has neither), and by the Start of
	// the view of a stream the File does not deliver.
	ErrNoStream = errors.New("capture: media file has no such stream")
)

// Limits of FileConfig's audio output.
const (
	minFileRate     = 8000
	maxFileRate     = 192000
	maxFileChannels = 8
)

// FileConfig configures a File.
type FileConfig struct {
	// Path of the media file: any container and codecs FFmpeg reads (MP4,
	// MKV, MOV, WebM, MPEG-TS, MP3, WAV, …).
	Path string
	// Loop starts the file again at its end, seamlessly: the second pass
	// follows the first on the same timeline and timestamps keep
	// increasing. A live stream normally sets it. Without it the sources
	// stop delivering at the end of the file, and Done is closed.
	Loop bool
	// Video and Audio say which streams to deliver (the file's first video
	// and first audio stream). When both are false, every one of the two
	// that the file has is delivered. A stream asked for that the file
	// does not have makes OpenFile fail with ErrNoStream.
	Video, Audio bool
	// SampleRate (8000..192000 Hz) and Channels (1..8) of the audio
	// delivered, whatever the file has: interleaved float32, resampled
	// and remixed. Default 48000 and 2.
	SampleRate, Channels int
	// Clock is the stream clock on which frames are stamped. Default: a
	// clock started by OpenFile.
	Clock media.Clock
	// Logger receives the source's messages. Default: discarded.
	Logger *slog.Logger
}

// FileInfo describes what a File delivers.
type FileInfo struct {
	// Format is FFmpeg's name for the container, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
	Format string
	// Duration of one pass through the file as the container states it;
	// 0 when unknown.
	Duration time.Duration
	// HasVideo and HasAudio say which streams are delivered.
	HasVideo, HasAudio bool
	// VideoCodec, Width, Height and FPS describe the delivered video (FPS
	// is the stream's average rate; 0 when the container does not say).
	VideoCodec    string
	Width, Height int
	FPS           float64
	// AudioCodec, SampleRate and Channels describe the file's audio; it is
	// delivered at FileConfig.SampleRate and Channels.
	AudioCodec           string
	SampleRate, Channels int
}

// File is a media file played as a live source, "file:PATH": its video
// and audio, decoded with FFmpeg, are handed out in real time as a camera
// and a microphone would, through two views, VideoSource and AudioSource,
// that share one goroutine which demuxes, decodes and paces both, so the
// two stay in sync.
//
// Pacing: when the first frames are decoded, the file's timeline is
// anchored on the stream clock; from then on each frame is released when
// its time comes on the monotonic clock (its file PTS minus the file's
// first PTS, plus the duration of the passes before when looping), and its
// media PTS is that instant on the stream clock: its capture time. When
// looping, a pass lasts until the end of its last packet (PTS plus
// duration, the longest of the streams), so the next pass continues
// without a gap or an overlap. The demuxer reads about 200 ms ahead of the
// pace (1 s at most for a stream when the file interleaves badly), so
// memory stays bounded whatever the file's length.
//
// Video is delivered as media.PixelFormatYUV420P (other pixel formats and
// full-range JPEG YUV are converted with libswscale, colour matrix left as
// it is) at the file's own size and rate; an odd width or height keeps
// its chroma rounded up ((w+1)/2). A video frame that would be released
// more than one frame interval late (the decoder fell behind) is dropped
// and counted by the video view's Skipped, instead of a burst. Audio is
// resampled to float32 interleaved at FileConfig.SampleRate and Channels,
// delivered in the decoder's blocks (about 20 ms), never dropped: late
// blocks go out at once with their PTS continuous.
//
// Frame buffers are pooled: the consumer must call Release on each video
// frame once done with it.
type File struct {
	cfg  FileConfig
	log  *slog.Logger
	info FileInfo

	fc     *astiav.FormatContext
	intr   astiav.IOInterrupter
	tracks []*fileTrack // the delivered streams: video first, if any
	vtrack *fileTrack
	atrack *fileTrack
	// origin is the file time that timeline time 0 stands for; originSet
	// is false until it is known (from the streams' start times, or else
	// from the first packet).
	origin    time.Duration
	originSet bool
	// seekTS is where a new pass seeks to (AV_TIME_BASE units).
	seekTS int64

	video fileVideo
	audio fileAudio

	mu        sync.Mutex
	started   bool
	firstUp   time.Time // when the first view started
	cancel    context.CancelFunc
	done      chan struct{} // closed when the goroutine has ended (or at Close)
	stopped   stopErr
	closeOnce sync.Once

	play filePlay // owned by the goroutine
	// readAhead and readAheadMax are the furthest the demuxer has read
	// ahead of the pace (nanoseconds) for the stream furthest behind and
	// for the one furthest ahead, for the tests.
	readAhead, readAheadMax atomic.Int64
}

// OpenFile opens cfg.Path, finds its streams and opens their decoders;
// nothing is read further until a view is started. Errors wrap
// fs.ErrNotExist (no such file), ErrUnsupported (FFmpeg cannot read or
// decode it), ErrNoStream (a stream asked for is missing) or
// ErrInvalidConfig.
func OpenFile(cfg FileConfig) (*File, error) {
	if err := audioFormat(&cfg.SampleRate, &cfg.Channels, minFileRate, maxFileRate, maxFileChannels); err != nil {
		return nil, err
	}
	if cfg.Path == "" {
		return nil, fmt.Errorf("%w: no media file path given", ErrInvalidConfig)
	}
	if cfg.Clock.Start().IsZero() {
		cfg.Clock = media.NewClock()
	}
	cfg.Logger = logx.OrDiscard(cfg.Logger)
	st, err := os.Stat(cfg.Path)
	if err != nil {
		// Keeps fs.ErrNotExist (or fs.ErrPermission) for errors.Is.
		return nil, fmt.Errorf("capture: media file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a media file: %w", cfg.Path, ErrUnsupported)
	}
	f := &File{
		cfg:  cfg,
		log:  cfg.Logger.With("source", "file", "path", cfg.Path),
		done: make(chan struct{}),
	}
	f.video.f, f.audio.f = f, f
	if err := f.open(); err != nil {
		f.free()
		return nil, err
	}
	f.log.Debug("opened", "format", f.info.Format, "duration", f.info.Duration,
		"video", f.info.VideoCodec, "width", f.info.Width, "height", f.info.Height, "fps", f.info.FPS,
		"audio", f.info.AudioCodec, "rate", f.info.SampleRate, "channels", f.info.Channels)
	return f, nil
}

// open opens the demuxer and the decoders of the streams to deliver.
func (f *File) open() error {
	path := f.cfg.Path
	f.fc = astiav.AllocFormatContext()
	if f.fc == nil {
		return errors.New("capture: allocating the demuxer failed")
	}
	f.intr = f.fc.SetInterruptCallback()
	// "file:" so that a path with a colon is never taken for a protocol.
	if err := f.fc.OpenInput("file:"+path, nil, nil); err != nil {
		f.fc.Free() // avformat_open_input frees the context on failure
		f.fc = nil
		return openFileError(path, err)
	}
	if err := f.fc.FindStreamInfo(nil); err != nil {
		return fmt.Errorf("%s: reading the stream parameters failed (%v): %w", path, err, ErrUnsupported)
	}
	if in := f.fc.InputFormat(); in != nil {
		f.info.Format = in.Name()
	}
	if d := f.fc.Duration(); d > 0 {
		f.info.Duration = time.Duration(d) * time.Microsecond // AV_TIME_BASE
	}
	var vst, ast *astiav.Stream
	for _, s := range f.fc.Streams() {
		switch cp := s.CodecParameters(); cp.MediaType() {
		case astiav.MediaTypeVideo:
			if vst == nil && cp.Width() > 0 && cp.Height() > 0 {
				vst = s
			}
		case astiav.MediaTypeAudio:
			if ast == nil {
				ast = s
			}
		}
	}
	wantV, wantA := f.cfg.Video, f.cfg.Audio
	if !wantV && !wantA {
		wantV, wantA = vst != nil, ast != nil
		if !wantV && !wantA {
			return fmt.Errorf("%s: no video or audio stream in the file: %w", path, ErrNoStream)
		}
	}
	if wantV && vst == nil {
		return fmt.Errorf("%s: no video stream in the file (%s): %w", path, streamList(f.fc), ErrNoStream)
	}
	if wantA && ast == nil {
		return fmt.Errorf("%s: no audio stream in the file (%s): %w", path, streamList(f.fc), ErrNoStream)
	}
	if wantV {
		t, err := newFileTrack(vst, true)
		if err != nil {
			return fmt.Errorf("%s: video: %w", path, err)
		}
		f.vtrack = t
		f.tracks = append(f.tracks, t)
		cp := vst.CodecParameters()
		f.info.HasVideo, f.info.VideoCodec = true, t.codec
		f.info.Width, f.info.Height = cp.Width(), cp.Height()
		if r := vst.AvgFrameRate(); r.Num() > 0 && r.Den() > 0 {
			f.info.FPS = r.Float64()
		}
	}
	if wantA {
		t, err := newFileTrack(ast, false)
		if err != nil {
			return fmt.Errorf("%s: audio: %w", path, err)
		}
		f.atrack = t
		f.tracks = append(f.tracks, t)
		cp := ast.CodecParameters()
		f.info.HasAudio, f.info.AudioCodec = true, t.codec
		f.info.SampleRate, f.info.Channels = cp.SampleRate(), cp.ChannelLayout().NbChannels()
	}
	// Timeline 0 is the earliest start of the delivered streams.
	for _, t := range f.tracks {
		if s := t.st.StartTime(); s != fileNoPTS {
			if o := fileTicks(s, t.tb); !f.originSet || o < f.origin {
				f.setOrigin(o)
			}
		}
	}
	if !f.originSet {
		if s := f.fc.StartTime(); s != fileNoPTS {
			f.setOrigin(time.Duration(s) * time.Microsecond)
		}
	}
	return nil
}

// setOrigin makes timeline time 0 stand for file time o, where a new pass
// seeks to (in AV_TIME_BASE units, rounded down).
func (f *File) setOrigin(o time.Duration) {
	f.origin, f.originSet = o, true
	f.seekTS = int64(math.Floor(float64(o) / float64(time.Microsecond)))
}

// openFileError turns FFmpeg's error on opening path into one of ours.
func openFileError(path string, err error) error {
	switch {
	case errors.Is(err, astiav.ErrInvaliddata):
		return fmt.Errorf("%s: not a media file FFmpeg can read (invalid data): %w", path, ErrUnsupported)
	case errors.Is(err, astiav.ErrEof):
		return fmt.Errorf("%s: not a media file FFmpeg can read (it ends before any media): %w", path, ErrUnsupported)
	case errors.Is(err, astiav.Error(-2)): // ENOENT: removed since Stat
		return fmt.Errorf("capture: media file %s: %w", path, os.ErrNotExist)
	case errors.Is(err, astiav.Error(-13)): // EACCES
		return fmt.Errorf("capture: media file %s: %w", path, os.ErrPermission)
	}
	return fmt.Errorf("%s: FFmpeg cannot open it (%v): %w", path, err, ErrUnsupported)
}

// streamList names the file's streams for a message: "streams: audio mp3,
// video mjpeg".
func streamList(fc *astiav.FormatContext) string {
	s := "streams:"
	for i, st := range fc.Streams() {
		if i > 0 {
			s += ","
		}
		cp := st.CodecParameters()
		s += " " + cp.MediaType().String() + " " + cp.CodecID().Name()
	}
	if len(fc.Streams()) == 0 {
		s += " none"
	}
	return s
}

// Config is the configuration in use, defaults filled in.
func (f *File) Config() FileConfig { return f.cfg }

// Info describes the file and what is delivered from it.
func (f *File) Info() FileInfo { return f.info }

// VideoSource is the view of the file's video. The first Start of either
// view starts the File; a frame due before a view is started is lost to
// it, so start both views one after the other. Its Start returns
// ErrNoStream when the File delivers no video. Closing it stops its
// deliveries; when no started view remains open, the File is closed.
func (f *File) VideoSource() VideoSource { return &f.video }

// AudioSource is the view of the file's audio, as VideoSource is of its
// video.
func (f *File) AudioSource() AudioSource { return &f.audio }

// Done is closed when the File's goroutine has ended: at the end of the
// file without Loop, on an error (Err says which), or at Close.
func (f *File) Done() <-chan struct{} { return f.done }

// Err is why the File stopped on its own before the end of the file (a
// read error, or a seek that failed when looping); nil otherwise.
func (f *File) Err() error {
	return f.stopped.get()
}

// Close stops both views, returns once the goroutine has ended and frees
// FFmpeg's state; no frame is delivered after it returns. It is safe to
// call more than once, and without Start.
func (f *File) Close() error {
	f.closeOnce.Do(func() {
		f.video.shut()
		f.audio.shut()
		f.mu.Lock()
		started, cancel := f.started, f.cancel
		f.started = true // no start after this
		f.mu.Unlock()
		if started && cancel != nil {
			f.intr.Interrupt()
			cancel()
			<-f.done
		} else {
			close(f.done)
		}
		f.free()
	})
	return nil
}

// start launches the goroutine at the first view's Start.
func (f *File) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return
	}
	f.started = true
	f.firstUp = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		f.run(ctx)
	}()
}

// viewClosed closes the File when no started view is still open.
func (f *File) viewClosed() {
	if f.video.active() || f.audio.active() {
		return
	}
	f.Close()
}

// fail records why the goroutine ends early.
func (f *File) fail(err error) {
	f.stopped.set(err)
	f.log.Error("file source stopped", "err", err)
}

// free releases FFmpeg's state and what is still queued.
func (f *File) free() {
	f.play.free()
	for _, t := range f.tracks {
		t.free()
	}
	f.tracks = nil
	if f.fc != nil {
		f.fc.CloseInput()
		f.fc.Free()
		f.fc = nil
	}
}
