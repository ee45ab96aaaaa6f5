package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// output is benchmark output as runBenchmarks saves it: -v lines, a skip
// with its reason, and several runs of each benchmark.
const output = `goos: linux
pkg: github.com/structops/structops-gen/e2e
=== RUN   BenchmarkProgramSize
BenchmarkProgramSize/default/test_1-2   	1000000000	         0.0000027 ns/op	         5.000 insns	         6.000 slots
BenchmarkProgramSize/widths/ints-2      	1000000000	         0.0000039 ns/op	        11.00 insns	         3.000 int-args	         3.000 printk-insns	        12.00 slots
BenchmarkProgramSize/default/test_1-2   	1000000000	         0.0000027 ns/op	         5.000 insns	         6.000 slots
BenchmarkProgramSize/widths/ints-2      	1000000000	         0.0000039 ns/op	        11.00 insns	         3.000 int-args	         3.000 printk-insns	        12.00 slots
=== RUN   BenchmarkVerifierInVM
BenchmarkVerifierInVM
    bench_test.go:37: boots a VM: optional, set STRUCTOPS_VM=1 to run it
--- SKIP: BenchmarkVerifierInVM
pkg: github.com/structops/structops-gen/gen
BenchmarkDefaultStack-2   	     913	   1000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   3000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   2000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   6000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   5000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   4000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkMembers/n=64-2   	      79	  25000000 ns/op	 5305695 B/op	  104914 allocs/op
BenchmarkMembers/n=64-2   	      79	  27000000 ns/op	 5305695 B/op	  104914 allocs/op
BenchmarkMembers/n=64-2   	      79	  23000000 ns/op	 5305695 B/op	  104914 allocs/op
`

const doc = `# title

prose before

<!-- bench:size -->
| spec | callback | insns | slots | verified | clang -O2 insns / slots |
|---|---|---:|---:|---:|---:|
| default | test_1 | 9 | 9 | 5 | |
| widths | ints | 9 | 9 | 11 | |

_An earlier run._
<!-- /bench:size -->

prose between

<!-- bench:loader-host -->
| phase | median | min – max | memory |
|---|---:|---:|---:|
| load + attach + detach + close (` + "`BenchmarkLoadAttachDetach`" + `) | 30 ms | 26 ms – 32 ms | 4 MB |

_Median of 5 runs._
<!-- /bench:loader-host -->

prose after
`

func mustParse(t *testing.T, s string) *data {
	t.Helper()
	d, err := parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParse(t *testing.T) {
	d := mustParse(t, output)
	// benchmath's median of 1..6 ms
	if got, _ := d.median("DefaultStack", "sec/op"); got != 3.5e-3 {
		t.Errorf("DefaultStack median %v s, want 0.0035", got)
	}
	if s := d.samples["ProgramSize/widths/ints"]["int-args"]; s == nil || !slices.Equal(s.Values, []float64{3, 3}) {
		t.Errorf("ProgramSize/widths/ints int-args %v, want two runs of 3", s)
	}
	if r := d.skipped["VerifierInVM"]; r != "boots a VM: optional, set STRUCTOPS_VM=1 to run it" {
		t.Errorf("skip reason %q", r)
	}
	if got := strings.Join(d.sub("ProgramSize"), " "); got != "ProgramSize/default/test_1 ProgramSize/widths/ints" {
		t.Errorf("sub: %s", got)
	}
	if _, err := parse([]byte("PASS\nok x 0.1s\n")); err == nil {
		t.Error("no error for output without results")
	}
}

func TestParseJSON(t *testing.T) {
	js := `{"Action":"output","Package":"p","Output":"BenchmarkList-2   \t 10\t 150000000 ns/op\n"}
{"Action":"output","Package":"p","Test":"BenchmarkVerifierStats","Output":"--- SKIP: BenchmarkVerifierStats\n"}
{"Action":"output","Package":"p","Test":"BenchmarkVerifierStats","Output":"    bench_test.go:27: needs root: loads and attaches tcp_congestion_ops struct_ops\n"}
{"Action":"skip","Package":"p","Test":"BenchmarkVerifierStats"}
`
	d := mustParse(t, js)
	if v, _ := d.median("List", "sec/op"); v < 0.149999 || v > 0.150001 {
		t.Errorf("List %v s, want 0.15", v)
	}
	if !strings.HasPrefix(d.skipped["VerifierStats"], "needs root") {
		t.Errorf("skip reason %q", d.skipped["VerifierStats"])
	}
}

// TestFormat: cells read as benchstat prints its values (benchunit), with
// the unit's base after them.
func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{
		{783e-6, "sec/op", "783.0µs"},
		{0.0135, "sec/op", "13.50ms"},
		{31.5, "sec", "31.50s"},
		{7050, "wall-ms", "7.050s"},
		{4.46, "gen-ms", "4.460ms"},
		{276e3, "B/op", "269.5KiB"},
		{56e6, "maxrss-B", "53.41MiB"},
		{6410, "allocs/op", "6.410k allocs"},
		{40.2e-6, "attach-sec", "40.20µs"},
	} {
		if got := format(c.v, c.unit); got != c.want {
			t.Errorf("format(%v, %q) = %q, want %q", c.v, c.unit, got, c.want)
		}
	}
	if got := count(54); got != "54" {
		t.Errorf("count(54) = %q", got)
	}
}

func TestRewrite(t *testing.T) {
	got, err := rewrite([]byte(doc), mustParse(t, output))
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{
		// the prose is kept
		"# title\n\nprose before\n\n<!-- bench:size -->\n", "\n<!-- /bench:size -->\n\nprose between\n\n", "prose after\n",
		// insns and slots from this run, verified kept from the old table
		"| default | test_1 | 5 | 6 | 5 | 5 / 6 ✔ |\n", "| widths | ints | 11 | 12 | 11 |  |\n",
		"_Column verified from an earlier run (BenchmarkVerifierInVM skipped: boots a VM: optional, set STRUCTOPS_VM=1 to run it)._\n",
		// the loader table did not run at all: rows kept, and said so
		"| load + attach + detach + close (`BenchmarkLoadAttachDetach`) | 30 ms | 26 ms – 32 ms | 4 MB |\n",
		"_Not refreshed: BenchmarkLoadAttachDetach is not in the benchmark output; BenchmarkLoadPhases is not in the benchmark output. The rows are from an earlier run: Median of 5 runs._\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	// a second run without the benchmarks changes nothing
	again, err := rewrite(got, mustParse(t, output))
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != s {
		t.Errorf("second rewrite differs:\n%s", again)
	}
}

func TestRewriteNewTable(t *testing.T) {
	in := "<!-- bench:gen -->\n<!-- /bench:gen -->\n"
	got, err := rewrite([]byte(in), mustParse(t, output))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| what | median | 95% CI | memory | target |\n",
		// 1..6 ms: the median 3.5 ms; with 6 runs the 95% interval is min to
		// max, 1 to 6 ms, 71% either side
		"| default stack in memory (`Load` + `Render`, every file) | 3.500ms | ± 71% | 260.2KiB, 6.147k allocs | < 5.000ms ✔ |\n",
		// 3 runs: too few for an interval
		"| header spec, 64 callbacks (`ParseHeader` + `Render`) | 25.00ms | ± ∞ | 5.060MiB, 104.9k allocs | < 20.00ms ✘ |\n",
		// no result and no old row
		"| header spec, 8 callbacks (`ParseHeader` + `Render`) | – | – | – |  |\n",
		"_Median of 6 runs, ± its 95% confidence interval (benchstat). benchstat: need >= 6 samples for confidence interval at level 0.95. Not measured: BenchmarkList is not in the benchmark output; BenchmarkProcessDefault",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

// TestVMColumns: the vmrun configuration line picks the column; the other
// keeps its old values.
func TestVMColumns(t *testing.T) {
	in := "<!-- bench:loader-vm -->\n| phase in the guest | warm run | cold run |\n|---|---:|---:|\n" +
		"| load: kernel BTF (vmlinux + bpf_testmod) | 2319 ms | 1157 ms |\n<!-- /bench:loader-vm -->\n"
	for vmrun, want := range map[string]string{
		"cold": "| load: kernel BTF (vmlinux + bpf_testmod) | 2319 ms | 3.000s |",
		"warm": "| load: kernel BTF (vmlinux + bpf_testmod) | 3.000s | 1157 ms |",
	} {
		out := "vmrun: " + vmrun + "\nBenchmarkSpecToVerdict-2 1 40000000000 ns/op 3000 guest-btf-ms\n"
		got, err := rewrite([]byte(in), mustParse(t, out))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), want) || !strings.Contains(string(got), "_One run. Column ") {
			t.Errorf("vmrun %s: want %q and a status naming the kept column in\n%s", vmrun, want, got)
		}
	}
}

func TestBadMarkers(t *testing.T) {
	d := mustParse(t, output)
	for _, c := range []struct{ doc, want string }{
		{"<!-- bench:size -->\n| a |\n", "<!-- bench:size --> is never closed"},
		{"<!-- /bench:size -->\n", "without its <!-- bench:size -->"},
		{"<!-- bench:size -->\n<!-- bench:gen -->\n", "inside bench:size"},
		{"<!-- bench:nope -->\n<!-- /bench:nope -->\n", "unknown table <!-- bench:nope -->"},
		{"<!-- bench:loader-host -->\n<!-- /bench:loader-host -->\n", "none of its benchmarks ran"},
	} {
		_, err := rewrite([]byte(c.doc), d)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one with %q", c.doc, err, c.want)
		}
	}
}

// TestRunLeavesFileOnError: a bad input changes nothing on disk.
func TestRunLeavesFileOnError(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "B.md")
	in := filepath.Join(dir, "bench.txt")
	orig := []byte("<!-- bench:nope -->\n<!-- /bench:nope -->\n")
	os.WriteFile(md, orig, 0o644)
	os.WriteFile(in, []byte(output), 0o644)
	var stderr bytes.Buffer
	err := run([]string{"-md", md, "-in", in}, &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "unknown table") {
		t.Fatalf("run: %v, want an unknown-table error", err)
	}
	if b, _ := os.ReadFile(md); !bytes.Equal(b, orig) {
		t.Errorf("%s changed:\n%s", md, b)
	}
	// and a good one rewrites it
	os.WriteFile(md, []byte(doc), 0o644)
	if err := run([]string{"-md", md, "-in", in}, &stderr, &stderr); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(md); !bytes.Contains(b, []byte("| default | test_1 | 5 | 6 | 5 | 5 / 6 ✔ |")) {
		t.Errorf("not rewritten:\n%s", b)
	}
}

// TestKernelBTFVM: each series fills its column of the kernel-BTF table;
// a way the series' kernel does not offer is "—", a series that did not
// run keeps its old cells; the series-2 tables take SpecToVerdictSeries2.
func TestKernelBTFVM(t *testing.T) {
	in := "<!-- bench:kernel-btf-vm -->\n| vmlinux BTF in the guest (TCG) | Debian 6.12 | Debian 7.3 |\n|---|---:|---:|\n" +
		"| mmap the sysfs file: get the bytes | — | 2.00ms |\n<!-- /bench:kernel-btf-vm -->\n" +
		"<!-- bench:loader-vm-series2 -->\n<!-- /bench:loader-vm-series2 -->\n"
	out := "vmrun: warm\n" +
		"BenchmarkKernelBTFInVM/6.12/Lookup/bpf-object/open-2 1 1000 ns/op 40.5 guest-ms\n" +
		"BenchmarkKernelBTFInVM/6.12/Lookup/read/names-2 1 1000 ns/op 51 guest-ms\n" +
		"BenchmarkSpecToVerdictSeries2-2 1 40000000000 ns/op 21.5 guest-btf-ms\n"
	got, err := rewrite([]byte(in), mustParse(t, out))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| mmap the sysfs file: get the bytes | — | 2.00ms |",
		"| copy the BTF object (one call): get the bytes | 40.50ms | – |",
		"| read the sysfs file: + find 3 types by name | 51.00ms | – |",
		"| load: kernel BTF (vmlinux + bpf_testmod) | 21.50ms | – |",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}
