package loopback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Hooks, as SRS's HTTP callbacks: before a publish or a play the server
// POSTs a JSON event to the configured URL; a 2xx reply allows it, anything
// else (or no answer within HookTimeout) refuses it, with a message that
// names the hook's answer. After an unpublish it tells the unpublish hook
// (nothing to refuse). For token authentication and for logging: the
// stream name's query goes to the hook as sent, and never to a log line.

// ErrHookRefused is wrapped by the error a refused publish or play gets.
var ErrHookRefused = errors.New("refused by the server's hook")

// hookEvent is the JSON body of a hook call.
type hookEvent struct {
	Action   string `json:"action"` // "publish", "play", "unpublish"
	Stream   string `json:"stream"`
	Client   string `json:"client"`   // the client's address
	Protocol string `json:"protocol"` // "rtmp", "http-flv", …
	Query    string `json:"query"`    // the stream name's query, as sent (tokens)
}

// hookURL is the configured hook for action ("" when none).
func (s *Server) hookURL(action string) string {
	switch action {
	case "publish":
		return s.cfg.OnPublish
	case "play":
		return s.cfg.OnPlay
	case "unpublish":
		return s.cfg.OnUnpublish
	}
	return ""
}

// allow asks the hook for ev.Action, if there is one: nil when it allows,
// else an error wrapping ErrHookRefused that says why.
func (s *Server) allow(ctx context.Context, ev hookEvent) error {
	url := s.hookURL(ev.Action)
	if url == "" {
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the on_%s hook: %w", ev.Action, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hooks.Do(req)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		err = fmt.Errorf("the on_%s hook did not answer within %v: %w", ev.Action, s.cfg.HookTimeout, ErrHookRefused)
	case err != nil:
		err = fmt.Errorf("the on_%s hook cannot be reached: %w", ev.Action, ErrHookRefused)
	default:
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			err = fmt.Errorf("the on_%s hook answered %s: %w", ev.Action, resp.Status, ErrHookRefused)
		}
	}
	if err != nil {
		s.log.Info("hook refused", "action", ev.Action, "stream", ev.Stream, "client", ev.Client, "err", err)
	}
	return err
}

// tell sends ev to its hook without waiting for it (unpublish); the
// server's Close waits for the call.
func (s *Server) tell(ev hookEvent) {
	if s.hookURL(ev.Action) == "" {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.allow(s.ctx, ev)
	}()
}

// defaultHookTimeout is Config.HookTimeout's default.
const defaultHookTimeout = 3 * time.Second
