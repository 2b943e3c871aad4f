// Package testenv decides what a test does when a system component it needs (Chromium,
// redis-server, a peer IdP, the recorded Entra data) is absent: on a developer's machine
// it skips with the install hint; under CI (CI set, as .ci/run runs), where every
// component is installed, it fails, so a broken install can never pass as a skip.
//
// A skip is easy to mistake for a pass: go test ./... prints "ok" for a package whose
// tests all skipped. So every package whose tests can call Missing runs them through Main
// from its TestMain, which ends the run with one line saying how many tests were skipped
// and why:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
package testenv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	skipped = map[string]int{} // skip message → number of tests skipped with it
)

// Missing skips tb with the message, or fails it under CI. The skip is counted for Main's
// summary.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s (CI is set: .ci/run installs this, so it must be here)", msg)
		return
	}
	mu.Lock()
	skipped[msg]++
	mu.Unlock()
	tb.Skip(msg)
}

// Main runs the package's tests and returns m.Run's exit code. When any test was skipped
// through Missing, it then prints one line naming the package, the number of tests
// skipped and why.
//
// go test hides the output of a passing package unless -v is given, which would hide the
// line too; so, except with -v (or -json), the line also goes to the controlling
// terminal when there is one. A cached result ("ok … (cached)") replays nothing: run
// with -count=1 to see the line again.
func Main(m *testing.M) int {
	_, file, _, _ := runtime.Caller(1)
	code := m.Run()
	line := Summary(pkgDir(filepath.Dir(file)))
	if line == "" {
		return code
	}
	fmt.Println(line)
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			io.WriteString(tty, line+"\n")
			tty.Close()
		}
	}
	return code
}

// Summary returns the one-line account of the skips Missing has counted so far, or "" when
// there were none. pkg names the package in the line.
func Summary(pkg string) string {
	mu.Lock()
	defer mu.Unlock()
	total := 0
	reasons := make([]string, 0, len(skipped))
	for msg, n := range skipped {
		total += n
		reasons = append(reasons, fmt.Sprintf("%d × %s", n, msg))
	}
	if total == 0 {
		return ""
	}
	sort.Strings(reasons)
	noun := "tests"
	if total == 1 {
		noun = "test"
	}
	return fmt.Sprintf("SKIPPED %s: %d %s did not run (a skip is not a pass): %s",
		pkg, total, noun, strings.Join(reasons, "; "))
}

// pkgDir names the package by its directory relative to the module root (./sp), or by
// the directory itself when no go.mod is found above it.
func pkgDir(dir string) string {
	for root := dir; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			if rel, err := filepath.Rel(root, dir); err == nil {
				return "./" + filepath.ToSlash(rel)
			}
			return dir
		}
		parent := filepath.Dir(root)
		if parent == root {
			return dir
		}
		root = parent
	}
}
