package testenv

import (
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

func TestMissingSkipsLocallyAndFailsInCI(t *testing.T) {
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
