// Command testrun runs `go test` as `make test` wants it: the output of a
// plain `go test` (package lines, and the whole output of each failed
// test), and then each failed test once more, alone, package by package.
//
// Many of OnAir's tests are real time: an encoder, a server, a player and
// a browser keep pace with a 30 fps stream. On the 2-core machines the
// tests run on, two packages run at once, and a busy host can take more
// than half of the CPU away for minutes (vmstat's "st" at 40 to 70 %): a
// live test then fails for want of CPU, not for a bug. A test that fails
// again when run alone fails the run. Every test that passed only on the
// second run is named at the end, so flakiness stays visible.
//
// Nothing is run again when a package did not build, panicked or timed
// out, when the race detector saw a race, or when more than -max tests
// failed: that is not the machine.
//
//	go run ./internal/testrun [-max N] -flags "-count=1 -race -timeout 20m" ./...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

func main() {
	flags := flag.String("flags", "", "flags for go test, space-separated")
	max := flag.Int("max", 8, "run failed tests again only when at most this many failed")
	gobin := flag.String("go", "go", "the go command")
	flag.Parse()
	os.Exit(run(*gobin, strings.Fields(*flags), flag.Args(), *max, os.Stdout))
}

// run returns the exit code: 0 when every test passed, at the first try or
// alone at the second.
//
// w takes go test's stderr too: unless w is an *os.File, exec copies it
// there from a goroutine of its own, so w must then take concurrent
// writes.
func run(gobin string, flags, pkgs []string, max int, w io.Writer) int {
	args := append(append([]string{"test", "-json"}, flags...), pkgs...)
	cmd := exec.Command(gobin, args...)
	cmd.Stderr = w
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(w, "testrun: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(w, "testrun: %v\n", err)
		return 1
	}
	rep := newReport(w)
	readErr := rep.read(stdout)
	waitErr := cmd.Wait()
	if readErr != nil {
		fmt.Fprintln(w, readErr)
		return 1
	}
	if waitErr == nil {
		return 0
	}
	failed, why := rep.rerunnable(max)
	if why != "" {
		fmt.Fprintf(w, "testrun: no test is run again: %s\n", why)
		return 1
	}
	if len(failed) == 0 {
		return 1
	}
	names := make([]string, 0, len(failed))
	for pkg := range failed {
		names = append(names, pkg)
	}
	sort.Strings(names)
	var flaky []string
	code := 0
	for _, pkg := range names {
		tests := failed[pkg]
		fmt.Fprintf(w, "testrun: running %s in %s again, alone\n", strings.Join(tests, ", "), pkg)
		again := exec.Command(gobin, append(append(append([]string{"test"}, flags...), "-run", "^("+strings.Join(tests, "|")+")$"), pkg)...)
		again.Stdout, again.Stderr = w, w
		if err := again.Run(); err != nil {
			code = 1
			continue
		}
		for _, t := range tests {
			flaky = append(flaky, pkg+"."+t)
		}
	}
	if len(flaky) > 0 {
		fmt.Fprintf(w, "testrun: FLAKY: %d tests failed with other packages running and passed alone: %s\n", len(flaky), strings.Join(flaky, " "))
	}
	return code
}
