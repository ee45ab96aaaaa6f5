package bpf_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/bpf"
)

// rssChildEnv makes the test binary load and attach one implementation
// (through the path named by its value: "cilium" or "ours"), print its peak
// RSS and exit: BenchmarkOpenToAttached measures each path's peak in a
// process of its own.
const rssChildEnv = "STRUCTOPS_BENCH_RSS_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(rssChildEnv); path != "" {
		os.Exit(rssChild(path))
	}
	os.Exit(m.Run())
}

func rssChild(path string) int {
	opts := ccOpts()
	if path == "cilium" {
		opts = bpf.WithCiliumLoader(opts)
	}
	impl, err := bpf.Load(tcpOps, minimalCC(), opts)
	if err == nil {
		err = impl.Attach()
		defer impl.Close()
	}
	if err != nil {
		fmt.Println("RSS ERROR:", err)
		return 1
	}
	// VmHWM, the peak RSS of this process image (getrusage's ru_maxrss
	// keeps the parent's peak across fork and exec)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Println("RSS ERROR:", err)
		return 1
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Printf("RSS %s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return 0
		}
	}
	fmt.Println("RSS ERROR: no VmHWM in /proc/self/status")
	return 1
}

// openToAttached loads and attaches the minimal tcp_congestion_ops through
// one path and returns how long that took and how many bytes it
// allocated; detaching and closing are not counted.
func openToAttached(b *testing.B, opts *bpf.Options) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	impl, err := bpf.Load(tcpOps, minimalCC(), opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := impl.Attach(); err != nil {
		b.Fatal(err)
	}
	d := time.Since(t0)
	runtime.ReadMemStats(&after)
	if err := impl.Close(); err != nil {
		b.Fatal(err)
	}
	return d, after.TotalAlloc - before.TotalAlloc
}

func median[T int64 | uint64](xs []T) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

// BenchmarkOpenToAttached compares bpf.Load with the plain cilium/ebpf
// path (bpf.WithCiliumLoader: NewCollection, which decodes all of the
// kernel's BTF) on the same ops in the same run: each iteration loads and
// attaches the minimal tcp_congestion_ops through both, in alternating
// order. It reports the medians of open→attached (bpf.Load to Attach
// returned) as cilium-ms and ours-ms and their ratio (ours/cilium; target
// ≤ 0.25), the bytes each allocated (Go heap), and the peak RSS of a
// process that does one open→attached through each (3 child processes per
// path, medians; the test binary's own RSS included) as cilium-rss-KB,
// ours-rss-KB and rss-ratio (target ≤ 0.5).
func BenchmarkOpenToAttached(b *testing.B) {
	benchRoot(b)
	var tc, to []int64
	var ac, ao []uint64
	i := 0
	for b.Loop() {
		order := []bool{i%2 == 0, i%2 != 0}
		i++
		for _, cilium := range order {
			opts := ccOpts()
			if cilium {
				opts = bpf.WithCiliumLoader(opts)
			}
			d, a := openToAttached(b, opts)
			if cilium {
				tc, ac = append(tc, d.Nanoseconds()), append(ac, a)
			} else {
				to, ao = append(to, d.Nanoseconds()), append(ao, a)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(median(tc)/1e6, "cilium-ms")
	b.ReportMetric(median(to)/1e6, "ours-ms")
	b.ReportMetric(median(to)/median(tc), "ratio")
	b.ReportMetric(median(ac), "cilium-alloc-B")
	b.ReportMetric(median(ao), "ours-alloc-B")

	var rc, ro []int64
	for j := range 6 {
		path := []string{"cilium", "ours"}[j%2]
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), rssChildEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child (%s): %v\n%s", path, err, out)
		}
		var kb int64
		for _, l := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(l, "RSS "); ok {
				kb, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if kb == 0 {
			b.Fatalf("child (%s) printed no RSS:\n%s", path, out)
		}
		if path == "cilium" {
			rc = append(rc, kb)
		} else {
			ro = append(ro, kb)
		}
	}
	b.ReportMetric(median(rc), "cilium-rss-KB")
	b.ReportMetric(median(ro), "ours-rss-KB")
	b.ReportMetric(median(ro)/median(rc), "rss-ratio")
}
