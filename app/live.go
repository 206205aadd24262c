package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"onair/app/engine"
	"onair/encode"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runLive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		video    = fs.String("video", "testsrc", "video source: "+engine.VideoSpecHelp+" (onair devices lists them)")
		audio    = fs.String("audio", "tone", "audio source: "+engine.AudioSpecHelp)
		pip      = fs.String("pip", "", "picture-in-picture: a second video source in a corner, e.g. camera")
		title    = fs.String("overlay-text", "", "a title drawn top-left")
		clock    = fs.Bool("overlay-clock", false, "draw the wall clock top-right")
		noCursor = fs.Bool("hide-cursor", false, "screen capture: leave the mouse pointer out")
		fit      = fs.String("fit", "letterbox", "a source of another shape: letterbox, crop or stretch")
		size     = fs.String("size", "1280x720", "output size: WxH or sd, hd, fhd, uhd")
		fpsS     = fs.String("fps", "30", "frame rate (e.g. 30, 29.97, 30000/1001)")
		vbitrate = fs.String("vbitrate", "2500k", "video bitrate (CBR)")
		abitrate = fs.String("abitrate", "128k", "audio bitrate")
		dbr      = fs.Bool("dynamic-bitrate", true, "lower the video bitrate while the connection cannot carry it, and raise it back after (--dynamic-bitrate=false: keep --vbitrate)")
		vcodec   = fs.String("vcodec", "h264", "video codec: h264, or hevc or av1 (Enhanced RTMP: the server must support it)")
		acodec   = fs.String("acodec", "aac", "audio codec: aac, or opus (Enhanced RTMP, 48 kHz)")
		opusFr   = fs.Duration("opus-frame", 10*time.Millisecond, "Opus frame duration: 10ms or 20ms")
		trustE   = fs.Bool("trust-enhanced", false, "send HEVC/Opus to a server that does not announce Enhanced RTMP (MediaMTX, SRS 6 forward it without saying so)")
		preset   = fs.String("preset", "veryfast", "x264/x265 preset: "+strings.Join(encode.Presets(), ", "))
		keyint   = fs.Duration("keyint", 2*time.Second, "keyframe interval")
		profile  = fs.String("profile", "high", "H.264 profile: baseline, main, high")
		duration = fs.Duration("duration", 0, "stop after this long (0: until Ctrl-C)")
		insecure = fs.Bool("insecure", false, "rtmps: accept any server certificate (self-signed servers)")
		stats    = fs.Bool("stats-json", false, "print one JSON line of statistics per second on stdout")
		logLevel = fs.String("log-level", "warn", "log level on stderr: debug, info, warn, error")
		recPath  = fs.String("record", "", "record into `FILE` (.mp4, .mkv or .flv) as well; with no --to, record only")
		to       stringList
		mix      stringList
	)
	fs.Var(&mix, "mix", "another audio source mixed in, SPEC[@GAIN_DB] (e.g. monitor@-6); repeat for several")
	fs.Var(&to, "to", "destination rtmp[s]://host[:port]/app/streamkey, or rtmpt, rtmpe, rtmpte, rtmfp (UDP) (repeat for several)")
	svc := addServiceFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair live [flags] {--to URL [--to URL...] | --service NAME --key KEY} [--record FILE]")
		fs.PrintDefaults()
	}
	if stop, err := parseFlags(fs, args); stop {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	if len(to) == 0 && svc.service == "" && *recPath == "" {
		return fmt.Errorf("no destination: give --to rtmp://host/app/streamkey, --service NAME --key KEY, or --record FILE to record only")
	}
	out, err := parseVideoOutput(*size, *fpsS, *vbitrate)
	if err != nil {
		return err
	}
	w, h, fps, vb := out.width, out.height, out.fps, out.bitrate
	ab, err := engine.ParseBitrate(*abitrate)
	if err != nil {
		return err
	}
	vc, err := engine.ParseVideoCodec(*vcodec)
	if err != nil {
		return err
	}
	ac, err := engine.ParseAudioCodec(*acodec)
	if err != nil {
		return err
	}
	if !encode.ValidPreset(*preset) {
		return fmt.Errorf("preset %q: want one of %s", *preset, strings.Join(encode.Presets(), ", "))
	}
	cfg := engine.Config{
		Video: *video, Audio: *audio, Mix: mix, PiP: *pip, OverlayText: *title, OverlayClock: *clock, HideCursor: *noCursor, Fit: *fit,
		Width: w, Height: h, FPS: fps,
		VideoBitrate: vb, AudioBitrate: ab, Preset: *preset, Profile: *profile, KeyInterval: *keyint,
		VideoCodec: vc, AudioCodec: ac, OpusFrame: *opusFr, TrustEnhanced: *trustE,
		URLs: to, Record: *recPath, Insecure: *insecure,
		FixedBitrate: !*dbr,
	}
	warnings, err := svc.apply(fs, &cfg)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "onair: warning:", w)
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg.Logger = log
	ctx, cancel := withDuration(ctx, *duration)
	defer cancel()
	// Going live may take up to the connect timeout; Ctrl-C aborts it.
	b, err := engine.Start(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while connecting
		}
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			return fmt.Errorf("%w (for a server with a self-signed certificate add --insecure)", err)
		}
		return err
	}
	if !*stats {
		var what []string
		if len(cfg.URLs) > 0 {
			what = append(what, "live to "+strings.Join(maskedAll(cfg.URLs), ", "))
		}
		if *recPath != "" {
			what = append(what, "recording to "+*recPath)
		}
		fmt.Fprintf(stderr, "onair: %s (%s %dx%d %.4g fps, %s %s video, %s %s %s audio); Ctrl-C stops\n",
			strings.Join(what, ", "), *video, w, h, fps, *vbitrate, vc, *audio, *abitrate, ac)
	}
	runErr := report(ctx, b, *stats, len(cfg.URLs) == 0, cfg.VideoBitrate, stdout, stderr)
	b.Close()
	final := b.Sample()
	final.State = "stopped"
	line := rates(engine.Sample{}, final, true, nil)
	if *stats {
		writeJSONLine(stdout, line)
	} else {
		rec := ""
		if r := line.Recording; r != nil {
			rec = fmt.Sprintf("; recorded %.1f s (%s) into %s", r.Seconds, fmtBytes(r.Bytes), r.Path)
		}
		fmt.Fprintf(stderr, "onair: stopped after %.1f s: %d frames sent, %d dropped, %d reconnects%s\n",
			line.T, line.FramesSent, line.Dropped, line.Reconnects, rec)
	}
	return runErr
}

// report prints a line a second until ctx ends. A recording that fails (a
// full disk) is said on stderr and stopped while the stream goes on; with
// nothing else to do (recordOnly) it ends the run with its error.
// vbitrate is the configured video bitrate (a destination's health).
func report(ctx context.Context, b *engine.Broadcast, asJSON, recordOnly bool, vbitrate int, stdout, stderr io.Writer) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev := engine.Sample{}
	hw := &healthWatch{Configured: vbitrate}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cur := b.Sample()
		line := rates(prev, cur, false, hw)
		prev = cur
		if asJSON {
			writeJSONLine(stdout, line)
		} else {
			writeHumanLine(stderr, line)
		}
		if r := cur.Recording; r != nil && r.Err != nil {
			_ = b.StopRecording()
			if recordOnly {
				return r.Err
			}
			fmt.Fprintf(stderr, "onair: %v; the stream goes on\n", r.Err)
		}
	}
}
