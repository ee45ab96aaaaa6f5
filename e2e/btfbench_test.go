package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/structops/structops-gen/vm"
)

// guestBench is a line of go test -bench output in the guest: name,
// iterations, ns/op.
var guestBench = regexp.MustCompile(`(?m)^Benchmark(\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op`)

// BenchmarkKernelBTFInVM runs internal/btfx's BenchmarkLookup in the guest,
// as root, on each kernel series (the second with STRUCTOPS_VM_SERIES2=1):
// getting vmlinux's BTF each way the kernel offers (mmap of the sysfs file,
// the one-call copy of the BTF object, reading the file) alone, with the
// scan that indexes it, and with the scan that also finds a load's types.
// Each is reported as guest-ms (the guest benchmark's ns/op, 10 iterations);
// a way the kernel does not offer is missing.
func BenchmarkKernelBTFInVM(b *testing.B) {
	work := b.TempDir()
	bin := filepath.Join(work, "btfx.test")
	cmd := exec.Command("go", "test", "-c", "-trimpath", "-o", bin, "../internal/btfx")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go test -c ./internal/btfx: %v\n%s", err, o)
	}
	for _, series := range []string{vm.DefaultSeries, series2} {
		b.Run(series, func(b *testing.B) {
			var k *vm.Kernel
			if series == vm.DefaultSeries {
				k, _ = benchKernel(b)
			} else {
				k = series2Kernel(b)
			}
			var res *vm.Result
			for b.Loop() {
				var err error
				res, err = vm.Run(context.Background(), k, vm.RunSpec{
					Files:   []vm.File{{HostPath: bin, GuestPath: "/bin/btfx.test"}},
					Command: []string{"/bin/btfx.test", "-test.run", "^$", "-test.bench", "Lookup", "-test.benchtime", "10x"},
					NoTrace: true, Timeout: 10 * time.Minute}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res.ExitCode != 0 {
					b.Fatalf("btfx.test exit %d:\n%s", res.ExitCode, tail(res.Console, 40))
				}
			}
			ms := guestBench.FindAllStringSubmatch(res.Console, -1)
			if len(ms) == 0 {
				b.Fatalf("no benchmark lines from the guest:\n%s", tail(res.Console, 40))
			}
			b.Logf("kernel %s, %s", k.Version, res.Accel)
			for _, m := range ms {
				ns, _ := strconv.ParseFloat(m[3], 64)
				b.Run(m[1], func(b *testing.B) { // reports only: the guest measured
					b.ReportMetric(ns/1e6, "guest-ms")
				})
			}
		})
	}
}
