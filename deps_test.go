package saml_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The import graph of the library: what each package may pull into an app's binary.
// Library packages are every package of the module but examples, benchmarks and
// internal packages (an internal package a library imports is in its graph anyway).

const module = "github.com/ssokit/saml"

// testOnly are modules for tests and examples only (go.mod keeps them in their own
// block): a library package importing one would force it on every app.
var testOnly = []string{
	"github.com/chromedp/",
	"modernc.org/sqlite",
	"github.com/jackc/pgx/",
	"github.com/russellhaering/gosaml2",
}

// onlyIn are modules only one library package (and what imports it) may use.
var onlyIn = map[string]string{
	"github.com/redis/": module + "/sp/redisstore", // an app with one server needs no Redis client
}

func TestLibraryImportGraph(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	libraries := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		rel := strings.TrimPrefix(pkg, module)
		if strings.HasPrefix(rel, "/examples/") || strings.HasPrefix(rel, "/bench") ||
			strings.HasPrefix(rel, "/internal/") || strings.Contains(rel, "/internal/") || rel == "" {
			continue
		}
		libraries++
		for _, dep := range deps {
			for _, m := range testOnly {
				if strings.HasPrefix(dep, m) {
					t.Errorf("library package %s imports %s, a test-only module", pkg, dep)
				}
			}
			for m, owner := range onlyIn {
				if strings.HasPrefix(dep, m) && pkg != owner && !imports(deps, owner) {
					t.Errorf("%s imports %s; only %s may", pkg, dep, owner)
				}
			}
		}
	}
	if libraries < 8 {
		t.Errorf("found %d library packages; the filter is wrong", libraries)
	}
}

func imports(deps []string, pkg string) bool {
	for _, d := range deps {
		if d == pkg {
			return true
		}
	}
	return false
}
