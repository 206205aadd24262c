package player

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/asticode/go-astiav"

	"onair/publish/flv"
)

// httpFLVSource reads an HTTP-FLV stream with Go's HTTP client and hands
// its tags to flvDemuxer, which reads Enhanced RTMP tags (HEVC, AV1, Opus)
// that the FLV demuxer of Debian's FFmpeg 5.1 does not.
type httpFLVSource struct {
	resp   *http.Response
	tags   *flv.TagReader
	ctx    context.Context
	cancel context.CancelFunc
	stall  time.Duration
	timer  *time.Timer

	mu      sync.Mutex
	stalled bool
	err     error
}

// errNotFLV says an HTTP response is not an FLV stream: FFmpeg opens it
// instead.
var errNotFLV = errors.New("not an FLV stream")

// openHTTPFLV requests s and, when the answer is an FLV stream, reads its
// header. Anything else is errNotFLV (and nothing is kept open).
func openHTTPFLV(ctx context.Context, s source, stall time.Duration, insecure bool) (*httpFLVSource, error) {
	rctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, s.url, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrUnsupportedURL)
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure}, //nolint:gosec // the user asked for it
		Proxy:           http.ProxyFromEnvironment,
	}}
	// ctx bounds the request and the header; the body then lives on.
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %v: %w", s.shown, err, ErrUnreachable)
	}
	fail := func(err error) (*httpFLVSource, error) {
		resp.Body.Close()
		cancel()
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fail(fmt.Errorf("%s: the server says there is no such stream (HTTP 404): %w", s.shown, ErrNotFound))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fail(fmt.Errorf("%s: the server refused access (HTTP %d): %w", s.shown, resp.StatusCode, ErrNotFound))
	case resp.StatusCode/100 != 2:
		return fail(fmt.Errorf("%s: the server answered HTTP %d: %w", s.shown, resp.StatusCode, ErrNotFound))
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	if magic, err := br.Peek(3); err != nil || string(magic) != "FLV" {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		return fail(errNotFLV)
	}
	tags := flv.NewTagReader(br)
	if _, err := tags.ReadHeader(); err != nil {
		return fail(fmt.Errorf("%s: %v: %w", s.shown, err, ErrCorrupt))
	}
	h := &httpFLVSource{resp: resp, tags: tags, ctx: rctx, cancel: cancel, stall: stall}
	h.timer = time.AfterFunc(stall, h.onStall)
	return h, nil
}

func (h *httpFLVSource) onStall() {
	h.mu.Lock()
	h.stalled = true
	h.mu.Unlock()
	h.cancel()
}

// nextTag is the next tag, for flvDemuxer; its errors are FFmpeg's codes,
// as the player's reader expects of a demuxer.
func (h *httpFLVSource) nextTag() (flvTag, error) {
	for {
		h.timer.Reset(h.stall)
		t, err := h.tags.ReadTag()
		if err != nil {
			h.mu.Lock()
			stalled := h.stalled
			h.err = err
			h.mu.Unlock()
			switch {
			case stalled:
				return flvTag{}, astiav.ErrEtimedout
			case h.ctx.Err() != nil:
				return flvTag{}, astiav.ErrExit
			case errors.Is(err, io.EOF):
				return flvTag{}, astiav.ErrEof
			}
			return flvTag{}, astiav.ErrEio
		}
		if ft, ok := tagOf(t); ok {
			return ft, nil
		}
	}
}

// Abort makes a blocked read return; Close then frees the connection.
func (h *httpFLVSource) Abort() { h.cancel() }

func (h *httpFLVSource) Close() {
	h.timer.Stop()
	h.cancel()
	h.resp.Body.Close()
}
