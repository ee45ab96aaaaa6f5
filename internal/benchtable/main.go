// Command benchtable runs the project's benchmarks (or reads their output)
// and rewrites the tables of BENCHMARKS.md between marker comments
//
//	<!-- bench:NAME -->
//	| table | ... |
//
//	_status line_
//	<!-- /bench:NAME -->
//
// keeping everything outside the markers. Each table takes the medians of
// the runs (-count) of the benchmarks behind it (tables.go). A cell whose
// benchmark did not run (skipped: not root, no VM, or absent from the
// input) keeps the value it had, and the table's status line says which
// columns or rows are from an earlier run and why.
//
// Usage (make bench runs the first, make bench-table the second):
//
//	go run ./internal/benchtable [-count 5] [-raw bench.txt] [-md BENCHMARKS.md]
//	go run ./internal/benchtable -in bench.txt [-md BENCHMARKS.md]
//
// Running, it benchmarks every package of the module in turn (go test -json
// -run '^$' -bench . -benchmem -count N), noting the load average before
// each, with STRUCTOPS_VM unset so the VM benchmarks skip. With
// STRUCTOPS_VM=1 in the environment it then runs the VM benchmarks of ./e2e
// once (-benchtime 1x); -vmrun names the column they fill (warm or cold).
// The output, as `go test -v -bench` prints it plus "# loadavg" and
// "# vmrun" lines, is saved to -raw; -in reads such a file (or plain
// `go test -bench` or `go test -json` output) instead of running.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fl.SetOutput(stderr)
	md := fl.String("md", "BENCHMARKS.md", "the markdown file whose tables are rewritten")
	in := fl.String("in", "", "read benchmark output from this file instead of running the benchmarks")
	raw := fl.String("raw", "bench.txt", "when running, save the benchmark output here")
	count := fl.Int("count", 5, "when running, go test -count for the host benchmarks")
	vmrun := fl.String("vmrun", "warm", "when running with STRUCTOPS_VM=1, the column the VM benchmarks fill: warm or cold")
	date := fl.String("date", time.Now().UTC().Format("2006-01-02 15:04 UTC"), "the date the status lines give")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: pass the input with -in FILE", fl.Args())
	}
	if *vmrun != "warm" && *vmrun != "cold" {
		return fmt.Errorf("-vmrun %q: want warm or cold", *vmrun)
	}
	doc, err := os.ReadFile(*md)
	if err != nil {
		return fmt.Errorf("read the tables' file: %w (pass -md FILE)", err)
	}
	// fail on a malformed file before spending minutes on benchmarks
	if _, err := splitBlocks(doc); err != nil {
		return fmt.Errorf("%s: %w", *md, err)
	}
	var out []byte
	if *in != "" {
		if out, err = os.ReadFile(*in); err != nil {
			return fmt.Errorf("read benchmark output: %w (make bench writes it; or pass -in FILE)", err)
		}
	} else {
		out, err = runBenchmarks(*count, *vmrun, stdout)
		if werr := os.WriteFile(*raw, out, 0o644); werr != nil {
			return fmt.Errorf("save the benchmark output: %w (pass -raw FILE)", werr)
		}
		if err != nil {
			return fmt.Errorf("%w (output saved in %s; %s is unchanged)", err, *raw, *md)
		}
		fmt.Fprintf(stderr, "benchtable: benchmark output saved in %s\n", *raw)
	}
	data, err := parse(out)
	if err != nil {
		return err
	}
	newDoc, err := rewrite(doc, data, *date)
	if err != nil {
		return fmt.Errorf("%s: %w", *md, err)
	}
	if bytes.Equal(newDoc, doc) {
		fmt.Fprintf(stderr, "benchtable: %s is up to date\n", *md)
		return nil
	}
	if err := os.WriteFile(*md, newDoc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "benchtable: rewrote the tables of %s\n", *md)
	return nil
}

// vmBenchmarks are the ./e2e benchmarks that boot a VM.
const vmBenchmarks = "VerifierInVM|SpecToVerdict"

// runBenchmarks runs the host benchmarks of every package, then (with
// STRUCTOPS_VM=1) the VM ones, echoing their output to w.
func runBenchmarks(count int, vmrun string, w io.Writer) ([]byte, error) {
	list, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list ./...: %w", err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# cpus %d\n", runtime.NumCPU())
	var failed []string
	env := append(os.Environ(), "CGO_ENABLED=0", "STRUCTOPS_VM=")
	for _, pkg := range moveLast(strings.Fields(string(list)), loadLast) {
		if err := goBench(&out, w, env, pkg, "-bench", ".", "-benchmem", "-count", fmt.Sprint(count)); err != nil {
			failed = append(failed, pkg)
		}
	}
	if os.Getenv("STRUCTOPS_VM") == "1" {
		fmt.Fprintf(&out, "# vmrun %s\n", vmrun)
		env := append(os.Environ(), "CGO_ENABLED=0")
		runs := []string{vmBenchmarks}
		if vmrun == "cold" {
			// spec to verdict first, on the empty VM cache (its fetch is the
			// download), with empty Go caches for its builds
			runs = []string{"SpecToVerdict", "VerifierInVM"}
			env = append(env, "STRUCTOPS_BENCH_COLD=1")
		}
		for _, re := range runs {
			if err := goBench(&out, w, env, "./e2e", "-bench", re, "-benchmem", "-benchtime", "1x", "-count", "1", "-timeout", "60m"); err != nil {
				failed = append(failed, "./e2e (VM)")
			}
		}
	}
	if len(failed) > 0 {
		return out.Bytes(), fmt.Errorf("benchmarks failed in %s", strings.Join(failed, ", "))
	}
	return out.Bytes(), nil
}

// loadLast is the package whose benchmarks run last: loading and
// detaching struct_ops many times leaves the kernel's workers waiting on RCU
// grace periods, which Linux counts in the load average for a minute or
// more, so the load the other packages report would be inflated.
const loadLast = "github.com/structops/structops-gen/bpf"

// moveLast returns pkgs with last, if there, moved to the end.
func moveLast(pkgs []string, last string) []string {
	var out []string
	found := false
	for _, p := range pkgs {
		if p == last {
			found = true
			continue
		}
		out = append(out, p)
	}
	if found {
		out = append(out, last)
	}
	return out
}

// goBench runs go test -json with the benchmark flags on pkg and appends
// its output (as go test -v prints it) to out and w, after the load average.
func goBench(out *bytes.Buffer, w io.Writer, env []string, pkg string, flags ...string) error {
	head := "# loadavg " + loadavg() + "\n"
	out.WriteString(head)
	io.WriteString(w, head)
	defer func() {
		tail := "# loadavg-after " + loadavg() + "\n"
		out.WriteString(tail)
		io.WriteString(w, tail)
	}()
	args := append([]string{"test", "-json", "-run", "^$"}, flags...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = env
	cmd.Stderr = w
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	dec := json.NewDecoder(pipe)
	for {
		var ev testEvent
		if err := dec.Decode(&ev); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(w, "benchtable: %s: reading go test -json: %v\n", pkg, err)
			}
			break
		}
		out.WriteString(ev.Output)
		io.WriteString(w, ev.Output)
	}
	return cmd.Wait()
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// testEvent is the part of a go test -json (test2json) event used here.
type testEvent struct {
	Action string
	Test   string
	Output string
}

// data is what the benchmark output holds: every result by name (without
// the Benchmark prefix and the -GOMAXPROCS suffix), the skipped benchmarks
// with their reasons, and the load averages seen.
type data struct {
	results map[string]*result
	skipped map[string]string // benchmark (top level, no prefix) -> reason
	// the 1-minute load averages before and after each package (block):
	// a result's block is the last "# loadavg" before it
	loads [][]float64
	order []string // result names in the order of the input
	cpus  string   // from the # cpus line
}

// result holds every run's value of each unit, the run label
// ("warm"/"cold") of the VM run it came from, if any, and its block in
// data.loads (-1: none).
type result struct {
	values map[string][]float64
	vmrun  string
	block  int
}

var (
	skipLine    = regexp.MustCompile(`^\s*--- SKIP: Benchmark(\S+)`)
	reasonLine  = regexp.MustCompile(`^\s+(?:\S+\.go:\d+: )?(.+)$`)
	loadavgLine = regexp.MustCompile(`^# loadavg(-after)? (\S+)`)
	vmrunLine   = regexp.MustCompile(`^# vmrun (\S+)`)
	cpusLine    = regexp.MustCompile(`^# cpus (\d+)`)
)

// parse reads go test -bench output: the standard format (through
// benchfmt), with the -v lines that say which benchmarks skipped and why,
// and the # loadavg / # vmrun lines runBenchmarks writes. Lines of go test
// -json are decoded first.
func parse(out []byte) (*data, error) {
	text := textOf(out)
	d := &data{results: map[string]*result{}, skipped: map[string]string{}}
	lines := strings.Split(text, "\n")
	vmrun := ""
	// the label of each line's VM run and its load block, for the results below
	labels := make([]string, len(lines)+1)
	blocks := make([]int, len(lines)+1)
	block := -1
	for i, ln := range lines {
		if m := loadavgLine.FindStringSubmatch(ln); m != nil {
			if m[1] == "" {
				d.loads = append(d.loads, nil)
				block = len(d.loads) - 1
			}
			if v, err := strconv.ParseFloat(m[2], 64); err == nil && block >= 0 {
				d.loads[block] = append(d.loads[block], v)
			}
		}
		blocks[i+1] = block
		if m := vmrunLine.FindStringSubmatch(ln); m != nil {
			vmrun = m[1]
		}
		if m := cpusLine.FindStringSubmatch(ln); m != nil {
			d.cpus = m[1]
		}
		labels[i+1] = vmrun
		if m := skipLine.FindStringSubmatch(ln); m != nil {
			name, _, _ := strings.Cut(m[1], "/")
			d.skipped[name] = skipReason(lines, i)
		}
	}
	rd := benchfmt.NewReader(strings.NewReader(text), "benchmark output")
	for rd.Scan() {
		r, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := r.Name.Parts()
		name := string(base)
		for _, p := range parts {
			if !strings.HasPrefix(string(p), "-") {
				name += string(p)
			}
		}
		res := d.results[name]
		if res == nil {
			res = &result{values: map[string][]float64{}, block: -1}
			d.results[name] = res
			d.order = append(d.order, name)
		}
		_, line := r.Pos()
		if line < len(labels) {
			res.vmrun, res.block = labels[line], blocks[line]
		}
		for _, v := range r.Values {
			res.values[v.Unit] = append(res.values[v.Unit], v.Value)
		}
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	if len(d.results) == 0 && len(d.skipped) == 0 {
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

// median of the runs of unit in the result name; ok is false if there are none.
func (d *data) median(name, unit string) (float64, bool) {
	vs := d.values(name, unit)
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

func (d *data) values(name, unit string) []float64 {
	if r := d.results[name]; r != nil {
		return r.values[unit]
	}
	return nil
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
	return d.results[top] != nil || len(d.sub(top)) > 0
}
