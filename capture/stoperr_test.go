package capture

import (
	"errors"
	"testing"
)

func TestStopErr(t *testing.T) {
	var s stopErr
	if s.get() != nil {
		t.Fatal("a reason before any was set")
	}
	first, second := errors.New("first"), errors.New("second")
	if !s.set(first) || s.set(second) {
		t.Error("set: want the first recorded and the second refused")
	}
	if s.get() != first {
		t.Errorf("get() = %v, want %v", s.get(), first)
	}
}
