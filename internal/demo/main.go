// Command demo is what `make run` runs until OnAir's window exists: the
// furthest part of the chain that works headless. It starts nginx with the
// RTMP module on a free loopback port, runs `onair live` with the test
// source against it, and shows what ffprobe reads back from the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"onair/internal/peer"
)

func main() {
	bin := flag.String("onair", "bin/onair", "the onair binary")
	dur := flag.Duration("duration", 20*time.Second, "how long to stream")
	flag.Parse()
	if err := run(*bin, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin string, dur time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "onair-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ng, err := peer.StartNginx(dir, 0)
	if err != nil {
		return err
	}
	defer ng.Stop()
	url := ng.URL("live", "preview")
	fmt.Printf("OnAir: the window is not built yet, so `make run` runs the broadcast chain headless:\n")
	fmt.Printf("  test source (1280x720 30 fps + tone) -> x264/AAC -> RTMP -> nginx-rtmp at %s for %v\n", url, dur)
	fmt.Printf("  Watch it meanwhile with: ffplay %s\n\n", url)
	cmd := exec.CommandContext(ctx, bin, "live", "--to", url, "--duration", dur.String())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		select {
		case <-ctx.Done():
			return
		case <-time.After(4 * time.Second):
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		p, err := peer.FFprobe(pctx, url)
		if err != nil {
			fmt.Println("\nffprobe could not read the stream back:", err)
			return
		}
		fmt.Println("\nffprobe reads back from the server:")
		for _, s := range p.Streams {
			if s.CodecType == "video" {
				fmt.Printf("  video: %s %s %dx%d %.4g fps\n", s.CodecName, s.Profile, s.Width, s.Height, s.FPS())
			} else {
				fmt.Printf("  audio: %s %s Hz %d channels\n", s.CodecName, s.SampleRate, s.Channels)
			}
		}
		fmt.Println()
	}()
	err = cmd.Wait()
	<-probeDone
	return err
}
