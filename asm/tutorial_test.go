package asm_test

// The tutorial's three callbacks as the generator emits them: the checked-in
// default stack (bpftestmodops, drift-checked against structops-gen's
// output), not a copy of its bodies.
//
//	struct bpf_testmod_ops {
//		int (*test_1)(void);
//		int (*test_2)(int a, int b);
//		int (*test_3)(const char *buf, int len);
//	};

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpftestmodops"
)

// clangBounds are clang -O2's sizes of the tutorial's struct_ops.bpf.c
// (Debian clang 14, counted with llvm-objdump; ../shared/reference/README.md):
// a Go-assembled callback must be no larger.
var clangBounds = []struct {
	name         string
	insns, slots int
}{
	{"test_1", 5, 6},
	{"test_2", 10, 11},
	{"test_3", 65, 69},
}

// generatedSpec is the default stack's programs as they are loaded: bpf.Spec
// links their strings into .rodata.
func generatedSpec(t *testing.T) *ebpf.CollectionSpec {
	t.Helper()
	progs, err := bpftestmodops.Programs()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := bpf.Spec(bpftestmodops.Ops, progs, nil)
	if err != nil {
		t.Fatalf("bpf.Spec of the default stack: %v", err)
	}
	return spec
}

// TestTutorialSizes holds the generated programs to clang's sizes
// (e2e's BenchmarkProgramSize reports the sizes of every golden spec).
func TestTutorialSizes(t *testing.T) {
	spec := generatedSpec(t)
	for _, c := range clangBounds {
		ps := spec.Programs[c.name]
		if ps == nil {
			t.Errorf("%s: not in the default stack's programs", c.name)
			continue
		}
		n, s := len(ps.Instructions), slots(ps.Instructions)
		t.Logf("%s: %d instructions, %d slots (clang -O2: %d / %d)", c.name, n, s, c.insns, c.slots)
		if n > c.insns || s > c.slots {
			t.Errorf("%s: %d instructions / %d slots, clang -O2 needs %d / %d:\n%v", c.name, n, s, c.insns, c.slots, ps.Instructions)
		}
	}
	if len(spec.Programs) != len(clangBounds) {
		t.Errorf("the default stack has %d programs, want %d (test_1, test_2, test_3)", len(spec.Programs), len(clangBounds))
	}
}

// shiftArgs returns a copy of insns whose argument loads read the ctx
// slots k places further on: each load from R1 before R1 is first written
// or a function is called. It fails the test if there is no such load.
func shiftArgs(t *testing.T, insns asm.Instructions, k int) asm.Instructions {
	t.Helper()
	out := make(asm.Instructions, len(insns))
	copy(out, insns)
	shifted := 0
	for i, ins := range out {
		if ins.OpCode.JumpOp() == asm.Call || ins.Dst == asm.R1 && !ins.OpCode.Class().IsStore() {
			break
		}
		mode := ins.OpCode.Mode()
		if ins.OpCode.Class() == asm.LdXClass && ins.Src == asm.R1 && (mode == asm.MemMode || mode == asm.MemSXMode) {
			out[i].Offset += int16(8 * k)
			shifted++
		}
	}
	if shifted == 0 {
		t.Fatalf("no argument load to shift in\n%v", insns)
	}
	return out
}
