package e2e

// Benchmarks of the generated stacks: BPF size against clang (host), the
// verifier's processed-instruction counts and the default stack's load and
// attach cost (VM), and spec -> VM verdict (VM). The VM ones skip unless a
// kernel is cached and qemu installed (STRUCTOPS_VM=1 fetches the kernel;
// STRUCTOPS_VM_CACHE picks the cache dir, an empty one measures a cold
// start). BENCHMARKS.md has the tables and the commands.

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

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/gen"
	def "github.com/structops/structops-gen/gen/testdata/golden/default/want/bpftestmodops"
	kn "github.com/structops/structops-gen/gen/testdata/golden/kernel_names/want/knops"
	many "github.com/structops/structops-gen/gen/testdata/golden/manyargs/want/manyargsops"
	widths "github.com/structops/structops-gen/gen/testdata/golden/widths/want/widthsops"
	"github.com/structops/structops-gen/vm"
)

// benchKernel is kernel() for benchmarks; it also reports how long
// getting the kernel took (the download, on a cold cache).
func benchKernel(b *testing.B) *vm.Kernel {
	b.Helper()
	required := os.Getenv("STRUCTOPS_VM") == "1"
	if !required {
		if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
			b.Skip("boots a VM: qemu-system-x86_64 not installed (STRUCTOPS_VM=1 makes this a failure)")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	k, err := vm.Prepare(ctx, vm.Config{CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Offline: !required})
	if err != nil {
		if !required {
			b.Skipf("boots a VM: no cached kernel (%v): run `go run ./cmd/structops-vm fetch` or set STRUCTOPS_VM=1", err)
		}
		b.Fatal(err)
	}
	b.Logf("kernel %s ready in %v (cache %s)", k.Version, time.Since(t0).Round(time.Millisecond), k.CacheDir)
	return k
}

// goldenPkgs are the golden specs' Go packages (e2e/vstats has the same
// list: it is a main package).
var goldenPkgs = []struct {
	Name  string
	Ops   *bpf.Ops
	Progs func() map[string]asm.Instructions
}{
	{"default", def.Ops, def.Programs},
	{"kernel_names", kn.Ops, kn.Programs},
	{"manyargs", many.Ops, many.Programs},
	{"widths", widths.Ops, widths.Programs},
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
// linked). Compare with clang -O2 of the tutorial: test_1 5/6, test_2
// 10/11, test_3 65/69 (instructions/slots).
func BenchmarkProgramSize(b *testing.B) {
	for _, c := range goldenPkgs {
		progs := c.Progs()
		spec, err := bpf.Spec(c.Ops, progs, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range c.Ops.Members {
			ps := spec.Programs[m.Name]
			if ps == nil {
				continue
			}
			b.Run(c.Name+"/"+m.Name, func(b *testing.B) {
				var insns asm.Instructions
				for b.Loop() {
					insns = c.Progs()[m.Name]
				}
				_ = insns
				b.ReportMetric(float64(len(ps.Instructions)), "insns")
				b.ReportMetric(float64(ps.Instructions.Size()/asm.InstructionSize), "slots")
			})
		}
	}
}

var vstatsLine = regexp.MustCompile(`(?m)^VSTATS (\S+) (\S+) insns=(\d+) slots=(\d+) processed=(\d+)`)

// BenchmarkVerifierInVM boots every golden module in the VM and loads each
// spec's programs with the verifier's statistics (e2e/vstats); it reports
// the verifier's processed-instruction count of each callback as
// verified-insns (the VM boot is the ns/op).
func BenchmarkVerifierInVM(b *testing.B) {
	k := benchKernel(b)
	ctx := context.Background()
	work := b.TempDir()
	var kos []string
	for _, c := range goldenPkgs {
		built, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join("..", "gen", "testdata", "golden", c.Name, "want", "module"),
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
		b.Run(m[1]+"/"+m[2], func(b *testing.B) {
			for b.Loop() {
			}
			for i, unit := range []string{"insns", "slots", "verified-insns"} {
				n, _ := strconv.Atoi(m[3+i])
				b.ReportMetric(float64(n), unit)
			}
		})
	}
}

var timingLine = regexp.MustCompile(`timing: load (\S+) \(kernel BTF (\S+), programs and maps (\S+)\), attach (\S+), trigger (\S+), detach (\S+), total (\S+)`)

// BenchmarkSpecToVerdict is the whole path from the built-in spec to the
// VM's verdict: generate the stack, build the module (kbuild) and the
// loader (go build), boot the VM and run `loader --once` there. Each step
// is reported in ms (gen-ms, module-ms, loader-ms, vm-ms), and the
// loader's own --timing split of load/attach/detach in the guest
// (guest-*-ms). The Go build cache and the VM cache decide warm or cold.
func BenchmarkSpecToVerdict(b *testing.B) {
	k := benchKernel(b)
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
		kos, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build")})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		bin := filepath.Join(work, "loader")
		benchBuild(b, bin, "./"+filepath.ToSlash(filepath.Join(dir, gen.GoPackage(o.Name), "loader")))
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
	b.Logf("accel %s; qemu start to exit %v", res.Accel, res.Elapsed.Round(time.Millisecond))
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
