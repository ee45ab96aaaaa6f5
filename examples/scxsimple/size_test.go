package scxsimple

import (
	"fmt"
	"sort"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/gen/testdata/golden/schedext/want/schedextops"
)

// clangSCX are clang -O2's sizes (instructions / 8-byte slots) of the
// kernel's tools/sched_ext/scx_simple.bpf.c for Debian's 7.3 kernel, a
// one-off reference (../../../shared/reference/README.md, BENCHMARKS.md;
// no test runs clang): upstream, with its compat wrappers, and the same
// logic calling 7.3's kfuncs directly. A Go callback doing the same work
// must be no larger than upstream's.
var clangSCX = map[string]struct{ upstream, direct [2]int }{
	"select_cpu": {[2]int{42, 47}, [2]int{28, 30}},
	"enqueue":    {[2]int{73, 81}, [2]int{40, 43}},
	"dispatch":   {[2]int{14, 16}, [2]int{3, 3}},
	"running":    {[2]int{12, 14}, [2]int{12, 14}},
	"stopping":   {[2]int{19, 22}, [2]int{14, 15}},
	"enable":     {[2]int{9, 11}, [2]int{5, 6}},
	"init":       {[2]int{18, 19}, [2]int{4, 4}},
	"exit":       {[2]int{33, 40}, [2]int{25, 30}},
}

// schedSizes are the instructions and slots of each program as loaded
// (bpf.Spec links the maps and strings).
func schedSizes(t *testing.T, ops *bpf.Ops, progs map[string]asm.Instructions) map[string][2]int {
	t.Helper()
	s, err := bpf.Spec(ops, progs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return programSizes(s)
}

func programSizes(s *ebpf.CollectionSpec) map[string][2]int {
	out := map[string][2]int{}
	for name, p := range s.Programs {
		out[name] = [2]int{len(p.Instructions), int(p.Instructions.Size() / asm.InstructionSize)}
	}
	return out
}

// TestSizesAgainstClang holds the Go schedulers to clang's sizes of
// scx_simple, callback by callback: this example in vtime mode (all eight
// callbacks, as upstream) and in FIFO mode, and the default stack
// structops-gen generates for sched_ext_ops (a global FIFO; the golden
// case schedext). go test -v prints the table of BENCHMARKS.md.
func TestSizesAgainstClang(t *testing.T) {
	genProgs, err := programsOf(schedextops.Programs)
	if err != nil {
		t.Fatal(err)
	}
	cols := []struct {
		name  string
		sizes map[string][2]int
	}{
		{"scxsimple vtime", schedSizes(t, Ops, Programs(Config{}))},
		{"scxsimple fifo", schedSizes(t, Ops, Programs(Config{FIFO: true}))},
		{"generated", schedSizes(t, schedextops.Ops, genProgs)},
	}
	names := make([]string, 0, len(clangSCX))
	for n := range clangSCX {
		names = append(names, n)
	}
	order := map[string]int{"select_cpu": 0, "enqueue": 1, "dispatch": 2, "running": 3, "stopping": 4, "enable": 5, "init": 6, "exit": 7}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	cell := func(v [2]int, ok bool) string {
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%d / %d", v[0], v[1])
	}
	t.Log("| callback | scxsimple (vtime) | scxsimple -fifo | generated default | clang upstream | clang direct |")
	var tot [3][2]int
	for _, n := range names {
		ref := clangSCX[n]
		row := "| " + n
		for i, c := range cols {
			v, ok := c.sizes[n]
			row += " | " + cell(v, ok)
			if !ok {
				continue
			}
			tot[i][0] += v[0]
			tot[i][1] += v[1]
			if v[0] > ref.upstream[0] || v[1] > ref.upstream[1] {
				t.Errorf("%s %s: %d instructions / %d slots, clang -O2 of scx_simple needs %d / %d",
					c.name, n, v[0], v[1], ref.upstream[0], ref.upstream[1])
			}
		}
		t.Logf("%s | %s | %s |", row, cell(ref.upstream, true), cell(ref.direct, true))
	}
	t.Logf("| total | %s | %s | %s | 220 / 250 | 131 / 145 |", cell(tot[0], true), cell(tot[1], true), cell(tot[2], true))
	for _, c := range cols {
		for n := range c.sizes {
			if _, ok := clangSCX[n]; !ok {
				t.Errorf("%s: program %s has no clang reference", c.name, n)
			}
		}
	}
}

// programsOf calls a generated package's Programs.
func programsOf(f func() (map[string]asm.Instructions, error)) (map[string]asm.Instructions, error) {
	return f()
}
