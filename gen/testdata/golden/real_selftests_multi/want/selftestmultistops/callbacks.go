package selftestmultistops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct selftest_multi_st_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Test1 implements int test_1(struct st_args *args):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test1() asm.Instructions {
	s := Test1Sig
	return sasm.Seq(
		// count this call of test_1
		Calls.Count("test_1"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("test_1 called\n"),
		// r8 = args (struct st_args *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when args is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if args != NULL: r3 = args->a
		sasm.IfNotNull(asm.R8, StArgsA.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = args->a: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}
