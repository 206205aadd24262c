package app

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"onair/internal/media"
	"onair/internal/urlmask"
	"onair/player"
)

func runPlay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair play", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		latency    = fs.String("latency", "low", "low (about 100 ms of buffer, catch-up) or normal (about 1 s)")
		headless   = fs.Bool("headless", false, "no window: present frames to a sink that only measures")
		duration   = fs.Duration("duration", 0, "stop after this long (0: until the stream ends or Ctrl-C)")
		stats      = fs.Bool("stats-json", false, "print one JSON line of statistics per second on stdout")
		snapshot   = fs.String("snapshot", "", "write one presented frame to this PNG file")
		snapshotAt = fs.Duration("snapshot-at", 0, "when to take the snapshot, from the first frame")
		record     = fs.String("record", "", "write the received stream to this file without re-encoding (.flv, .mp4, .ts, .mkv)")
		volume     = fs.Float64("volume", 1, "volume, 0 to 2")
		mute       = fs.Bool("mute", false, "start muted")
		noAudio    = fs.Bool("no-audio", false, "ignore the audio track")
		nullAudio  = fs.Bool("null-audio", false, "play audio through the null device (silent, real clock)")
		timeout    = fs.Duration("timeout", 10*time.Second, "give up opening after this long")
		start      = fs.Duration("start", 0, "start this far into a file or a recording (RTMP video on demand), e.g. 30s or 1m30s")
		insecure   = fs.Bool("insecure", false, "rtmps: accept any server certificate (self-signed servers)")
		logLevel   = fs.String("log-level", "warn", "log level on stderr: debug, info, warn, error")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair play [flags] URL")
		fmt.Fprintln(stderr, "  URL: rtmp[s|t|e]://…, rtmfp://…, http(s)://….m3u8 (HLS), http(s)://….flv (HTTP-FLV), rtsp://…, srt://…, or a file")
		fs.PrintDefaults()
	}
	url, rest := splitURLArg(args)
	if stop, err := parseFlags(fs, rest); stop {
		return err
	}
	if url == "" && fs.NArg() > 0 {
		url = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (one URL only)", fs.Arg(0))
	}
	if url == "" {
		fs.Usage()
		return errUsage
	}
	lat, err := player.ParseLatency(*latency)
	if err != nil {
		return err
	}
	if *start < 0 {
		return fmt.Errorf("--start %v: want a position from the start, 0 or more", *start)
	}
	if *volume < 0 || *volume > 2 {
		return fmt.Errorf("volume %g: want 0 to 2", *volume)
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	_ = headless // the window comes with the desktop app; until then play is headless
	sink := &measureSink{snapshotPath: *snapshot, snapshotAt: *snapshotAt, log: log}
	ctx, cancel := withDuration(ctx, *duration)
	defer cancel()
	p, err := player.Open(ctx, player.Config{
		URL: url, Latency: lat, Sink: sink, NoAudio: *noAudio, NullAudio: *nullAudio,
		Volume: *volume, Record: *record, OpenTimeout: *timeout, Insecure: *insecure, Logger: log,
		Start: *start,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if *mute {
		p.SetMuted(true)
	}
	if !*stats {
		fmt.Fprintf(stderr, "onair: playing %s (latency %s); Ctrl-C stops\n", urlmask.Mask(url), lat)
	}
	reportPlay(ctx, p, *stats, stdout, stderr)
	p.Close()
	st := p.Stats()
	if err := sink.write(); err != nil {
		return err
	}
	final := playLineFrom(playSample{}, sampleOf(st, p), true)
	if st.Err != nil {
		final.State = "error"
		final.Error = oneLine(st.Err)
	} else if final.State != "ended" {
		final.State = "ended"
	}
	if *stats {
		writeJSONLine(stdout, final)
	} else {
		writeHumanPlayLine(stderr, final)
	}
	if *snapshot != "" && !sink.taken() {
		return fmt.Errorf("no frame was presented: no snapshot written to %s", *snapshot)
	}
	if st.Err != nil {
		return st.Err
	}
	return nil
}

// splitURLArg lets the URL stand before or after the flags.
func splitURLArg(args []string) (string, []string) {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "", args
}

// reportPlay prints a line a second until playback ends or ctx ends.
func reportPlay(ctx context.Context, p *player.Player, asJSON bool, stdout, stderr io.Writer) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev := playSample{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.Done():
			return
		case <-t.C:
		}
		cur := sampleOf(p.Stats(), p)
		line := playLineFrom(prev, cur, false)
		prev = cur
		if asJSON {
			writeJSONLine(stdout, line)
		} else {
			writeHumanPlayLine(stderr, line)
		}
	}
}

// playSample is one reading of a player's cumulative figures.
type playSample struct {
	at    time.Duration
	stats player.Stats
}

func sampleOf(st player.Stats, p *player.Player) playSample {
	return playSample{at: time.Since(p.Opened()), stats: st}
}

// playLine is a `--stats-json` line for `onair play` (see
// shared/specs/stats-json.md).
type playLine struct {
	T            float64  `json:"t"`
	State        string   `json:"state"`
	FirstFrameMs *float64 `json:"first_frame_ms"`
	Frames       int64    `json:"frames"`
	FPS          float64  `json:"fps"`
	Dropped      int64    `json:"dropped"`
	Skipped      int64    `json:"skipped"`
	SkippedAudio int64    `json:"skipped_audio"`
	PositionS    float64  `json:"position_s"`
	DurationS    *float64 `json:"duration_s"`
	Concealed    int64    `json:"concealed"`
	DecodeMsP50  float64  `json:"decode_ms_p50"`
	BufferMs     float64  `json:"buffer_ms"`
	Kbps         float64  `json:"kbps"`
	Video        string   `json:"video"`
	Audio        string   `json:"audio"`
	LatencyP50   *float64 `json:"latency_ms_p50,omitempty"`
	LatencyP95   *float64 `json:"latency_ms_p95,omitempty"`
	AVOffsetMs   *float64 `json:"av_offset_ms,omitempty"`
	Undecodable  *int64   `json:"undecodable,omitempty"`
	Error        string   `json:"error,omitempty"`
	Final        bool     `json:"final,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func playLineFrom(prev, cur playSample, final bool) playLine {
	st := cur.stats
	dt := (cur.at - prev.at).Seconds()
	if dt <= 0 {
		dt = 1
	}
	l := playLine{
		T:            math.Round(cur.at.Seconds()*1000) / 1000,
		State:        st.State.String(),
		Frames:       st.Frames,
		FPS:          round1(float64(st.Frames-prev.stats.Frames) / dt),
		Dropped:      st.Dropped,
		Skipped:      st.Skipped,
		SkippedAudio: st.SkippedAudio,
		PositionS:    round3(st.Position.Seconds()),
		Concealed:    st.Concealed,
		DecodeMsP50:  round1(st.DecodeP50),
		BufferMs:     round1(float64(st.Buffer) / 1e6),
		Kbps:         round1(float64(st.Bytes-prev.stats.Bytes) * 8 / 1000 / dt),
		Video:        st.Video,
		Audio:        st.Audio,
		Final:        final,
	}
	if st.Duration > 0 {
		l.DurationS = ptr(round3(st.Duration.Seconds()))
	}
	if st.FirstFrame > 0 {
		l.FirstFrameMs = ptr(round1(float64(st.FirstFrame) / 1e6))
	}
	if sig := st.Signal; sig.Seen {
		p50, p95, av := sig.P50, sig.P95, sig.AVOffset
		if final {
			p50, p95, av = sig.RunP50, sig.RunP95, sig.RunAVOffset
		}
		if final || sig.WindowLatencyLen > 0 {
			l.LatencyP50, l.LatencyP95 = ptr(round1(p50)), ptr(round1(p95))
		}
		if sig.AVPairs > 0 {
			l.AVOffsetMs = ptr(round1(av))
		}
		l.Undecodable = ptr(sig.Undecodable)
	}
	if st.State == player.StateError && st.Err != nil {
		l.Error = oneLine(st.Err)
	}
	return l
}

func writeHumanPlayLine(w io.Writer, l playLine) {
	first := "—"
	if l.FirstFrameMs != nil {
		first = fmt.Sprintf("%.0f ms", *l.FirstFrameMs)
	}
	s := fmt.Sprintf("%6.1fs %-9s %s | %s  first frame %s  %5.1f fps  frames %d  dropped %d  decode %.1f ms  buffer %.0f ms  %.0f kb/s",
		l.T, l.State, l.Video, l.Audio, first, l.FPS, l.Frames, l.Dropped, l.DecodeMsP50, l.BufferMs, l.Kbps)
	if l.LatencyP50 != nil {
		s += fmt.Sprintf("  latency p50 %.0f ms p95 %.0f ms", *l.LatencyP50, *l.LatencyP95)
	}
	if l.AVOffsetMs != nil {
		s += fmt.Sprintf("  A/V %+.0f ms", *l.AVOffsetMs)
	}
	if l.Concealed > 0 {
		s += fmt.Sprintf("  concealed %d", l.Concealed)
	}
	if l.Undecodable != nil && *l.Undecodable > 0 {
		s += fmt.Sprintf("  undecodable %d", *l.Undecodable)
	}
	fmt.Fprintln(w, s)
}

// measureSink is the headless frame sink: the player measures every
// presented frame; this sink only takes the snapshot when asked.
type measureSink struct {
	snapshotPath string
	snapshotAt   time.Duration
	log          *slog.Logger

	mu    sync.Mutex
	first time.Time
	done  bool
	img   image.Image
	werr  error
}

func (s *measureSink) Present(f *media.VideoFrame) {
	if s.snapshotPath == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	now := time.Now()
	if s.first.IsZero() {
		s.first = now
	}
	if now.Sub(s.first) < s.snapshotAt {
		return
	}
	s.done = true
	s.img, s.werr = player.Image(f) // copied now, encoded after playback
}

// write saves the snapshot taken, if any.
func (s *measureSink) write() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.img == nil || s.werr != nil {
		return s.werr
	}
	s.werr = player.WriteImagePNG(s.snapshotPath, s.img)
	if s.werr == nil {
		s.log.Info("snapshot written", "file", s.snapshotPath)
	}
	return s.werr
}

func (s *measureSink) taken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done && s.werr == nil
}
