// Package logx holds the one logging rule OnAir's library packages share:
// they take a *slog.Logger, and nil means discard. Only package app decides
// where logs go.
package logx

import (
	"io"
	"log/slog"
)

// OrDiscard is l, or a logger that discards everything when l is nil.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return l
}
