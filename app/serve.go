package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"onair/publish/loopback"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onair serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		rtmpAddr = fs.String("rtmp", "127.0.0.1:1935", "RTMP listen address")
		httpAddr = fs.String("http", "127.0.0.1:8080", "HTTP listen address (HLS, HTTP-FLV, /api/streams)")
		key      = fs.String("publish-key", "", "publishers must add ?key=K to the stream name")
		logLevel = fs.String("log-level", "info", "log level on stderr: debug, info, warn, error")
		cpuProf  = fs.String("cpuprofile", "", "write a CPU profile to this file (for developers)")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onair serve [--rtmp ADDR] [--http ADDR] [--publish-key K]")
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
	srv, err := loopback.Start(loopback.Config{RTMPAddr: *rtmpAddr, HTTPAddr: *httpAddr, PublishKey: *key, Logger: log})
	if err != nil {
		return err
	}
	r, h := srv.RTMPAddr(), srv.HTTPAddr()
	fmt.Fprintf(stderr, "onair: serving; publish to rtmp://%s/live/NAME%s\n", r, keyHint(*key))
	fmt.Fprintf(stderr, "onair: play rtmp://%s/live/NAME, http://%s/live/NAME.flv, http://%s/live/NAME/index.m3u8; status http://%s/api/streams\n", r, h, h, h)
	select {
	case <-ctx.Done():
	case <-srv.Done():
	}
	return srv.Close()
}

func keyHint(key string) string {
	if key == "" {
		return ""
	}
	return "?key=…"
}
