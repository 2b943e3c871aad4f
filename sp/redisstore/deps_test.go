package redisstore_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCorePackagesDoNotImportRedis keeps go-redis out of every import graph but this
// package's: an app with one server must not pull a Redis client in.
func TestCorePackagesDoNotImportRedis(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	core := []string{
		"github.com/ssokit/saml/sp",
		"github.com/ssokit/saml/sp/web",
		"github.com/ssokit/saml/assertion",
		"github.com/ssokit/saml/metadata",
		"github.com/ssokit/saml/certs",
	}
	for _, pkg := range core {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/redis/") {
				t.Errorf("%s imports %s; only sp/redisstore may", pkg, dep)
			}
		}
	}
}
