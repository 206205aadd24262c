// Package app is OnAir's front: the command line and the Fyne window
// (gui*.go). It drives the broadcast engine (app/engine), the player and
// the loopback server. It alone decides where logs go; the engines it
// drives take a *slog.Logger and return errors.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/asticode/go-astiav"
)

// Version is the program version shown by `onair version`.
const Version = "0.1.0"

// Main runs the onair command line and returns the exit status.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// quietSVT keeps SVT-AV1 (the AV1 encoder) from printing its banner and
// warnings to stderr: it logs by itself, at the level of the SVT_LOG
// environment variable (1: errors), which a user may set otherwise.
func quietSVT() {
	if _, ok := os.LookupEnv("SVT_LOG"); !ok {
		_ = os.Setenv("SVT_LOG", "1")
	}
}

// Run runs one command with the given streams; ctx ending (Ctrl-C, SIGTERM)
// stops it cleanly.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	quietSVT()
	var err error
	cmd := "gui"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "gui":
		if len(args) > 0 {
			args = args[1:]
		}
		err = runGUI(ctx, args, stderr)
	case "live":
		err = runLive(ctx, args[1:], stdout, stderr)
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr)
	case "play":
		err = runPlay(ctx, args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, args[1:], stdout, stderr)
	case "devices":
		err = runDevices(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "onair", Version)
	case "help", "-h", "--help", "-help":
		usage(stdout)
	default:
		if strings.HasPrefix(cmd, "-") {
			// onair --startstreaming, --play URL, …: the window's flags.
			err = runGUI(ctx, args, stderr)
			break
		}
		fmt.Fprintf(stderr, "onair: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintln(stderr, "onair:", oneLine(err))
		return 1
	}
	return 0
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}

// errUsage means the flag parser already said what was wrong.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `OnAir — live-streaming studio

Usage:
  onair [gui] [flags]           the window: Studio, Player and Loopback tabs
                                (--startstreaming, --play URL, --rtmp ADDR, --http ADDR)
  onair live [flags] --to URL   go live: a camera, screen, file or the test source, as
                                H.264/AAC over RTMP or RTMPS
  onair devices                 list cameras, screens, microphones and desktop audio
  onair serve [flags]           the loopback server: RTMP in and out, HLS, HTTP-FLV
  onair play [flags] URL        play a stream or file headless, with figures
  onair demo [flags]            loopback server + test-signal publisher + player in one process
  onair version                 print the version

Run 'onair live -h' for the live flags.
`)
}

// newLogger makes the process logger: text on stderr at the given level.
// FFmpeg's own log is routed into it.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
	routeFFmpegLog(log, l)
	return log, nil
}

// routeFFmpegLog sends FFmpeg's messages (libx264's banner and statistics,
// warnings) to the logger: errors as warnings, the rest at debug level.
func routeFFmpegLog(log *slog.Logger, l slog.Level) {
	if l <= slog.LevelDebug {
		astiav.SetLogLevel(astiav.LogLevelInfo)
	} else {
		astiav.SetLogLevel(astiav.LogLevelWarning)
	}
	astiav.SetLogCallback(func(_ astiav.Classer, level astiav.LogLevel, _, msg string) {
		msg = strings.TrimSpace(msg)
		if msg == "" {
			return
		}
		if level <= astiav.LogLevelError {
			log.Warn("ffmpeg: " + msg)
		} else {
			log.Debug("ffmpeg: " + msg)
		}
	})
}
