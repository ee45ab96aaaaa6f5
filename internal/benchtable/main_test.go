package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// output is benchmark output as runBenchmarks saves it: -v lines, a skip
// with its reason, load averages, and three runs of each benchmark.
const output = `# cpus 2
# loadavg 0.50 1.00 1.00
goos: linux
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
# loadavg-after 0.70 1.00 1.00
# loadavg 1.50 1.00 1.00
pkg: github.com/structops/structops-gen/gen
BenchmarkDefaultStack-2   	     913	   1000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   3000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkDefaultStack-2   	     913	   2000000 ns/op	  266435 B/op	    6147 allocs/op
BenchmarkMembers/n=64-2   	      79	  25000000 ns/op	 5305695 B/op	  104914 allocs/op
`

const doc = `# title

prose before

<!-- bench:size -->
| spec | callback | insns | slots | verified | clang -O2 insns / slots |
|---|---|---:|---:|---:|---:|
| default | test_1 | 9 | 9 | 5 | |
| widths | ints | 9 | 9 | 11 | |

_VM run of 2026-11-25._
<!-- /bench:size -->

prose between

<!-- bench:loader-host -->
| phase | median | min – max | memory |
|---|---:|---:|---:|
| load + attach + detach + close (` + "`BenchmarkLoadAttachDetach`" + `) | 30 ms | 26 ms – 32 ms | 4 MB |

_Refreshed on 2026-11-24: median of 5 runs._
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
	if got, _ := d.median("DefaultStack", "sec/op"); got != 2e-3 {
		t.Errorf("DefaultStack median %v s, want 0.002 (of 1, 3 and 2 ms)", got)
	}
	if got := d.values("ProgramSize/widths/ints", "int-args"); len(got) != 2 || got[0] != 3 {
		t.Errorf("ProgramSize/widths/ints int-args %v, want two runs of 3", got)
	}
	if r := d.skipped["VerifierInVM"]; r != "boots a VM: optional, set STRUCTOPS_VM=1 to run it" {
		t.Errorf("skip reason %q", r)
	}
	if fmt.Sprint(d.loads) != "[[0.5 0.7] [1.5]]" || d.cpus != "2" {
		t.Errorf("loads %v, cpus %q", d.loads, d.cpus)
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

func TestRewrite(t *testing.T) {
	got, err := rewrite([]byte(doc), mustParse(t, output), "DATE")
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{
		// the prose is kept
		"# title\n\nprose before\n\n<!-- bench:size -->\n", "\n<!-- /bench:size -->\n\nprose between\n\n", "prose after\n",
		// insns and slots from this run, verified kept from the old table
		"| default | test_1 | 5 | 6 | 5 | 5 / 6 ✔ |\n", "| widths | ints | 11 | 12 | 11 |  |\n",
		"_Refreshed on DATE. Column verified from an earlier run (BenchmarkVerifierInVM skipped: boots a VM: optional, set STRUCTOPS_VM=1 to run it)._\n",
		// the loader table did not run at all: rows kept, and said so
		"| load + attach + detach + close (`BenchmarkLoadAttachDetach`) | 30 ms | 26 ms – 32 ms | 4 MB |\n",
		"_Not refreshed on DATE: BenchmarkLoadAttachDetach is not in the benchmark output; BenchmarkLoadPhases is not in the benchmark output. The rows are from an earlier run: Refreshed on 2026-11-24: median of 5 runs._\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	// a second run without the benchmarks does not stack up "not refreshed"
	again, err := rewrite(got, mustParse(t, output), "DATE2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(again), "Not refreshed") != 1 || !strings.Contains(string(again), "Not refreshed on DATE2: BenchmarkLoadAttachDetach is not in the benchmark output; BenchmarkLoadPhases is not in the benchmark output. The rows are from an earlier run: Refreshed on 2026-11-24") {
		t.Errorf("second rewrite:\n%s", again)
	}
}

func TestRewriteNewTable(t *testing.T) {
	in := "<!-- bench:gen -->\n<!-- /bench:gen -->\n"
	got, err := rewrite([]byte(in), mustParse(t, output), "DATE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| default stack in memory (`Load` + `Render`, every file) | 2.00 ms | 1.00 ms – 3.00 ms | 266 KB, 6.15 k allocs | < 5.00 ms ✔ |\n",
		"| header spec, 64 callbacks (`ParseHeader` + `Render`) | 25.0 ms | — | 5.31 MB, 105 k allocs | < 20.0 ms ✘ |\n",
		// no result and no old row
		"| header spec, 8 callbacks (`ParseHeader` + `Render`) | – | – | – |  |\n",
		// the runs and the load of the gen package only
		"_Refreshed on DATE: median of 3 runs; load average 1.50 on 2 CPUs. Not measured: BenchmarkList is not in the benchmark output; BenchmarkProcessDefault",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestVMRefreshWarning(t *testing.T) {
	in := "<!-- bench:loader-vm -->\n| phase in the guest | warm run | cold run |\n|---|---:|---:|\n" +
		"| load: kernel BTF (vmlinux + bpf_testmod) | 2319 ms | 1157 ms |\n<!-- /bench:loader-vm -->\n"
	out := "# vmrun cold\nBenchmarkSpecToVerdict-2 1 40000000000 ns/op 3000 guest-btf-ms\n"
	got, err := rewrite([]byte(in), mustParse(t, out), "DATE")
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	if !strings.Contains(s, "| load: kernel BTF (vmlinux + bpf_testmod) | 2319 ms | 3.00 s |") {
		t.Errorf("cold column not filled, warm not kept:\n%s", s)
	}
	if strings.Contains(s, "Needs a refresh") {
		t.Errorf("warning although warm < cold:\n%s", s)
	}
	out = "# vmrun cold\nBenchmarkSpecToVerdict-2 1 40000000000 ns/op 2000 guest-btf-ms\n"
	got, _ = rewrite([]byte(in), mustParse(t, out), "DATE")
	if !strings.Contains(string(got), "**Needs a refresh**: the warm run is slower than the cold one") {
		t.Errorf("no warning although warm > cold:\n%s", got)
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
		_, err := rewrite([]byte(c.doc), d, "DATE")
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
	if err := run([]string{"-md", md, "-in", in, "-date", "D"}, &stderr, &stderr); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(md); !bytes.Contains(b, []byte("| default | test_1 | 5 | 6 | 5 | 5 / 6 ✔ |")) {
		t.Errorf("not rewritten:\n%s", b)
	}
}
