package logx

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestOrDiscard(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	if got := OrDiscard(l); got != l {
		t.Fatal("OrDiscard replaced a given logger")
	}
	d := OrDiscard(nil)
	if d == nil {
		t.Fatal("OrDiscard(nil) = nil")
	}
	d.Error("must go nowhere")
	if d.Enabled(nil, slog.LevelError) && buf.Len() != 0 {
		t.Fatal("the discarding logger wrote to another logger's output")
	}
}
