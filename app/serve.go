package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"onair/publish/loopback"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		rtmpAddr  = fs.String("rtmp", "127.0.0.1:1935", "RTMP listen address")
		httpAddr  = fs.String("http", "127.0.0.1:8080", "HTTP listen address (HLS, HTTP-FLV, /api/streams)")
		key       = fs.String("publish-key", "", "publishers must add ?key=K to the stream name")
		rtmfpAddr = fs.String("rtmfp", "", "RTMFP (UDP) listen address; default: the RTMP address, over UDP; off: none")
		rtmpsAddr = fs.String("rtmps", "", "RTMPS (RTMP over TLS) listen address, e.g. 127.0.0.1:1936 (default off)")
		certFile  = fs.String("tls-cert", "", "RTMPS certificate (PEM); default: a self-signed one made on first start and kept in the config folder")
		keyFile   = fs.String("tls-key", "", "RTMPS certificate's private key (PEM), with --tls-cert")
		logLevel  = fs.String("log-level", "info", "log level on stderr: debug, info, warn, error")
		cpuProf   = fs.String("cpuprofile", "", "write a CPU profile to this file (for developers)")
		recDir    = fs.String("record", "", "record every published stream into DIR/NAME/ (one file per publish; listed at /api/recordings)")
		recFormat = fs.String("record-format", "mp4", "recording format: mp4 (fragmented) or flv (the tags as sent)")
		recSeg    = fs.Duration("record-segment", time.Hour, "start a new recording file at the first keyframe after this long")
		recKeep   = fs.Duration("record-keep", 0, "delete a stream's recordings older than this when it starts a new one (0: keep them)")
		vodDir    = fs.String("vod", "", "play the recordings in DIR on demand: rtmp://RTMP/vod/FILE (seek, pause), http://HTTP/vod/FILE (byte ranges), http://HTTP/vod/FILE/index.m3u8 (HLS); default: the --record folder")
		snapEvery = fs.Duration("snapshot-every", 0, "with --record: write each live stream's latest keyframe as JPEG into DIR/NAME/ this often (0: off)")
		onPublish = fs.String("on-publish", "", "hook URL: a JSON POST before each publish; a 2xx reply allows it, anything else (or no answer in 3 s) refuses it")
		onPlay    = fs.String("on-play", "", "hook URL: the same before each play (RTMP, HTTP-FLV, a client's first HLS playlist)")
		onUnpub   = fs.String("on-unpublish", "", "hook URL: a JSON POST after each unpublish")
		transcode = fs.String("transcode", "", "transcode every live stream to these heights too, e.g. 480p,360p (480p@1000k sets a bitrate): NAME_480p over RTMP, HTTP-FLV and HLS, and http://HTTP/live/NAME/master.m3u8 listing them")
		apiToken  = fs.String("api-token", "", "the /api/ endpoints (status, recordings, clients, kick, ban) want Authorization: Bearer TOKEN; required when listening beyond this machine")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair serve [--rtmp ADDR] [--http ADDR] [--rtmps ADDR [--tls-cert F --tls-key F]] [--publish-key K] [--record DIR] [--vod DIR]")
		fs.PrintDefaults()
	}
	if stop, err := parseFlags(fs, args); stop {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if *cpuProf != "" {
		stop, err := startCPUProfile(*cpuProf)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *vodDir == "" {
		*vodDir = *recDir
	}
	if *vodDir != "" {
		if st, err := os.Stat(*vodDir); err != nil && !(*vodDir == *recDir && errors.Is(err, os.ErrNotExist)) || err == nil && !st.IsDir() {
			return fmt.Errorf("--vod %s: not a folder", *vodDir)
		}
	}
	ladder, err := loopback.ParseLadder(*transcode)
	if err != nil {
		return fmt.Errorf("--transcode: %w", err)
	}
	cfg := loopback.Config{Transcode: ladder, RTMPAddr: *rtmpAddr, HTTPAddr: *httpAddr, RTMPSAddr: *rtmpsAddr, PublishKey: *key, Logger: log,
		VODDir: *vodDir, RecordDir: *recDir, RecordFormat: *recFormat, RecordSegment: *recSeg, RecordKeep: *recKeep, SnapshotEvery: *snapEvery,
		OnPublish: *onPublish, OnPlay: *onPlay, OnUnpublish: *onUnpub, APIToken: *apiToken}
	switch *rtmfpAddr {
	case "":
		cfg.RTMFPAddr = *rtmpAddr
	case "off":
	default:
		cfg.RTMFPAddr = *rtmfpAddr
	}
	if *snapEvery > 0 && *recDir == "" {
		return errors.New("--snapshot-every writes into the --record folder: give --record DIR")
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if *certFile != "" && *rtmpsAddr == "" {
		return errors.New("--tls-cert needs --rtmps ADDR")
	}
	if *rtmpsAddr != "" {
		if cfg.Cert, err = serveCert(*certFile, *keyFile, log); err != nil {
			return err
		}
	}
	srv, err := loopback.Start(cfg)
	if err != nil {
		return err
	}
	r, h := srv.RTMPAddr(), srv.HTTPAddr()
	fmt.Fprintf(stderr, "onair: serving; publish to rtmp://%s/live/NAME (or rtmpt://%s/live/NAME, RTMP in HTTP; rtmpe://%s/live/NAME and rtmpte://%s/live/NAME, encrypted)%s\n", r, h, r, h, keyHint(*key))
	if a := srv.RTMFPAddr(); a != "" {
		fmt.Fprintf(stderr, "onair: RTMFP on rtmfp://%s/live/NAME (UDP): publish and play; certificate fingerprint %s (rtmfp://…/NAME?fingerprint=%s names this server)\n", a, srv.RTMFPFingerprint(), srv.RTMFPFingerprint())
	}
	if a := srv.RTMPSAddr(); a != "" {
		fmt.Fprintf(stderr, "onair: RTMPS on rtmps://%s/live/NAME, certificate SHA-256 %s\n", a, srv.CertFingerprint())
	}
	fmt.Fprintf(stderr, "onair: play rtmp://%s/live/NAME (or rtmpt, rtmpe, rtmpte as above), http://%s/live/NAME.flv, http://%s/live/NAME/index.m3u8; snapshot http://%s/live/NAME.jpg; status http://%s/api/streams\n", r, h, h, h, h)
	if *recDir != "" {
		fmt.Fprintf(stderr, "onair: recording every stream into %s/NAME/ (%s); list: http://%s/api/recordings\n", *recDir, *recFormat, h)
	}
	if len(ladder) > 0 {
		fmt.Fprintf(stderr, "onair: transcoding every stream to %v: rtmp://%s/live/NAME_%s …; all variants: http://%s/live/NAME/master.m3u8\n", ladder, r, ladder[0].Name, h)
	}
	if *vodDir != "" {
		fmt.Fprintf(stderr, "onair: on demand, the files in %s: rtmp://%s/vod/FILE, http://%s/vod/FILE, http://%s/vod/FILE/index.m3u8\n", *vodDir, r, h, h)
	}
	select {
	case <-ctx.Done():
	case <-srv.Done():
	}
	return srv.Close()
}

// serveCert is the RTMPS certificate: the files given, or the
// self-signed one kept in the user's config folder (made on first start).
func serveCert(certFile, keyFile string, log *slog.Logger) (tls.Certificate, error) {
	if certFile != "" {
		return loopback.LoadCert(certFile, keyFile)
	}
	return loopbackCert("", log)
}

// loopbackCert is the loopback's RTMPS certificate (onair serve and the
// window): the self-signed one kept in dir (empty: the user's config
// folder, onair/), made on first start.
func loopbackCert(dir string, log *slog.Logger) (tls.Certificate, error) {
	if dir == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%w: no config folder: %v", loopback.ErrCert, err)
		}
		dir = filepath.Join(cfg, "onair")
	}
	c, made, err := loopback.SelfSignedCert(dir)
	if err == nil && made {
		log.Info("made a self-signed RTMPS certificate", "dir", dir, "sha256", loopback.Fingerprint(c))
	}
	return c, err
}

func keyHint(key string) string {
	if key == "" {
		return ""
	}
	return "?key=…"
}
