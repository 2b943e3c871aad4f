package main

import (
	"strings"
	"testing"
)

// TestRunPrintsMediansAndRatios: medians are taken per library and unit (an even count
// averages the middle two), the -N GOMAXPROCS suffix is ignored, and ratios and target
// verdicts come from the medians.
func TestRunPrintsMediansAndRatios(t *testing.T) {
	in := `goos: linux
BenchmarkValidate/v/ours-2      100  300 ns/op  290 cpu-ns/op  40 B/op  4 allocs/op
BenchmarkValidate/v/ours-2      100  100 ns/op  110 cpu-ns/op  40 B/op  4 allocs/op
BenchmarkValidate/v/ours-2      100  200 ns/op  200 cpu-ns/op  40 B/op  4 allocs/op
BenchmarkValidate/v/crewjam-2   100 1000 ns/op 1000 cpu-ns/op 100 B/op 10 allocs/op
BenchmarkValidate/v/floor-2     100   50 ns/op   50 cpu-ns/op  10 B/op  1 allocs/op
BenchmarkValidate/v/floor-2     100   70 ns/op   70 cpu-ns/op  10 B/op  1 allocs/op
BenchmarkReject/junk/ours-2     100    5 ns/op    1 B/op  1 allocs/op
PASS
`
	var out strings.Builder
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| ours | 200 | 100 | 200 | 40 | 4 |",
		"| floor | 60 | 50 | 60 | 10 | 1 |",
		"| ours/crewjam | 0.20 | | 0.20 | 0.40 | 0.40 |",
		"| ours/floor | 3.33 | | 3.33 | 4.00 | 4.00 |",
		"target ours/crewjam ns/op <= 0.33: 0.20 met",
		"target ours/floor ns/op <= 3: 3.33 MISSED",
		"| junk | 5 | 1 | 1 | accepted | accepted | accepted |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunRefusesInputWithoutResults(t *testing.T) {
	if err := run(strings.NewReader("PASS\n"), new(strings.Builder)); err == nil {
		t.Fatal("no error for input without benchmark results")
	}
}
