// Package testenv decides what a test does when a system component it needs (Chromium,
// redis-server, a peer IdP, the recorded Entra data) is absent: on a developer's machine
// it skips with the install hint; under CI (CI set, as .ci/run runs), where every
// component is installed, it fails, so a broken install can never pass as a skip.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Missing skips tb with the message, or fails it under CI.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s (CI is set: .ci/run installs this, so it must be here)", msg)
		return
	}
	tb.Skip(msg)
}
