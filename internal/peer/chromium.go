package peer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is a headless Debian Chromium driven over the DevTools
// protocol (chromedp), with its own profile in a temporary folder: the
// browser that the web pages are tested in.
type Chromium struct {
	ctx         context.Context // chromedp's browser context: tabs are made from it
	cancelAlloc context.CancelFunc
	cancel      context.CancelFunc
	dir         string
}

// StartChromium starts the browser (window width×height, the desktop
// size a new tab gets). Media may play with sound without a gesture, as
// after a click. Its output goes to logs (nil discards it). Stop ends it.
func StartChromium(width, height int, logs io.Writer) (*Chromium, error) {
	bin, err := Require("chromium", "chromium")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "onair-chromium-")
	if err != nil {
		return nil, err
	}
	if logs == nil {
		logs = io.Discard
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(width, height),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.CombinedOutput(logs),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting chromium: %w", err)
	}
	return &Chromium{ctx: ctx, cancelAlloc: cancelAlloc, cancel: cancel, dir: dir}, nil
}

// Tab opens a new tab; cancel closes it.
func (c *Chromium) Tab() (context.Context, context.CancelFunc) {
	return chromedp.NewContext(c.ctx)
}

// Stop closes the browser, waits for it to end, and removes its profile.
func (c *Chromium) Stop() {
	_ = chromedp.Cancel(c.ctx)
	c.cancel()
	c.cancelAlloc()
	_ = os.RemoveAll(c.dir)
}

// ShotDesktopAndPhone writes a screenshot of the tab's page as it is to
// dir/name.png, then makes the tab a 375×812 phone, lets it lay out, and
// writes dir/name-phone.png. It returns the page's width on the phone
// (more than 375: it does not fit).
func ShotDesktopAndPhone(ctx context.Context, dir, name string) (phoneWidth int, err error) {
	shot := func(file string) error {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, file), png, 0o644)
	}
	if err := shot(name + ".png"); err != nil {
		return 0, err
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
		return 0, err
	}
	time.Sleep(500 * time.Millisecond) // layout
	if phoneWidth, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil {
		return 0, err
	}
	return phoneWidth, shot(name + "-phone.png")
}
