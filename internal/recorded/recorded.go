// Package recorded locates the genuine Entra ID messages kept in ../shared/recorded/azure.
// They are third-party data and stay outside this repository; tests read them in place.
package recorded

import (
	"github.com/ssokit/saml/internal/testenv"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar overrides where the recorded Entra data lives.
const EnvVar = "SSOKIT_RECORDED_AZURE"

// Dir returns the directory of recorded Entra data. When it is absent the test goes through
// testenv.Missing (skipped and counted locally, failed under CI) with a one-line message
// saying where it was looked for and how to point at it.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "recorded", "azure")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		testenv.Missing(tb, "needs the recorded Entra corpus, kept outside the repository for its licenses (README, Tests, lists the tests): not at %s; set %s to a copy", dir, EnvVar)
	}
	return dir
}

// Read returns the bytes of one recorded file, e.g. "007-wire-2018.xml".
func Read(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(tb), name))
	if err != nil {
		tb.Fatalf("read recorded file: %v", err)
	}
	return b
}
