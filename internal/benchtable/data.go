package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// confidence is the level of the confidence intervals, as benchstat's default.
const confidence = 0.95

// data is what the benchmark output holds: every result by name (without
// the Benchmark prefix and the -GOMAXPROCS suffix) and unit (as benchfmt
// tidies it: ns/op is sec/op), and the skipped benchmarks with their
// reasons.
type data struct {
	samples map[string]map[string]*benchmath.Sample
	vmrun   map[string]string // the vmrun configuration a result came with
	order   []string          // result names in the order of the input
	skipped map[string]string // benchmark (top level, no prefix) -> reason
}

var (
	skipLine   = regexp.MustCompile(`^\s*--- SKIP: Benchmark(\S+)`)
	reasonLine = regexp.MustCompile(`^\s+(?:\S+\.go:\d+: )?(.+)$`)
)

// parse reads go test -bench output with benchfmt, grouping the values by
// benchmark name and unit with benchproc, and the -v lines that say which
// benchmarks skipped and why (which benchfmt skips). Lines of go test
// -json are decoded first.
func parse(out []byte) (*data, error) {
	text := textOf(out)
	d := &data{samples: map[string]map[string]*benchmath.Sample{}, vmrun: map[string]string{}, skipped: map[string]string{}}
	lines := strings.Split(text, "\n")
	for i, ln := range lines {
		if m := skipLine.FindStringSubmatch(ln); m != nil {
			name, _, _ := strings.Cut(m[1], "/")
			d.skipped[name] = skipReason(lines, i)
		}
	}

	// .fullname without /gomaxprocs: the -N suffix is not part of a name
	var pp benchproc.ProjectionParser
	if _, err := pp.Parse("/gomaxprocs", nil); err != nil {
		return nil, err
	}
	proj, unitField, err := pp.ParseWithUnit(".fullname,vmrun", nil)
	if err != nil {
		return nil, err
	}
	fields := proj.Fields()
	nameField, vmrunField := fields[0], fields[1]
	values := map[benchproc.Key][]float64{}
	var keys []benchproc.Key
	rd := benchfmt.NewReader(strings.NewReader(text), "benchmark output")
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		for i, k := range proj.ProjectValues(res) {
			if _, seen := values[k]; !seen {
				keys = append(keys, k)
			}
			values[k] = append(values[k], res.Values[i].Value)
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	for _, k := range keys {
		name, unit := k.Get(nameField), k.Get(unitField)
		if d.samples[name] == nil {
			d.samples[name] = map[string]*benchmath.Sample{}
			d.order = append(d.order, name)
		}
		d.samples[name][unit] = benchmath.NewSample(values[k], &benchmath.DefaultThresholds)
		if v := k.Get(vmrunField); v != "" {
			d.vmrun[name] = v
		}
	}
	if len(d.samples) == 0 && len(d.skipped) == 0 {
		return nil, errors.New("no benchmark results in the input: pass the output of go test -bench (or run without -in)")
	}
	return d, nil
}

// skipReason is the log line of the skip at lines[i]: go test -v prints
// a benchmark's log before its --- SKIP line (a test's after it).
func skipReason(lines []string, i int) string {
	for j := i - 1; j >= 0 && !strings.HasPrefix(lines[j], "=== RUN") && !strings.HasPrefix(lines[j], "---"); j-- {
		if m := reasonLine.FindStringSubmatch(lines[j]); m != nil && strings.Contains(lines[j], ".go:") {
			return m[1]
		}
	}
	if i+1 < len(lines) {
		if m := reasonLine.FindStringSubmatch(lines[i+1]); m != nil && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "---") {
			return m[1]
		}
	}
	return "skipped"
}

// textOf turns go test -json lines into the text they carry; other lines
// are kept as they are.
func textOf(out []byte) string {
	var sb strings.Builder
	for _, ln := range strings.SplitAfter(string(out), "\n") {
		if strings.HasPrefix(ln, "{") {
			var ev testEvent
			if json.Unmarshal([]byte(ln), &ev) == nil {
				sb.WriteString(ev.Output)
				continue
			}
		}
		sb.WriteString(ln)
	}
	return sb.String()
}

// summary is benchstat's summary of the runs of unit in the result name:
// the median and its confidence interval (benchmath.AssumeNothing).
func (d *data) summary(name, unit string) (benchmath.Summary, int, bool) {
	s := d.samples[name][unit]
	if s == nil || len(s.Values) == 0 {
		return benchmath.Summary{}, 0, false
	}
	return benchmath.AssumeNothing.Summary(s, confidence), len(s.Values), true
}

// median of the runs of unit in the result name; ok is false if there are none.
func (d *data) median(name, unit string) (float64, bool) {
	s, _, ok := d.summary(name, unit)
	return s.Center, ok
}

// sub lists the sub-benchmarks of top (top/...), in the order of the input.
func (d *data) sub(top string) []string {
	var out []string
	for _, n := range d.order {
		if strings.HasPrefix(n, top+"/") {
			out = append(out, n)
		}
	}
	return out
}

// ran reports whether the benchmark top (or a sub-benchmark of it) has a result.
func (d *data) ran(top string) bool {
	return d.samples[top] != nil || len(d.sub(top)) > 0
}

// format writes v, a value in unit (as benchfmt tidies units), the way
// benchstat does (benchunit: four significant digits and an SI or IEC
// prefix), with the unit's base after it: "783.0µs", "270.0KiB",
// "6.410k allocs". Units ending in -ms are milliseconds.
func format(v float64, unit string) string {
	base := strings.TrimSuffix(unit, "/op")
	if strings.HasSuffix(base, "-ms") || base == "ms" {
		v, base = v/1e3, "sec"
	}
	switch {
	case base == "sec" || strings.HasSuffix(base, "-sec"):
		return benchunit.Scale(v, benchunit.Decimal) + "s"
	case base == "B" || strings.HasSuffix(base, "-B"):
		return benchunit.Scale(v, benchunit.Binary) + "B"
	}
	return benchunit.Scale(v, benchunit.ClassOf(unit)) + " " + base
}

// count writes a value that is a count (instructions, slots), as it is.
func count(v float64) string { return benchunit.NoOpScaler.Format(v) }
