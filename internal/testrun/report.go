package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail
}

// report reads `go test -json` events and writes what `go test` would
// print without -v: each package's summary line, and the whole output of
// every top-level test that failed (with its subtests). It remembers which
// tests failed, and which packages failed in a way a rerun of named tests
// cannot repeat (a build failure, a panic or timeout outside a finished
// test) or must not hide (a data race).
type report struct {
	w io.Writer
	// out holds each running top-level test's output until it ends.
	out map[string]*strings.Builder // package + " " + test
	// failed lists each package's failed top-level tests, in order.
	failed map[string][]string
	// broken holds the packages whose failure is not only failed tests.
	broken map[string]bool
}

func newReport(w io.Writer) *report {
	return &report{w: w, out: map[string]*strings.Builder{}, failed: map[string][]string{}, broken: map[string]bool{}}
}

// read consumes a whole event stream. A line that is not JSON (go's own
// messages) is passed through.
func (r *report) read(in io.Reader) error {
	dec := json.NewDecoder(in)
	for {
		var e event
		if err := dec.Decode(&e); err == io.EOF {
			return nil
		} else if err != nil {
			rest, _ := io.ReadAll(dec.Buffered())
			fmt.Fprintf(r.w, "%s", rest)
			return fmt.Errorf("testrun: reading go test -json: %w", err)
		}
		r.event(e)
	}
}

func (r *report) event(e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(r.w, e.Output)
		return
	case "build-fail":
		r.broken[e.ImportPath] = true
		return
	}
	if e.Test == "" {
		switch e.Action {
		case "output":
			if strings.HasPrefix(e.Output, "FAIL") {
				r.unfinished(e.Package)
			}
			if e.Output != "PASS\n" { // go test without -v does not print it
				fmt.Fprint(r.w, e.Output)
			}
		case "fail":
			r.unfinished(e.Package)
			if len(r.failed[e.Package]) == 0 {
				r.broken[e.Package] = true
			}
		}
		return
	}
	top, _, sub := strings.Cut(e.Test, "/")
	key := e.Package + " " + top
	switch e.Action {
	case "output":
		b := r.out[key]
		if b == nil {
			b = &strings.Builder{}
			r.out[key] = b
		}
		b.WriteString(e.Output)
	case "fail":
		if sub {
			return
		}
		if b := r.out[key]; b != nil {
			fmt.Fprint(r.w, b.String())
			// A data race is a bug whenever it shows: never run again.
			if strings.Contains(b.String(), "WARNING: DATA RACE") {
				r.broken[e.Package] = true
			}
		}
		delete(r.out, key)
		r.failed[e.Package] = append(r.failed[e.Package], top)
	case "pass", "skip":
		if !sub {
			delete(r.out, key)
		}
	}
}

// unfinished shows the tests of pkg still running when it failed (a panic,
// the timeout): they are why, and the package is not run again.
func (r *report) unfinished(pkg string) {
	keys := make([]string, 0)
	for k := range r.out {
		if strings.HasPrefix(k, pkg+" ") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprint(r.w, r.out[k].String())
		delete(r.out, k)
		r.broken[pkg] = true
	}
}

// rerunnable returns the failed tests by package when every failure is a
// failed test (nothing broken) and there are at most max of them.
// Otherwise why says why not.
func (r *report) rerunnable(max int) (failed map[string][]string, why string) {
	n := 0
	for _, ts := range r.failed {
		n += len(ts)
	}
	if len(r.broken) > 0 {
		pkgs := make([]string, 0, len(r.broken))
		for p := range r.broken {
			pkgs = append(pkgs, p)
		}
		sort.Strings(pkgs)
		return nil, "a build failure, a panic, a timeout or a data race in " + strings.Join(pkgs, ", ")
	}
	if n > max {
		return nil, fmt.Sprintf("%d tests failed, more than %d", n, max)
	}
	return r.failed, ""
}
