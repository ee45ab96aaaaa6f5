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
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestPrologue() asm.Instructions {
	s := TestPrologueSig
	return sasm.Seq(
		// count this call of test_prologue
		Calls.Count("test_prologue"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("test_prologue called\n"),
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

// TestEpilogue implements int test_epilogue(struct st_args *args):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestEpilogue() asm.Instructions {
	s := TestEpilogueSig
	return sasm.Seq(
		// count this call of test_epilogue
		Calls.Count("test_epilogue"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("test_epilogue called\n"),
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

// TestProEpilogue implements int test_pro_epilogue(struct st_args *args):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestProEpilogue() asm.Instructions {
	s := TestProEpilogueSig
	return sasm.Seq(
		// count this call of test_pro_epilogue
		Calls.Count("test_pro_epilogue"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("test_pro_epilogue called\n"),
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
