package selfteststops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct selftest_st_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// TestPrologue implements int test_prologue(struct st_args *args):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestPrologue() asm.Instructions {
	s := TestPrologueSig
	return sasm.Seq(
		// count this call of test_prologue
		Calls.Count("test_prologue"),
		sasm.Printk("test_prologue called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// TestEpilogue implements int test_epilogue(struct st_args *args):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestEpilogue() asm.Instructions {
	s := TestEpilogueSig
	return sasm.Seq(
		// count this call of test_epilogue
		Calls.Count("test_epilogue"),
		sasm.Printk("test_epilogue called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// TestProEpilogue implements int test_pro_epilogue(struct st_args *args):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestProEpilogue() asm.Instructions {
	s := TestProEpilogueSig
	return sasm.Seq(
		// count this call of test_pro_epilogue
		Calls.Count("test_pro_epilogue"),
		sasm.Printk("test_pro_epilogue called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}
