package metadata

import (
	"runtime"
	"strings"
	"testing"
)

// cacheDuration is read from metadata that, without pinned metadata signers, nobody
// authenticated but the https server (for sp/orgs: any URL an organization's admin
// pasted). Its numbers were gathered one byte at a time into a growing string, a cost
// quadratic in the attribute's length: 128 Ki digits (half of what an attribute may
// hold) took 3 s of CPU and some 8 GiB of allocation on every fetch. Now a duration
// costs what it weighs, and an over-long number is refused.
func TestCacheDurationCostIsLinear(t *testing.T) {
	long := "P" + strings.Repeat("9", 16<<10) + "Y" // 16 Ki digits: 128 MiB allocated before
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := parseDuration(long)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Error("a 16 Ki-digit cacheDuration was accepted")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
		t.Errorf("parseDuration allocated %d bytes for a %d-byte duration", got, len(long))
	}
	// Control: what IdPs publish still reads.
	for v, want := range map[string]string{"PT6H": "6h0m0s", "P1DT12H": "36h0m0s", "PT1.5S": "1.5s", "P0Y0M1D": "24h0m0s"} {
		if d, err := parseDuration(v); err != nil || d.String() != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %s", v, d, err, want)
		}
	}
}
