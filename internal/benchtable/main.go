// Command benchtable runs the project's benchmarks (or reads their output)
// and rewrites the tables of BENCHMARKS.md between marker comments
//
//	<!-- bench:NAME -->
//	| table | ... |
//
//	_status line_
//	<!-- /bench:NAME -->
//
// keeping everything outside the markers. The statistics are benchstat's
// (golang.org/x/perf: benchfmt reads the output, benchproc groups the
// values by benchmark and unit, benchmath gives each median and its 95%
// confidence interval, benchunit formats them); tables.go says which
// benchmark fills which cell. A cell whose benchmark did not run
// (skipped: not root, no VM, or absent from the input) keeps the value it
// had, and the table's status line says which columns or rows are from an
// earlier run and why.
//
// Usage (make bench runs the first, make bench-table the second):
//
//	go run ./internal/benchtable [-count 6] [-raw bench.txt] [-md BENCHMARKS.md]
//	go run ./internal/benchtable -in bench.txt [-md BENCHMARKS.md]
//
// Running, it benchmarks every package of the module in turn (go test -json
// -run '^$' -bench . -benchmem -count N), with STRUCTOPS_VM unset so the
// VM benchmarks skip. With STRUCTOPS_VM=1 in the environment it then runs
// the VM benchmarks of ./e2e once (-benchtime 1x) after a "vmrun: warm" or
// "vmrun: cold" configuration line (-vmrun), which names the column they
// fill. The output, as `go test -v -bench` prints it, is saved to -raw;
// -in reads such a file (or plain `go test -bench` or `go test -json`
// output) instead of running.
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
	"strings"
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
	count := fl.Int("count", 6, "when running, go test -count for the host benchmarks (6 is the least that gives a median a 95% confidence interval)")
	vmrun := fl.String("vmrun", "warm", "when running with STRUCTOPS_VM=1, the column the VM benchmarks fill: warm or cold")
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
	newDoc, err := rewrite(doc, data)
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
const vmBenchmarks = "VerifierInVM|SpecToVerdict|KernelBTFInVM"

// runBenchmarks runs the host benchmarks of every package, then (with
// STRUCTOPS_VM=1) the VM ones, echoing their output to w.
func runBenchmarks(count int, vmrun string, w io.Writer) ([]byte, error) {
	list, err := exec.Command("go", "list", "./...").Output()
	if err != nil {
		return nil, fmt.Errorf("go list ./...: %w", err)
	}
	var out bytes.Buffer
	var failed []string
	env := append(os.Environ(), "CGO_ENABLED=0", "STRUCTOPS_VM=")
	for _, pkg := range moveLast(strings.Fields(string(list)), loadLast) {
		if err := goBench(&out, w, env, pkg, "-bench", ".", "-benchmem", "-count", fmt.Sprint(count)); err != nil {
			failed = append(failed, pkg)
		}
	}
	if os.Getenv("STRUCTOPS_VM") == "1" {
		// a configuration line (go doc golang.org/x/perf/benchfmt): the
		// results after it carry it
		fmt.Fprintf(&out, "vmrun: %s\n", vmrun)
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
// grace periods for a while after.
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
// its output (as go test -v prints it) to out and w.
func goBench(out *bytes.Buffer, w io.Writer, env []string, pkg string, flags ...string) error {
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

// testEvent is the part of a go test -json (test2json) event used here.
type testEvent struct {
	Action string
	Test   string
	Output string
}
