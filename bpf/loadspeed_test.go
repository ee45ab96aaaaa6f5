package bpf_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/bpf"
)

// rssMain is the program BenchmarkOpenToAttached builds to measure peak
// RSS: the size of a loader, not of this test binary (which links the
// generator and its C parser). It loads and attaches the minimal
// tcp_congestion_ops through the path its argument names, "ours"
// (bpf.Load) or "cilium" (plain cilium/ebpf v0.22: bpf.Spec, then
// NewCollection and link.AttachStructOps, which decode the kernel's BTF),
// or nothing ("idle"), and prints its VmHWM: the peak RSS of this process
// image (getrusage's ru_maxrss keeps the parent's peak across fork and
// exec).
const rssMain = `package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/structops/structops-gen/bpf"
	sasm "github.com/structops/structops-gen/asm"
)

func main() {
	ops := &bpf.Ops{Name: "tcp_congestion_ops", Size: 56, Members: []bpf.Member{
		{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
		{Name: "undo_cwnd", Offset: 8, Size: 8, Func: true},
		{Name: "cong_avoid", Offset: 16, Size: 8, Func: true},
		{Name: "name", Offset: 32, Size: 16},
	}}
	progs := map[string]asm.Instructions{
		"ssthresh":   sasm.Sig{Name: "ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}.RetImm(10),
		"undo_cwnd":  sasm.Sig{Name: "undo_cwnd", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}.RetImm(10),
		"cong_avoid": sasm.Sig{Name: "cong_avoid", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U32, sasm.U32}}.RetImm(0),
	}
	opts := &bpf.Options{Data: map[string][]byte{"name": []byte(fmt.Sprintf("sor%d", os.Getpid()%100000))}}
	var err error
	switch os.Args[1] {
	case "ours":
		var impl *bpf.Impl
		if impl, err = bpf.Load(ops, progs, opts); err == nil {
			defer impl.Close()
			err = impl.Attach()
		}
	case "cilium":
		var spec *ebpf.CollectionSpec
		if spec, err = bpf.Spec(ops, progs, opts); err == nil {
			var coll *ebpf.Collection
			if coll, err = ebpf.NewCollection(spec); err == nil {
				defer coll.Close()
				var l link.Link
				if l, err = link.AttachStructOps(link.StructOpsOptions{Map: coll.Maps[ops.Name]}); err == nil {
					defer l.Close()
				}
			}
		}
	}
	if err != nil {
		fmt.Println("RSS ERROR:", err)
		os.Exit(1)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Println("RSS ERROR:", err)
		os.Exit(1)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Printf("RSS %s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return
		}
	}
	fmt.Println("RSS ERROR: no VmHWM in /proc/self/status")
	os.Exit(1)
}
`

// buildRSSMain builds rssMain in a temporary directory under testdata
// (which ./... skips) and returns the binary.
func buildRSSMain(b *testing.B) string {
	b.Helper()
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "rss-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove("testdata") // only if empty: it is not in the repository
	})
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(rssMain), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "rss")
	build := exec.Command("go", "build", "-o", bin, "./"+filepath.ToSlash(dir))
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build of the RSS probe: %v\n%s", err, out)
	}
	return bin
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
// ≤ 0.25), the bytes each allocated (Go heap), and the peak RSS of a small
// loader process (rssMain) that does one open→attached through each (3
// runs per path, medians) as cilium-rss-KB, ours-rss-KB and rss-ratio
// (target ≤ 0.5); idle-rss-KB is the peak of the same program loading
// nothing, and rss-above-idle-ratio the ratio of the two peaks above it.
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

	bin := buildRSSMain(b)
	var rc, ro, ri []int64
	for j := range 9 {
		path := []string{"cilium", "ours", "idle"}[j%3]
		out, err := exec.Command(bin, path).CombinedOutput()
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
		switch path {
		case "cilium":
			rc = append(rc, kb)
		case "ours":
			ro = append(ro, kb)
		default:
			ri = append(ri, kb)
		}
	}
	b.ReportMetric(median(rc), "cilium-rss-KB")
	b.ReportMetric(median(ro), "ours-rss-KB")
	b.ReportMetric(median(ro)/median(rc), "rss-ratio")
	b.ReportMetric(median(ri), "idle-rss-KB")
	b.ReportMetric((median(ro)-median(ri))/(median(rc)-median(ri)), "rss-above-idle-ratio")
}
