package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"onair/app/engine"
	"onair/internal/urlmask"
	"onair/player"
	"onair/publish/loopback"
)

// runDemo runs the whole chain in one process: the loopback server, the
// test-signal publisher into it, and a headless player reading it back,
// printing the live figures.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		duration = fs.Duration("duration", 20*time.Second, "how long to run")
		size     = fs.String("size", "1280x720", "output size: WxH or sd, hd, fhd, uhd")
		fpsS     = fs.String("fps", "30", "frame rate")
		vbitrate = fs.String("vbitrate", "2500k", "video bitrate")
		preset   = fs.String("preset", "veryfast", "x264/x265 preset")
		vcodec   = fs.String("vcodec", "h264", "video codec: h264, hevc or av1 (Enhanced RTMP)")
		acodec   = fs.String("acodec", "aac", "audio codec: aac or opus (Enhanced RTMP)")
		latency  = fs.String("latency", "low", "player latency: low or normal")
		rtmpAddr = fs.String("rtmp", "127.0.0.1:0", "loopback RTMP address (port 0: any free port)")
		httpAddr = fs.String("http", "127.0.0.1:0", "loopback HTTP address")
		stats    = fs.Bool("stats-json", false, "print one JSON line of statistics per second on stdout")
		noAudio  = fs.Bool("no-audio", false, "the player ignores the audio track (video only, no A/V sync)")
		logLevel = fs.String("log-level", "warn", "log level on stderr: debug, info, warn, error")
		via      = fs.String("via", "rtmp", "how the stream goes through the loopback server: rtmp, rtmps (self-signed), rtmpt (RTMP in HTTP), rtmpe (encrypted) or rtmpte")
	)
	if stop, err := parseFlags(fs, args); stop {
		return err
	}
	out, err := parseVideoOutput(*size, *fpsS, *vbitrate)
	if err != nil {
		return err
	}
	w, h, fps, vb := out.width, out.height, out.fps, out.bitrate
	lat, err := player.ParseLatency(*latency)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	ctx, cancel := withDuration(ctx, *duration)
	defer cancel()
	lcfg := loopback.Config{RTMPAddr: *rtmpAddr, HTTPAddr: *httpAddr, Logger: log}
	switch *via {
	case "rtmp", "rtmpt", "rtmpe", "rtmpte":
	case "rtmps":
		dir, err := os.MkdirTemp("", "onair-demo-cert")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if lcfg.Cert, _, err = loopback.SelfSignedCert(dir); err != nil {
			return err
		}
		lcfg.RTMPSAddr = "127.0.0.1:0"
	default:
		return fmt.Errorf("--via %q: want rtmp, rtmps, rtmpt, rtmpe or rtmpte", *via)
	}
	srv, err := loopback.Start(lcfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	url := map[string]string{
		"rtmp":   "rtmp://" + srv.RTMPAddr(),
		"rtmps":  "rtmps://" + srv.RTMPSAddr(),
		"rtmpt":  "rtmpt://" + srv.HTTPAddr(),
		"rtmpe":  "rtmpe://" + srv.RTMPAddr(),
		"rtmpte": "rtmpte://" + srv.HTTPAddr(),
	}[*via] + "/live/preview"
	vc, err := engine.ParseVideoCodec(*vcodec)
	if err != nil {
		return err
	}
	ac, err := engine.ParseAudioCodec(*acodec)
	if err != nil {
		return err
	}
	b, err := engine.Start(ctx, engine.Config{
		Video: "testsrc", Audio: "tone", Width: w, Height: h, FPS: fps, VideoBitrate: vb, AudioBitrate: 128_000,
		VideoCodec: vc, AudioCodec: ac,
		Preset: *preset, Profile: "high", KeyInterval: 2 * time.Second, URLs: []string{url}, Insecure: true, Logger: log,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer b.Close()
	p, err := player.Open(ctx, player.Config{URL: url, Latency: lat, NullAudio: true, NoAudio: *noAudio, Insecure: true, Logger: log})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer p.Close()
	if !*stats {
		fmt.Fprintf(stderr, "onair demo: test source %dx%d %.4g fps -> x264/AAC -> %s -> loopback server -> player (latency %s), %v\n",
			w, h, fps, urlmask.Mask(url), lat, *duration)
		fmt.Fprintf(stderr, "onair demo: watch it too: ffplay %s  |  http://%s/live/preview/index.m3u8  |  http://%s/live/preview.flv\n",
			url, srv.HTTPAddr(), srv.HTTPAddr())
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var prevPlay playSample
	var prevLive engine.Sample
	emit := func(final bool) {
		ps := sampleOf(p.Stats(), p)
		ls := b.Sample()
		pl := playLineFrom(prevPlay, ps, final)
		ll := rates(prevLive, ls, final, nil)
		if final {
			pl = playLineFrom(playSample{}, ps, true)
			ll = rates(engine.Sample{}, ls, true, nil)
			if pl.State == "playing" {
				pl.State = "ended"
			}
		}
		prevPlay, prevLive = ps, ls
		if *stats {
			writeJSONLine(stdout, demoLine{playLine: pl, Publish: ll})
			return
		}
		writeHumanLine(stderr, ll)
		writeHumanPlayLine(stderr, pl)
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-p.Done():
			break loop
		case <-tick.C:
			emit(false)
		}
	}
	emit(true)
	if err := p.Stats().Err; err != nil {
		return err
	}
	return nil
}

// demoLine is a `--stats-json` line for `onair demo`: the play keys, plus
// the live keys under "publish".
type demoLine struct {
	playLine
	Publish liveLine `json:"publish"`
}
