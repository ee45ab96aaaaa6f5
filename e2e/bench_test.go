package e2e

// Benchmarks of the generated stacks: BPF size against clang (host, no
// root), the verifier's processed-instruction counts and the default
// stack's load and attach cost (VM), and spec -> VM verdict (VM). The VM
// ones are optional: they skip unless STRUCTOPS_VM=1 (which fetches a kernel
// when none is cached; STRUCTOPS_VM_CACHE picks the cache dir, an empty one
// measures a cold start). BENCHMARKS.md has the tables; `make bench` (with
// STRUCTOPS_VM=1 for these) rewrites them.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	def "github.com/structops/structops-gen/bpftestmodops"
	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
	kn "github.com/structops/structops-gen/gen/testdata/golden/kernel_names/want/knops"
	many "github.com/structops/structops-gen/gen/testdata/golden/manyargs/want/manyargsops"
	widths "github.com/structops/structops-gen/gen/testdata/golden/widths/want/widthsops"
	"github.com/structops/structops-gen/vm"
)

// benchKernel is kernel() for benchmarks, which are optional: it skips
// unless STRUCTOPS_VM=1 (then a missing kernel is fetched and any failure is
// one). It returns how long getting the kernel took (the download, on a
// cold cache).
func benchKernel(b *testing.B) (*vm.Kernel, time.Duration) {
	b.Helper()
	if os.Getenv("STRUCTOPS_VM") != "1" {
		b.Skip("boots a VM: optional, set STRUCTOPS_VM=1 to run it (fetches a kernel when none is cached)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	k, err := vm.Prepare(ctx, vm.Config{CacheDir: os.Getenv("STRUCTOPS_VM_CACHE")})
	if err != nil {
		b.Fatal(err)
	}
	d := time.Since(t0)
	b.Logf("kernel %s ready in %v (cache %s)", k.Version, d.Round(time.Millisecond), k.CacheDir)
	return k, d
}

// goldenPkgs are the golden specs' Go packages (e2e/vstats has the same
// list: it is a main package) with the header each comes from ("" for the
// built-in spec).
var goldenPkgs = []struct {
	Name   string
	Header string
	Ops    *bpf.Ops
	Progs  func() (map[string]asm.Instructions, error)
}{
	{"default", "", def.Ops, def.Programs},
	{"kernel_names", "../gen/testdata/headers/kernel_names.h", kn.Ops, kn.Programs},
	{"manyargs", "../gen/testdata/headers/manyargs.h", many.Ops, many.Programs},
	{"widths", "../gen/testdata/headers/widths.h", widths.Ops, widths.Programs},
}

func benchBuild(b *testing.B, out, pkg string) {
	b.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, o)
	}
}

// BenchmarkProgramSize reports, for each callback of every golden spec,
// the instructions and 8-byte slots of the program as loaded (strings
// linked), and for the generator's default bodies (every spec but the
// built-in one, whose bodies are the tutorial's) the callback's integer
// arguments (int-args), the instructions of its printk (printk-insns, see
// printkInsns) and of the call counting it starts with (count-insns). It measures nothing: the numbers are fixed by the
// generator, so each sub-benchmark only reports them. The bounds against
// clang -O2 (test_1 5/6, test_2 10/11, test_3 65/69 instructions/slots)
// are enforced by asm's TestTutorialSizes.
func BenchmarkProgramSize(b *testing.B) {
	for _, c := range goldenPkgs {
		progs, err := c.Progs()
		if err != nil {
			b.Fatal(err)
		}
		spec, err := bpf.Spec(c.Ops, progs, nil)
		if err != nil {
			b.Fatal(err)
		}
		var intArgs map[string]int
		if c.Header != "" {
			o, err := gen.Load(gen.Spec{Header: c.Header})
			if err != nil {
				b.Fatalf("%s: %v", c.Name, err)
			}
			intArgs = map[string]int{}
			for _, m := range o.Callbacks() {
				for _, p := range m.Func.Params {
					if p.Type.IsScalar() {
						intArgs[m.Name]++
					}
				}
			}
		}
		for _, m := range c.Ops.Members {
			ps := spec.Programs[m.Name]
			if ps == nil {
				continue
			}
			b.Run(c.Name+"/"+m.Name, func(b *testing.B) {
				b.ReportMetric(float64(len(ps.Instructions)), "insns")
				b.ReportMetric(float64(ps.Instructions.Size()/asm.InstructionSize), "slots")
				if intArgs != nil {
					b.ReportMetric(float64(intArgs[m.Name]), "int-args")
					b.ReportMetric(float64(printkInsns(ps.Instructions)), "printk-insns")
				}
				if c := c.Ops.Counts; c != nil {
					// the Calls.Count each default body starts with
					b.ReportMetric(float64(len(c.Count(m.Name))), "count-insns")
				}
			})
		}
	}
}

// printkInsns counts the instructions of insns that exist only for its
// printk calls: for bpf_trace_printk (sasm.Printk) the moves of the values
// into R3..R5, the format pointer (one instruction, two slots), its length
// and the call; for bpf_trace_vprintk (sasm.PrintkStack) the stores of the
// values into the stack array, the format pointer, its length, the array
// pointer, its size and the call. Loading an argument is not counted: the
// default bodies load integer arguments straight into printk's registers.
func printkInsns(insns asm.Instructions) int {
	n := 0
	for c, ins := range insns {
		if !ins.IsBuiltinCall() {
			continue
		}
		switch asm.BuiltinFunc(ins.Constant) {
		case asm.FnTracePrintk:
			j := c - 1
			if j >= 1 && insns[j].Dst == asm.R2 && insns[j-1].Dst == asm.R1 && insns[j-1].OpCode.IsDWordLoad() {
				j -= 2 // r2 = sizeof(format), r1 = format
			}
			for j >= 0 && isMovReg(insns[j]) && (insns[j].Dst == asm.R0 || insns[j].Dst >= asm.R3 && insns[j].Dst <= asm.R5) {
				j-- // the values into r3..r5 (r0 breaks a cycle)
			}
			n += c - j
		case asm.FnTraceVprintk:
			j := c - 1
			var off, size int64
			for ; j >= 0 && insns[j].Dst >= asm.R1 && insns[j].Dst <= asm.R4 && !insns[j].OpCode.Class().IsStore(); j-- {
				switch {
				case insns[j].Dst == asm.R4:
					size = insns[j].Constant
				case insns[j].Dst == asm.R3 && insns[j].OpCode.ALUOp() == asm.Add:
					off = insns[j].Constant
				}
			}
			n += c - j
			for _, st := range insns[:j+1] {
				if st.OpCode.Class() == asm.StXClass && st.Dst == asm.RFP && int64(st.Offset) >= off && int64(st.Offset) < off+size {
					n++ // a value stored into the array
				}
			}
		}
	}
	return n
}

func isMovReg(ins asm.Instruction) bool {
	return ins.OpCode.ALUOp() == asm.Mov && ins.OpCode.Source() == asm.RegSource
}

var vstatsLine = regexp.MustCompile(`(?m)^VSTATS (\S+) (\S+) insns=(\d+) slots=(\d+) processed=(\d+)`)

// BenchmarkVerifierInVM boots every golden module in the VM and loads each
// spec's programs with the verifier's statistics (e2e/vstats); it reports
// the verifier's processed-instruction count of each callback as
// verified-insns (the VM boot is the ns/op).
func BenchmarkVerifierInVM(b *testing.B) {
	k, _ := benchKernel(b)
	ctx := context.Background()
	work := b.TempDir()
	var kos []string
	for _, c := range goldenPkgs {
		src := filepath.Join("..", "gen", "testdata", "golden", c.Name, "want", "module")
		if c.Name == "default" {
			src = filepath.Join("..", "module") // the checked-in default stack is its golden case
		}
		built, err := vm.BuildModuleOpts(ctx, k.KDir, src,
			vm.BuildOptions{Dir: filepath.Join(work, "build-"+c.Name)})
		if err != nil {
			b.Fatalf("%s: %v", c.Name, err)
		}
		kos = append(kos, built...)
	}
	bin := filepath.Join(work, "vstats")
	benchBuild(b, bin, "./vstats")
	var res *vm.Result
	for b.Loop() {
		var err error
		res, err = vm.Run(ctx, k, vm.RunSpec{Modules: kos, Files: []vm.File{{HostPath: bin, GuestPath: "/bin/vstats"}},
			Command: []string{"/bin/vstats"}, NoTrace: true, Timeout: 5 * time.Minute, Append: "no_timer_check"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.ExitCode != 0 {
			b.Fatalf("vstats exit %d:\n%s", res.ExitCode, tail(res.Console, 40))
		}
	}
	ms := vstatsLine.FindAllStringSubmatch(res.Console, -1)
	if len(ms) == 0 {
		b.Fatalf("no VSTATS lines:\n%s", tail(res.Console, 40))
	}
	for _, m := range ms {
		b.Run(m[1]+"/"+m[2], func(b *testing.B) { // reports only: the VM run above measured
			for i, unit := range []string{"insns", "slots", "verified-insns"} {
				n, _ := strconv.Atoi(m[3+i])
				b.ReportMetric(float64(n), unit)
			}
		})
	}
}

var btfReadLine = regexp.MustCompile(`timing: kernel BTF: vmlinux .*`)

var timingLine = regexp.MustCompile(`timing: load (\S+) \(kernel BTF (\S+), programs and maps (\S+)\), attach (\S+), trigger (\S+), detach (\S+), total (\S+)`)

// BenchmarkSpecToVerdict is the whole path from the built-in spec to the
// VM's verdict: generate the stack, build the module (kbuild) and the
// loader (go build), boot the VM and run `loader --once` there. Each step
// is reported in ms (gen-ms, module-ms, loader-ms, vm-ms), and the
// loader's own --timing split of load/attach/detach in the guest
// (guest-*-ms), and fetch-ms, the time to get the kernel before the first
// iteration (a download on an empty VM cache). The Go build cache and the
// VM cache decide warm or cold.
//
// STRUCTOPS_BENCH_COLD=1 (make bench with BENCH_VMRUN=cold) makes the
// builds those of a fresh machine: an empty Go build cache and module cache
// for the loader's and /init's go build (the test binary itself was built
// with the warm ones), so every module is downloaded and compiled.
func BenchmarkSpecToVerdict(b *testing.B) {
	specToVerdict(b, func(b *testing.B) (*vm.Kernel, time.Duration) { return benchKernel(b) })
}

// BenchmarkSpecToVerdictSeries2 is BenchmarkSpecToVerdict on the second
// kernel series (Debian 7.3), whose module is built in its trixie chroot;
// it needs STRUCTOPS_VM_SERIES2=1 as well, and root.
func BenchmarkSpecToVerdictSeries2(b *testing.B) {
	specToVerdict(b, func(b *testing.B) (*vm.Kernel, time.Duration) {
		t0 := time.Now()
		k := series2Kernel(b)
		return k, time.Since(t0)
	})
}

func specToVerdict(b *testing.B, kernel func(*testing.B) (*vm.Kernel, time.Duration)) {
	if os.Getenv("STRUCTOPS_BENCH_COLD") == "1" {
		b.Setenv("GOCACHE", b.TempDir())
		b.Setenv("GOMODCACHE", b.TempDir())
		b.Setenv("GOFLAGS", "-modcacherw") // so that TempDir can remove it
	}
	k, fetch := kernel(b)
	ctx := context.Background()
	work := b.TempDir()
	dir := filepath.Join("testdata", "out", "bench-default")
	var genT, modT, loadT, vmT time.Duration
	var res *vm.Result
	for b.Loop() {
		t0 := time.Now()
		o, err := gen.Load(gen.Spec{})
		if err != nil {
			b.Fatal(err)
		}
		fs, err := gen.Render(o, gen.Options{GoImport: modulePath + "/e2e/testdata/out/bench-default"})
		if err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if err := fs.Write(dir); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		kos, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(dir, "module"),
			vm.BuildOptions{Dir: filepath.Join(work, "build"), Chroot: k.BuildEnv})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		bin := filepath.Join(work, "loader")
		benchBuild(b, bin, "./"+filepath.ToSlash(filepath.Join(dir, model.GoPackage(o.Name), "loader")))
		t3 := time.Now()
		res, err = vm.Run(ctx, k, vm.RunSpec{Modules: kos, Files: []vm.File{{HostPath: bin, GuestPath: "/bin/loader"}},
			Command: []string{"/bin/loader", "--once", "--timing"}, NoTrace: true, Timeout: 5 * time.Minute}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.ExitCode != 0 || !strings.Contains(res.Console, "test_1 42") {
			b.Fatalf("verdict: exit %d:\n%s", res.ExitCode, tail(res.Console, 40))
		}
		t4 := time.Now()
		genT, modT, loadT, vmT = genT+t1.Sub(t0), modT+t2.Sub(t1), loadT+t3.Sub(t2), vmT+t4.Sub(t3)
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	b.ReportMetric(ms(genT), "gen-ms")
	b.ReportMetric(ms(modT), "module-ms")
	b.ReportMetric(ms(loadT), "loader-ms")
	b.ReportMetric(ms(vmT), "vm-ms")
	b.ReportMetric(float64(fetch.Microseconds())/1000, "fetch-ms")
	b.Logf("accel %s; qemu start to exit %v", res.Accel, res.Elapsed.Round(time.Millisecond))
	if m := btfReadLine.FindString(res.Console); m != "" {
		b.Log(m)
	}
	if m := timingLine.FindStringSubmatch(res.Console); m != nil {
		for i, unit := range []string{"guest-load-ms", "guest-btf-ms", "guest-coll-ms", "guest-attach-ms", "guest-trigger-ms", "guest-detach-ms"} {
			d, err := time.ParseDuration(m[1+i])
			if err == nil {
				b.ReportMetric(float64(d.Microseconds())/1000, unit)
			}
		}
	} else {
		b.Logf("no timing line from the loader:\n%s", tail(res.Console, 20))
	}
}

// TestPrintkInsns checks the printk count of BenchmarkProgramSize against
// sequences built with sasm: values already in place, values that must
// move, and the stack array of bpf_trace_vprintk.
func TestPrintkInsns(t *testing.T) {
	s := sasm.Sig{Name: "f", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32, sasm.S32, sasm.S32}}
	loads := sasm.Seq(s.Arg(asm.R3, 0), s.Arg(asm.R4, 1), asm.Instructions{asm.Mov.Reg(asm.R6, asm.R3)})
	stores := asm.Instructions{
		asm.StoreMem(asm.RFP, -16, asm.R3, asm.DWord),
		asm.StoreMem(asm.RFP, -8, asm.R4, asm.DWord),
		asm.StoreMem(asm.RFP, -24, asm.R4, asm.DWord), // outside the array
	}
	for _, c := range []struct {
		name  string
		insns asm.Instructions
		want  int
	}{
		{"in place", sasm.Seq(loads, sasm.Printk("%d %d\n", asm.R3, asm.R4), s.Ret(asm.R6)), 3},
		{"moved", sasm.Seq(loads, sasm.Printk("%d %d\n", asm.R6, asm.R3), s.Ret(asm.R6)), 5},
		{"no values", sasm.Seq(sasm.Printk("x\n"), s.RetImm(0)), 3},
		{"two printks", sasm.Seq(loads, sasm.Printk("%d\n", asm.R3), sasm.Printk("%d\n", asm.R6), s.Ret(asm.R6)), 7},
		{"vprintk", sasm.Seq(loads, stores, sasm.PrintkStack("%d %d\n", -16, 2), s.Ret(asm.R6)), 2 + 6},
		{"vprintk, no values", sasm.Seq(sasm.PrintkStack("x\n", -8, 0), s.RetImm(0)), 5},
		{"none", sasm.Seq(loads, s.Ret(asm.R6)), 0},
	} {
		if got := printkInsns(c.insns); got != c.want {
			t.Errorf("%s: %d printk instructions, want %d:\n%v", c.name, got, c.want, c.insns)
		}
	}
}
