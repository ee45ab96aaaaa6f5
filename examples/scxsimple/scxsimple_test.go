package scxsimple

import (
	"encoding/binary"
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// spec builds the collection of a configuration as Load would (no kernel
// needed: the host has no sched_ext).
func spec(t *testing.T, c Config, data map[string][]byte) error {
	t.Helper()
	_, err := bpf.Spec(Ops, Programs(c), &bpf.Options{Data: data})
	return err
}

// TestSpec checks both modes build: the FIFO without the vtime callbacks,
// init (and only init) sleepable, every map a program refers to present.
func TestSpec(t *testing.T) {
	for _, c := range []Config{{}, {FIFO: true}, {Stall: true}} {
		s, err := bpf.Spec(Ops, Programs(c), nil)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		_, hasRunning := s.Programs["running"]
		if hasRunning == c.FIFO {
			t.Errorf("%+v: running implemented: %v", c, hasRunning)
		}
		for name, p := range s.Programs {
			if sleepable := p.Flags&unix.BPF_F_SLEEPABLE != 0; sleepable != (name == "init") {
				t.Errorf("%+v: program %s sleepable: %v", c, name, sleepable)
			}
			for _, ins := range p.Instructions {
				if ref := ins.Reference(); ins.IsLoadFromMap() && s.Maps[ref] == nil {
					t.Errorf("%+v: program %s refers to map %s, which the collection lacks", c, name, ref)
				}
			}
		}
	}
}

// TestKfuncNames checks the programs call the kfuncs of the configuration:
// the 6.13+ names by default, the 6.12 ones where ProbeKfuncs finds only
// those, and a direct store of dsq_vtime without scx_bpf_task_set_dsq_vtime.
func TestKfuncNames(t *testing.T) {
	calls := func(c Config) []string {
		seen := map[string]bool{}
		for _, p := range Programs(c) {
			for _, ins := range p {
				if k, ok := sasm.KfuncOf(ins); ok {
					seen[k] = true
				}
			}
		}
		var names []string
		for k := range seen {
			names = append(names, k)
		}
		sort.Strings(names)
		return names
	}
	got := strings.Join(calls(Config{}), " ")
	want := "scx_bpf_create_dsq scx_bpf_dsq_insert scx_bpf_dsq_insert_vtime scx_bpf_dsq_move_to_local scx_bpf_select_cpu_dfl scx_bpf_task_set_dsq_vtime"
	if got != want {
		t.Errorf("kfuncs %q, want %q", got, want)
	}
	old := Kfuncs{Insert: "scx_bpf_dispatch", InsertVtime: "scx_bpf_dispatch_vtime", MoveToLocal: "scx_bpf_consume",
		SelectCPU: "scx_bpf_select_cpu_dfl", CreateDSQ: "scx_bpf_create_dsq"}
	got = strings.Join(calls(Config{Kfuncs: old}), " ")
	want = "scx_bpf_consume scx_bpf_create_dsq scx_bpf_dispatch scx_bpf_dispatch_vtime scx_bpf_select_cpu_dfl"
	if got != want {
		t.Errorf("6.12 kfuncs %q, want %q", got, want)
	}
	stores := 0
	for _, ins := range Stopping(Config{Kfuncs: old}) {
		if f, ok := sasm.FieldOf(ins); ok && f == TaskDsqVtime && ins.OpCode.Class().IsStore() {
			stores++
		}
	}
	if stores != 1 {
		t.Errorf("stopping without scx_bpf_task_set_dsq_vtime stores dsq_vtime %d times, want 1", stores)
	}
}

// TestDataRules checks the kernel's rules for sched_ext_ops' data members
// (internal/kernelrules) apply to the scheduler's data.
func TestDataRules(t *testing.T) {
	u32 := func(v uint32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, v); return b }
	for _, tc := range []struct {
		data map[string][]byte
		want string // "" for accepted
	}{
		{map[string][]byte{"timeout_ms": u32(30000)}, ""},
		{map[string][]byte{"timeout_ms": u32(30001)}, "at most 30000"},
		{map[string][]byte{"name": []byte(strings.Repeat("a", 127))}, ""},
		{map[string][]byte{"name": []byte(strings.Repeat("a", 128))}, "at most 127 characters"},
		{map[string][]byte{"name": []byte("go simple")}, "not allowed"},
		{map[string][]byte{"name": nil}, "must not be empty"},
		{map[string][]byte{"dispatch_max_batch": u32(1 << 31)}, "at most 2147483647"},
	} {
		err := spec(t, Config{}, tc.data)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.data, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one saying %q", tc.data, err, tc.want)
		}
	}
}

// TestProgramSizes reports the instruction count of each callback (the
// clang -O2 counts of the kernel's scx_simple.bpf.c are the reference in
// BENCHMARKS.md).
func TestProgramSizes(t *testing.T) {
	for _, c := range []Config{{}, {FIFO: true}} {
		progs := Programs(c)
		names := make([]string, 0, len(progs))
		for n := range progs {
			names = append(names, n)
		}
		sort.Strings(names)
		total := 0
		for _, n := range names {
			insns := slots(progs[n])
			total += insns
			t.Logf("fifo=%v %-10s %3d instructions", c.FIFO, n, insns)
		}
		t.Logf("fifo=%v total      %3d", c.FIFO, total)
	}
}

// slots counts instruction slots (an ld_imm64 takes two), as the kernel
// and llvm-objdump count them.
func slots(insns asm.Instructions) int {
	n := 0
	for _, ins := range insns {
		n += int(ins.Size() / asm.InstructionSize)
	}
	return n
}

// BenchmarkProgramSize reports each callback's size as a metric
// (insns/<callback>) for the benchmark tables.
func BenchmarkProgramSize(b *testing.B) {
	progs := Programs(Config{})
	for i := 0; i < b.N; i++ {
		progs = Programs(Config{})
	}
	for n, p := range progs {
		b.ReportMetric(float64(slots(p)), "insns/"+n)
	}
	b.ReportMetric(float64(slots(Enqueue(Config{FIFO: true, Kfuncs: Kfuncs7}))), "insns/enqueue-fifo")
}
