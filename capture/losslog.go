package capture

import (
	"log/slog"

	"onair/internal/ratelog"
)

// lossLog is a source's one rate-limited warning about the slots, frames
// or blocks it skipped or dropped: at most one line every
// ratelog.DefaultEvery, giving how many were lost since the last line
// (under key) and the total. It is used by one goroutine.
type lossLog struct {
	key   string // "skipped", "dropped"
	lim   ratelog.Limiter
	since int64
}

// note counts n more lost (total so far) and logs msg with the counts and
// args when the limiter allows.
func (l *lossLog) note(log *slog.Logger, msg string, n, total int64, args ...any) {
	l.since += n
	if ok, _ := l.lim.Allow(); !ok {
		return
	}
	log.Warn(msg, append([]any{l.key, l.since, "total", total}, args...)...)
	l.since = 0
}
