package capture

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"onair/internal/logx"
)

func TestLossLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	now := time.Unix(1000, 0)
	l := lossLog{key: "skipped"}
	l.lim.Now = func() time.Time { return now }
	l.note(log, "behind", 2, 2)                // the first goes out
	now = now.Add(time.Second)                 //
	l.note(log, "behind", 3, 5)                // held
	now = now.Add(4 * time.Second)             //
	l.note(log, "behind", 1, 6, "late", "1ms") // 5 s on: the held ones with it
	want := "level=WARN msg=behind skipped=2 total=2\n" +
		"level=WARN msg=behind skipped=4 total=6 late=1ms\n"
	if got := buf.String(); got != want {
		t.Errorf("logged\n%s\nwant\n%s", got, want)
	}
	if logx.OrDiscard(nil) == nil || logx.OrDiscard(log) != log {
		t.Error("orDiscard: want a logger for nil, and the one given otherwise")
	}
}
