package testenv

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// fakeTB records what Missing did without ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(...any)           { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

// resetCounts forgets the skips counted so far, and again when the test ends.
func resetCounts(t *testing.T) {
	reset := func() {
		mu.Lock()
		skipped = map[string]int{}
		mu.Unlock()
	}
	reset()
	t.Cleanup(reset)
}

func TestMissingSkipsLocallyAndFailsInCI(t *testing.T) {
	resetCounts(t)
	for _, tc := range []struct {
		ci                 string
		wantSkip, wantFail bool
	}{
		{ci: "", wantSkip: true},
		{ci: "true", wantFail: true},
	} {
		t.Setenv("CI", tc.ci)
		f := &fakeTB{TB: t}
		Missing(f, "redis-server not found")
		if f.skipped != tc.wantSkip || f.failed != tc.wantFail {
			t.Errorf("CI=%q: skipped=%v failed=%v", tc.ci, f.skipped, f.failed)
		}
	}
}

func TestSummaryCountsEverySkipByReason(t *testing.T) {
	resetCounts(t)
	t.Setenv("CI", "")
	if got := Summary("./x"); got != "" {
		t.Fatalf("no skips yet, Summary = %q, want empty", got)
	}
	for range 3 {
		Missing(&fakeTB{TB: t}, "recorded Entra corpus not found at %s", "/nowhere")
	}
	Missing(&fakeTB{TB: t}, "redis-server not found")
	want := "SKIPPED ./x: 4 tests did not run (a skip is not a pass): " +
		"1 × redis-server not found; 3 × recorded Entra corpus not found at /nowhere"
	if got := Summary("./x"); got != want {
		t.Errorf("Summary =\n%q\nwant\n%q", got, want)
	}
}

func TestSummaryDoesNotCountFailuresUnderCI(t *testing.T) {
	resetCounts(t)
	t.Setenv("CI", "true")
	Missing(&fakeTB{TB: t}, "redis-server not found")
	if got := Summary("./x"); got != "" {
		t.Errorf("under CI the test failed, not skipped; Summary = %q, want empty", got)
	}
}

// skippers are the packages through which a test can be skipped for a missing component.
var skippers = []string{
	"github.com/ssokit/saml/internal/testenv",
	"github.com/ssokit/saml/internal/recorded",
	"github.com/ssokit/saml/internal/interop",
	"github.com/ssokit/saml/sp/redisstore/internal/redistest",
}

// TestEveryPackageThatCanSkipCountsItsSkips: a package whose tests can reach Missing (it or
// its tests import one of the skippers) has a TestMain that runs them through Main, so a
// skip there is always announced. CI never skips, so only this test keeps that true.
func TestEveryPackageThatCanSkipCountsItsSkips(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	type pkg struct{ canSkip, hasTests, callsMain bool }
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir := filepath.Dir(path)
		p := pkgs[dir]
		if p == nil {
			p = &pkg{}
			pkgs[dir] = p
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			for _, s := range skippers {
				if ip == s {
					p.canSkip = true
				}
			}
		}
		if strings.HasSuffix(path, "_test.go") {
			p.hasTests = true
			if strings.Contains(string(src), "testenv.Main(") {
				p.callsMain = true
			}
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("read only %d Go files under %s: wrong root?", checked, root)
	}
	dirs := make([]string, 0, len(pkgs))
	for dir := range pkgs {
		dirs = append(dirs, dir)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		p := pkgs[dir]
		if dir == filepath.Join(root, "internal", "testenv") {
			continue
		}
		if p.canSkip && p.hasTests && !p.callsMain {
			rel, _ := filepath.Rel(root, dir)
			t.Errorf("./%s can skip tests through internal/testenv but has no TestMain calling testenv.Main: "+
				"add func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }", filepath.ToSlash(rel))
		}
	}
}
