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

const module = "github.com/ssokit/saml"

// TestEveryPackageThatCanSkipCountsItsSkips: a package whose tests can reach Missing
// (through this package, or through a helper package that calls it, however indirectly)
// has a TestMain that runs them through Main, so a skip there is always announced. CI
// never skips, so only this test keeps that true.
func TestEveryPackageThatCanSkipCountsItsSkips(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	type pkg struct {
		imports     map[string]bool // by the package's own (non-test) files
		testImports map[string]bool // by its _test.go files
		hasTests    bool
		callsMain   bool
	}
	pkgs := map[string]*pkg{} // by import path
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
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		p := pkgs[ip]
		if p == nil {
			p = &pkg{imports: map[string]bool{}, testImports: map[string]bool{}}
			pkgs[ip] = p
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		isTest := strings.HasSuffix(path, "_test.go")
		for _, imp := range f.Imports {
			v, _ := strconv.Unquote(imp.Path.Value)
			if isTest {
				p.testImports[v] = true
			} else {
				p.imports[v] = true
			}
		}
		if isTest {
			p.hasTests = true
			p.callsMain = p.callsMain || strings.Contains(string(src), "testenv.Main(")
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

	// Skippers: this package, and every package whose own files import a skipper.
	self := module + "/internal/testenv"
	skipper := map[string]bool{self: true}
	for changed := true; changed; {
		changed = false
		for ip, p := range pkgs {
			if skipper[ip] {
				continue
			}
			for imp := range p.imports {
				if skipper[imp] {
					skipper[ip], changed = true, true
					break
				}
			}
		}
	}
	if !skipper[module+"/internal/recorded"] {
		t.Fatal("internal/recorded is not seen as a skipper: the walk is broken")
	}

	paths := make([]string, 0, len(pkgs))
	for ip := range pkgs {
		paths = append(paths, ip)
	}
	sort.Strings(paths)
	for _, ip := range paths {
		p := pkgs[ip]
		if ip == self || !p.hasTests || p.callsMain {
			continue
		}
		canSkip := skipper[ip]
		for imp := range p.testImports {
			canSkip = canSkip || skipper[imp]
		}
		if canSkip {
			t.Errorf("%s can skip tests through internal/testenv but has no TestMain calling testenv.Main: "+
				"add func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }", ip)
		}
	}
}
