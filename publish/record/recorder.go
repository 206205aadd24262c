package record

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/logx"
	"onair/internal/media"
)

// Config configures a Recorder. Zero fields take the defaults.
type Config struct {
	// Path is the file to write, made or truncated; its extension picks
	// the format (FormatOf). Required.
	Path string
	// Video and Audio describe the tracks (the encoders' configurations);
	// either may be nil, not both.
	Video, Audio *media.CodecConfig
	// QueueSize is how many packets may wait for the disk. Default 1024
	// (about 13 s at 30 fps with audio): past it the oldest are dropped,
	// and video then resumes at the next keyframe.
	QueueSize int
	// FragmentDuration bounds how much media the muxer holds before it
	// hands it to the file: the MP4 fragment and the Matroska cluster
	// duration, and so what a crash may lose. Default 500 ms; at most
	// 1 s is what the file promises.
	FragmentDuration time.Duration
	// RequestKeyframe, when set, is called when the recording needs a
	// keyframe: at the start (the file begins with one) and after a drop.
	// It must not block. Default: none (the recording waits for the
	// encoder's next scheduled keyframe).
	RequestKeyframe func()
	// Create makes the file. Default: os.OpenFile(path, O_WRONLY|O_CREATE|
	// O_TRUNC, 0644). Tests inject failing files through it.
	Create func(path string) (File, error)
	// Logger receives the recorder's messages; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.FragmentDuration <= 0 {
		c.FragmentDuration = 500 * time.Millisecond
	}
	if c.Create == nil {
		c.Create = createFile
	}
	c.Logger = logx.OrDiscard(c.Logger)
}

// ErrCreate is returned by Start when the file cannot be made (a folder
// that is not there or not writable, a full disk); it wraps the system's
// error, so errors.Is(err, fs.ErrPermission) tells the cause.
var ErrCreate = errors.New("cannot create the recording")

// ErrWrite is wrapped by Stats.Err and Close's error when writing failed
// during the recording (a full disk, a removed drive); the recording stopped
// there and what was written before plays.
var ErrWrite = errors.New("recording stopped: cannot write the file")

// Stats is a snapshot of a recording's figures.
type Stats struct {
	// Path is the file.
	Path string
	// Bytes is the file's size so far.
	Bytes int64
	// Duration is the media time written: the last packet's time since
	// the first.
	Duration time.Duration
	// Frames counts the pictures written; VideoBytes and AudioBytes the
	// tracks' payload bytes written.
	Frames                 int64
	VideoBytes, AudioBytes uint64
	// Dropped counts packets left out: the queue overflowed (the disk
	// could not keep up), or video waited for a keyframe after that.
	Dropped int64
	// Err is why the recording stopped before Close (ErrWrite); nil while
	// it goes on.
	Err error
}

// Recorder writes one file. Start makes it, Push feeds it from any
// goroutine, Close ends it.
type Recorder struct {
	cfg    Config
	format Format
	log    *slog.Logger
	queue  *media.Queue[*media.Packet]
	out    *output
	mux    muxer
	done   chan struct{}

	needKey atomic.Bool // a video packet was dropped: skip video to the next keyframe

	mu    sync.Mutex
	stats Stats
}

// muxer is one container's writer. Times come relative to the recording's
// first packet.
type muxer interface {
	write(pk *media.Packet, pts, dts time.Duration) error
	// close ends the file: with trailer, what the format writes at its
	// end; without (after a write error), only frees.
	close(trailer bool) error
}

// Start makes the file, writes the format's header and starts the writer
// goroutine. Errors: ErrFormat (the extension), ErrCreate (the file cannot
// be made or its header not written), a missing track configuration.
func Start(cfg Config) (*Recorder, error) {
	cfg.setDefaults()
	f, err := FormatOf(cfg.Path)
	if err != nil {
		return nil, err
	}
	if cfg.Video == nil && cfg.Audio == nil {
		return nil, fmt.Errorf("record %s: nothing to record (no video, no audio)", cfg.Path)
	}
	file, err := cfg.Create(cfg.Path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once
		}
		return nil, fmt.Errorf("%w %s: %w", ErrCreate, cfg.Path, err)
	}
	r := &Recorder{
		cfg:    cfg,
		format: f,
		log:    cfg.Logger.With("record", cfg.Path),
		queue:  media.NewQueue[*media.Packet](cfg.QueueSize, nil),
		out:    &output{f: file},
		done:   make(chan struct{}),
	}
	r.stats.Path = cfg.Path
	if f == FormatFLV {
		r.mux, err = newFLVMuxer(r.out, cfg.Video, cfg.Audio, r.log)
	} else {
		var m *avMuxer
		m, err = newAVMuxer(f, r.out, cfg.Video, cfg.Audio, cfg.FragmentDuration)
		if m != nil {
			r.mux = m
		}
	}
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrCreate, cfg.Path, err)
	}
	r.queue.SetOnDrop(func(pk *media.Packet) {
		if pk.Codec.IsVideo() {
			r.needKey.Store(true)
		}
	})
	if cfg.RequestKeyframe != nil {
		cfg.RequestKeyframe()
	}
	r.log.Info("recording", "format", f)
	go r.run()
	return r, nil
}

// Push hands a packet over without waiting; any goroutine. When the queue
// is full the oldest packet is dropped and counted. After Close, or once
// the recording failed, packets are ignored.
func (r *Recorder) Push(pk *media.Packet) { r.queue.Push(pk) }

// Stats returns the current figures; also after Close (the final ones).
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	s := r.stats
	r.mu.Unlock()
	s.Bytes = r.out.size.Load()
	s.Dropped += r.queue.Dropped()
	return s
}

// Done is closed when the writer goroutine has ended: after Close, or
// when writing failed (Stats.Err).
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Close writes what is queued, then the format's trailer, closes the file,
// and returns after the writer goroutine ended. The error is the one that
// stopped the recording, if any (ErrWrite). Safe to call more than once.
func (r *Recorder) Close() error {
	r.queue.Close()
	<-r.done
	return r.Stats().Err
}
