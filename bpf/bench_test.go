package bpf_test

// Benchmarks of loading a struct_ops implementation on the host, through
// the built-in tcp_congestion_ops (see kernel_test.go). They need root and
// skip without it. BENCHMARKS.md has the tables; `make bench` (as root)
// rewrites them.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
)

func benchRoot(b *testing.B) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root: loads and attaches tcp_congestion_ops struct_ops")
	}
	if _, err := os.Stat(availableCC); err != nil {
		b.Skipf("no TCP congestion control sysctl: %v", err)
	}
	var st *btf.Struct
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		b.Skipf("no kernel BTF: %v", err)
	}
	if err := spec.TypeByName("bpf_struct_ops_tcp_congestion_ops", &st); err != nil {
		b.Skipf("kernel cannot implement tcp_congestion_ops in BPF: %v", err)
	}
}

func ccOpts() *bpf.Options {
	return &bpf.Options{Data: map[string][]byte{"name": []byte(fmt.Sprintf("sob%d", os.Getpid()%100000))}}
}

// BenchmarkLoadAttachDetach is the whole life of an implementation as a
// loader sees it: bpf.Load (kernel BTF, program loads, map create and
// update), Attach, Detach, Close.
func BenchmarkLoadAttachDetach(b *testing.B) {
	benchRoot(b)
	for b.Loop() {
		impl, err := bpf.Load(tcpOps, minimalCC(), ccOpts())
		if err != nil {
			b.Fatal(err)
		}
		if err := impl.Attach(); err != nil {
			b.Fatal(err)
		}
		if err := impl.Detach(); err != nil {
			b.Fatal(err)
		}
		impl.Close()
	}
}

// BenchmarkLoadPhases splits BenchmarkLoadAttachDetach.
func BenchmarkLoadPhases(b *testing.B) {
	benchRoot(b)
	// kernel BTF: what plain cilium/ebpf's decode of /sys/kernel/btf/vmlinux
	// plus the lookup of the value type costs on every load (Load scans the
	// raw BTF instead: BenchmarkOpenToAttached compares the two).
	b.Run("btf-vmlinux", func(b *testing.B) {
		for b.Loop() {
			c := btf.NewCache()
			k, err := c.Kernel()
			if err != nil {
				b.Fatal(err)
			}
			var st *btf.Struct
			if err := k.TypeByName("bpf_struct_ops_tcp_congestion_ops", &st); err != nil {
				b.Fatal(err)
			}
		}
	})
	cache := btf.NewCache()
	if _, err := cache.Kernel(); err != nil {
		b.Fatal(err)
	}
	spec, err := bpf.Spec(tcpOps, minimalCC(), ccOpts())
	if err != nil {
		b.Fatal(err)
	}
	// the collection (programs + struct_ops map create and update), kernel
	// BTF warm: the map part is this minus "programs".
	b.Run("collection", func(b *testing.B) {
		for b.Loop() {
			coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Cache: cache})
			if err != nil {
				b.Fatal(err)
			}
			coll.Close()
		}
	})
	// attach and detach, reported apart as attach-ns and detach-ns (detach
	// waits for the kernel's RCU grace period in tcp_unregister_congestion_control).
	b.Run("attach-detach", func(b *testing.B) {
		impl, err := bpf.Load(tcpOps, minimalCC(), ccOpts())
		if err != nil {
			b.Fatal(err)
		}
		defer impl.Close()
		var att, det time.Duration
		for b.Loop() {
			t0 := time.Now()
			if err := impl.Attach(); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := impl.Detach(); err != nil {
				b.Fatal(err)
			}
			att, det = att+t1.Sub(t0), det+time.Since(t1)
		}
		b.ReportMetric(float64(att.Nanoseconds())/float64(b.N), "attach-ns")
		b.ReportMetric(float64(det.Nanoseconds())/float64(b.N), "detach-ns")
	})
}

var vstatsLine = regexp.MustCompile(`(?m)^VSTATS (\S+) insns=(\d+) slots=(\d+) processed=(\d+)$`)

// vstatsMain is the program BenchmarkVerifierStats builds next to the
// generated package: it loads the implementation with bpf.Load (which
// resolves the kfunc calls) and prints each program's size and the
// verifier's processed-instruction count (bpf_prog_info.verified_insns, the
// "processed N insns" of the verifier log).
const vstatsMain = `package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/structops/structops-gen/bpf"
	ops %q
)

func main() {
	progs, err := ops.Programs()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	spec, err := bpf.Spec(ops.Ops, progs, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	impl, err := bpf.Load(ops.Ops, progs, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer impl.Close()
	var names []string
	for n := range spec.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		info, err := impl.Program(n).Info()
		if err != nil {
			fmt.Printf("%%s: %%v\n", n, err)
			os.Exit(1)
		}
		v, ok := info.VerifiedInstructions()
		if !ok {
			fmt.Printf("%%s: the kernel does not report verified instructions\n", n)
			os.Exit(1)
		}
		ps := spec.Programs[n]
		fmt.Printf("VSTATS %%s insns=%%d slots=%%d processed=%%d\n", n, len(ps.Instructions), ps.Instructions.Size()/8, v)
	}
}
`

// BenchmarkVerifierStats reports, for each callback of the tcp_congestion_ops
// implementation structops-gen generates from the running kernel's BTF
// (structops-gen --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops: its
// default bodies call the kernel's tcp_reno_* kfuncs), the program's
// instructions and 8-byte slots as loaded and the verifier's
// processed-instruction count (bpf_prog_info.verified_insns) as
// verified-insns. The stack is generated into a temporary directory under
// testdata (which ./... skips) and loaded by a small program built there,
// as root. It measures nothing: each sub-benchmark only reports.
func BenchmarkVerifierStats(b *testing.B) {
	benchRoot(b)
	const vmlinux = "/sys/kernel/btf/vmlinux"
	o, err := gen.Load(gen.Spec{BTF: vmlinux, Ops: "tcp_congestion_ops", Set: []string{fmt.Sprintf("name=sobv%d", os.Getpid()%100000)}})
	if err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "gentcp-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove("testdata") // only if empty: it is not in the repository
	})
	goImport := "github.com/structops/structops-gen/bpf/" + filepath.ToSlash(dir)
	fs, err := gen.Render(o, gen.Options{GoImport: goImport})
	if err != nil {
		b.Fatal(err)
	}
	if err := fs.Write(dir); err != nil {
		b.Fatal(err)
	}
	main := filepath.Join(dir, "vstats", "main.go")
	if err := os.MkdirAll(filepath.Dir(main), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(main, fmt.Appendf(nil, vstatsMain, goImport+"/"+model.GoPackage(o.Name)), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "vstats")
	build := exec.Command("go", "build", "-o", bin, "./"+filepath.ToSlash(filepath.Dir(main)))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build of the generated tcp_congestion_ops stack: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		b.Fatalf("loading the generated tcp_congestion_ops programs: %v\n%s", err, out)
	}
	ms := vstatsLine.FindAllStringSubmatch(string(out), -1)
	if len(ms) != len(o.ImplementedCallbacks()) {
		b.Fatalf("%d VSTATS lines for %d callbacks:\n%s", len(ms), len(o.ImplementedCallbacks()), out)
	}
	for _, m := range ms {
		b.Run(m[1], func(b *testing.B) {
			for i, unit := range []string{"insns", "slots", "verified-insns"} {
				n, _ := strconv.Atoi(m[2+i])
				b.ReportMetric(float64(n), unit)
			}
		})
	}
}
