package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"onair/internal/peer"
)

func ev(action, pkg, test, output string) string {
	return `{"Action":"` + action + `","Package":"` + pkg + `","Test":"` + test + `","Output":` + quote(output) + "}\n"
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stream  string
		printed string
		failed  map[string][]string
		rerunOK bool
	}{
		{
			name: "all pass: only the package line",
			stream: ev("run", "p", "TestA", "") + ev("output", "p", "TestA", "=== RUN   TestA\n") +
				ev("output", "p", "TestA", "--- PASS: TestA (0.00s)\n") + ev("pass", "p", "TestA", "") +
				ev("output", "p", "", "ok  \tp\t0.1s\n") + ev("pass", "p", "", ""),
			printed: "ok  \tp\t0.1s\n", failed: map[string][]string{}, rerunOK: true,
		},
		{
			name: "a failed subtest: the whole top-level test is shown and named",
			stream: ev("output", "p", "TestA", "=== RUN   TestA\n") + ev("output", "p", "TestA/x", "    a_test.go:9: bad\n") +
				ev("fail", "p", "TestA/x", "") + ev("output", "p", "TestA", "--- FAIL: TestA (1.00s)\n") + ev("fail", "p", "TestA", "") +
				ev("output", "p", "TestB", "=== RUN   TestB\n") + ev("pass", "p", "TestB", "") +
				ev("output", "p", "", "FAIL\tp\t1.2s\n") + ev("fail", "p", "", ""),
			printed: "=== RUN   TestA\n    a_test.go:9: bad\n--- FAIL: TestA (1.00s)\nFAIL\tp\t1.2s\n",
			failed:  map[string][]string{"p": {"TestA"}}, rerunOK: true,
		},
		{
			name: "a timeout: the running test is shown, nothing is rerun",
			stream: ev("output", "p", "TestA", "=== RUN   TestA\n") + ev("output", "p", "TestA", "panic: test timed out\n") +
				ev("output", "p", "", "FAIL\tp\t600s\n") + ev("fail", "p", "", ""),
			printed: "=== RUN   TestA\npanic: test timed out\nFAIL\tp\t600s\n", failed: map[string][]string{}, rerunOK: false,
		},
		{
			name:    "a build failure: nothing is rerun",
			stream:  `{"ImportPath":"q","Action":"build-output","Output":"q/x.go:1: syntax error\n"}` + "\n" + `{"ImportPath":"q","Action":"build-fail"}` + "\n" + ev("output", "q", "", "FAIL\tq [build failed]\n") + ev("fail", "q", "", ""),
			printed: "q/x.go:1: syntax error\nFAIL\tq [build failed]\n", failed: map[string][]string{}, rerunOK: false,
		},
		{
			name: "a data race: nothing is rerun",
			stream: ev("output", "p", "TestA", "WARNING: DATA RACE\n") + ev("fail", "p", "TestA", "") +
				ev("output", "p", "", "FAIL\tp\t1s\n") + ev("fail", "p", "", ""),
			printed: "WARNING: DATA RACE\nFAIL\tp\t1s\n", failed: map[string][]string{"p": {"TestA"}}, rerunOK: false,
		},
		{
			name: "too many failures: nothing is rerun",
			stream: ev("fail", "p", "T1", "") + ev("fail", "p", "T2", "") + ev("fail", "p", "T3", "") +
				ev("output", "p", "", "FAIL\tp\t1s\n") + ev("fail", "p", "", ""),
			printed: "FAIL\tp\t1s\n", failed: map[string][]string{"p": {"T1", "T2", "T3"}}, rerunOK: false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newReport(&out)
			if err := r.read(strings.NewReader(tc.stream)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.printed {
				t.Errorf("printed %q, want %q", out.String(), tc.printed)
			}
			if !reflect.DeepEqual(r.failed, tc.failed) {
				t.Errorf("failed %v, want %v", r.failed, tc.failed)
			}
			if _, why := r.rerunnable(2); (why == "") != tc.rerunOK {
				t.Errorf("rerunnable: %q, want rerunnable %v", why, tc.rerunOK)
			}
		})
	}
}

// TestRun drives run with a stand-in for the go command (whose output
// avoids go test's own result lines, which go test -json would take for
// this test's): a test that fails
// with the others and passes alone makes the run pass and is named as
// flaky; one that fails alone too makes it fail.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "go")
	// With -json: TestA fails. Alone (-run): exit with $AGAIN.
	script := "#!/bin/sh\ncase \"$*\" in\n*-json*) printf '%s' '" +
		strings.ReplaceAll(ev("output", "p", "TestA", "TestA broke\n")+ev("fail", "p", "TestA", "")+ev("output", "p", "", "p failed\n")+ev("fail", "p", "", ""), "'", "") +
		"'; exit 1;;\n*) echo \"again: $*\"; exit $AGAIN;;\nesac\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, again := range []string{"0", "1"} {
		t.Setenv("AGAIN", again)
		var out peer.LockedBuffer // the fake go's stderr is copied in by another goroutine
		code := run(fake, []string{"-count=1"}, []string{"./..."}, 8, &out)
		if want := map[string]int{"0": 0, "1": 1}[again]; code != want {
			t.Errorf("alone exits %s: run returned %d, want %d: %q", again, code, want, out.String())
		}
		if !strings.Contains(out.String(), "again: test -count=1 -run ^(TestA)$ p") {
			t.Errorf("TestA was not run again alone: %q", out.String())
		}
		if flaky := strings.Contains(out.String(), "FLAKY: 1 tests failed with other packages running and passed alone: p.TestA"); flaky != (again == "0") {
			t.Errorf("alone exits %s: flaky named %v: %q", again, flaky, out.String())
		}
	}
}
