// Command benchtable reads `go test -bench` output for package bench on stdin and prints,
// for each response variant, the median ns/op, B/op and allocs/op of every library and
// our ratios to crewjam/saml, gosaml2 and the floor, as a Markdown table.
//
// It exists so scripts/bench needs nothing outside the standard library; benchstat reads
// the same raw output for confidence intervals.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A result line: BenchmarkValidate/<variant>/<library>-<procs> <iters> <v> ns/op <v> B/op <v> allocs/op
var line = regexp.MustCompile(`^Benchmark(Validate|Reject)/([^/\s]+)/([^\s]+?)(?:-\d+)?\s+\d+\s+(.*)$`)

var (
	units     = []string{"ns/op", "cpu-ns/op", "B/op", "allocs/op"}
	libraries = []string{"ours", "crewjam", "gosaml2", "floor"}
)

// Targets from issue 8: ours/crewjam ns/op ≤ 0.33, B/op and allocs/op ≤ 0.4, ours/floor ns/op ≤ 3.
var targets = []struct {
	against, unit string
	max           float64
}{
	{"crewjam", "ns/op", 0.33},
	{"crewjam", "cpu-ns/op", 0.33},
	{"crewjam", "B/op", 0.4},
	{"crewjam", "allocs/op", 0.4},
	{"floor", "ns/op", 3},
	{"floor", "cpu-ns/op", 3},
}

type key struct{ variant, library, unit string }

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	samples := map[key][]float64{}
	var variants, rejects []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		variant, library := m[2], m[3]
		if m[1] == "Reject" {
			if !slices.Contains(rejects, variant) {
				rejects = append(rejects, variant)
			}
			variant = "reject " + variant
		} else if !slices.Contains(variants, variant) {
			variants = append(variants, variant)
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%q: %v", sc.Text(), err)
			}
			k := key{variant, library, f[i+1]}
			samples[k] = append(samples[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(variants) == 0 && len(rejects) == 0 {
		return fmt.Errorf("no BenchmarkValidate or BenchmarkReject results on stdin")
	}

	med := func(k key) (float64, bool) {
		s := slices.Clone(samples[k])
		if len(s) == 0 {
			return 0, false
		}
		slices.Sort(s)
		if len(s)%2 == 1 {
			return s[len(s)/2], true
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
	}

	for _, v := range variants {
		n := len(samples[key{v, "crewjam", "ns/op"}])
		fmt.Fprintf(out, "\n%s (median of %d runs)\n\n", v, n)
		fmt.Fprintf(out, "| | ns/op | min ns/op | cpu-ns/op | B/op | allocs/op |\n|---|---:|---:|---:|---:|---:|\n")
		for _, lib := range libraries {
			ns, ok := med(key{v, lib, "ns/op"})
			if !ok {
				continue
			}
			fmt.Fprintf(out, "| %s | %s | %s |", lib, group(ns), group(slices.Min(samples[key{v, lib, "ns/op"}])))
			for _, u := range units[1:] {
				m, _ := med(key{v, lib, u})
				fmt.Fprintf(out, " %s |", group(m))
			}
			fmt.Fprintln(out)
		}
		for _, other := range libraries[1:] {
			fmt.Fprintf(out, "| ours/%s |", other)
			for i, u := range units {
				o, ok1 := med(key{v, "ours", u})
				x, ok2 := med(key{v, other, u})
				switch {
				case !ok1 || !ok2 || x == 0:
					fmt.Fprintf(out, " – |")
				default:
					fmt.Fprintf(out, " %.2f |", o/x)
				}
				if i == 0 {
					fmt.Fprintf(out, " |")
				}
			}
			fmt.Fprintln(out)
		}
		fmt.Fprintln(out)
		for _, t := range targets {
			o, ok1 := med(key{v, "ours", t.unit})
			x, ok2 := med(key{v, t.against, t.unit})
			if !ok1 || !ok2 || x == 0 {
				continue
			}
			verdict := "met"
			if o/x > t.max {
				verdict = "MISSED"
			}
			fmt.Fprintf(out, "target ours/%s %s <= %g: %.2f %s\n", t.against, t.unit, t.max, o/x, verdict)
		}
	}
	if len(rejects) > 0 {
		fmt.Fprintf(out, "\nrejecting junk (medians)\n\n| input | ours ns/op | ours B/op | ours allocs/op | crewjam ns/op | crewjam B/op | crewjam allocs/op |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rejects {
			fmt.Fprintf(out, "| %s |", r)
			for _, lib := range []string{"ours", "crewjam"} {
				for _, u := range []string{"ns/op", "B/op", "allocs/op"} {
					if v, ok := med(key{"reject " + r, lib, u}); ok {
						fmt.Fprintf(out, " %s |", group(v))
					} else {
						fmt.Fprintf(out, " accepted |")
					}
				}
			}
			fmt.Fprintln(out)
		}
	}
	return nil
}

// group prints v with thousands separators and no decimals.
func group(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
