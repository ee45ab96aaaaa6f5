package selftestops2

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct selftest_ops2,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Test1 implements int test_1(void):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test1() asm.Instructions {
	s := Test1Sig
	return sasm.Seq(
		// count this call of test_1
		Calls.Count("test_1"),
		sasm.Printk("test_1 called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}
