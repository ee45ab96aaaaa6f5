package main

// Benchmarks of the structops-gen process as a user runs it: the binary is
// built once (CGO_ENABLED=0 go build) and each iteration is one process,
// with its peak RSS (getrusage ru_maxrss) reported as maxrss-MB.
// BENCHMARKS.md has the table; regenerate it with
//
//	go test -run '^$' -bench . -benchmem ./cmd/structops-gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	benchBinOnce sync.Once
	benchBinPath string
	benchBinErr  error
)

// benchBinary builds structops-gen into a temporary directory once per
// test binary run.
func benchBinary(b *testing.B) string {
	b.Helper()
	benchBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "structops-gen-bench-")
		if err != nil {
			benchBinErr = err
			return
		}
		benchBinPath = filepath.Join(dir, "structops-gen")
		cmd := exec.Command("go", "build", "-trimpath", "-o", benchBinPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			benchBinErr = &benchBuildError{err, out}
		}
	})
	if benchBinErr != nil {
		b.Skipf("cannot build structops-gen: %v", benchBinErr)
	}
	return benchBinPath
}

type benchBuildError struct {
	err error
	out []byte
}

func (e *benchBuildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// runProcess runs the binary b.N times and reports the wall time per
// process (wall-ms, which is also ns/op minus the loop overhead) and the
// largest peak RSS seen (maxrss-MB).
func runProcess(b *testing.B, args ...string) {
	bin := benchBinary(b)
	var maxRSS int64
	var wall time.Duration
	for b.Loop() {
		cmd := exec.Command(bin, args...)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		wall += time.Since(t0)
		if err != nil {
			b.Fatalf("%s %v: %v\n%s", bin, args, err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
		}
	}
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MB")
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "wall-ms")
}

// BenchmarkProcessDefault is `structops-gen -o DIR` for the built-in spec:
// the whole process, files written (target: under 100 ms).
func BenchmarkProcessDefault(b *testing.B) {
	out := filepath.Join(b.TempDir(), "out")
	runProcess(b, "-o", out, "--go-import", "example.com/bench/out")
}

// BenchmarkProcessList is `structops-gen list` over the running kernel's
// vmlinux BTF (target: under 500 ms and 200 MB peak RSS).
func BenchmarkProcessList(b *testing.B) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		b.Skipf("no kernel BTF: %v", err)
	}
	runProcess(b, "list", "--btf", "/sys/kernel/btf/vmlinux")
}
