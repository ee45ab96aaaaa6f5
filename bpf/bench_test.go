package bpf_test

// Benchmarks of loading a struct_ops implementation on the host, through
// the built-in tcp_congestion_ops (see kernel_test.go). They need root and
// skip without it. BENCHMARKS.md has the table; regenerate it with
//
//	go test -run '^$' -bench . -benchmem ./bpf

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/bpf"
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
	// kernel BTF: what one decode of /sys/kernel/btf/vmlinux plus the lookup
	// of the value type costs (cilium's NewCollection did this once more
	// before Load shared its cache).
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

var processed = regexp.MustCompile(`processed (\d+) insns`)

// BenchmarkVerifierStats reports the verifier's processed-instruction count
// of each tcp_congestion_ops callback (LogLevelStats), as the metric
// "verified-insns", with the program's instruction count and 8-byte slots.
func BenchmarkVerifierStats(b *testing.B) {
	benchRoot(b)
	spec, err := bpf.Spec(tcpOps, minimalCC(), ccOpts())
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"cong_avoid", "ssthresh", "undo_cwnd"} {
		b.Run(name, func(b *testing.B) {
			ps := spec.Programs[name]
			var n int
			for b.Loop() {
				p, err := ebpf.NewProgramWithOptions(ps, ebpf.ProgramOptions{LogLevel: ebpf.LogLevelStats})
				if err != nil {
					b.Fatal(err)
				}
				m := processed.FindStringSubmatch(p.VerifierLog)
				p.Close()
				if m == nil {
					b.Fatalf("no 'processed N insns' in the verifier log %q", p.VerifierLog)
				}
				n, _ = strconv.Atoi(m[1])
			}
			b.ReportMetric(float64(n), "verified-insns")
			b.ReportMetric(float64(len(ps.Instructions)), "insns")
			b.ReportMetric(float64(ps.Instructions.Size()/8), "slots")
		})
	}
}
