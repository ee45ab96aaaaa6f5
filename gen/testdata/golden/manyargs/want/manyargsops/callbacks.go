package manyargsops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct manyargs_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Six implements u64 six(u64 a1, s64 a2, u32 a3, s32 a4, u16 a5, s8 a6):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Six() asm.Instructions {
	s := SixSig
	return sasm.Seq(
		// count this call of six
		Calls.Count("six"),
		// r2 = a1 (u64), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (s64), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a2: unsigned long + a2 (s64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a3 (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a3: unsigned long + a3 (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a4 (s32), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a4: unsigned long + a4 (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a5 (u16), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a5: unsigned long + a5 (u16) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a6 (s8), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a6: unsigned long + a6 (s8) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("six(a1=%llu, a2=%lld, a3=%llu, a4=%lld, a5=%llu, a6=%lld)\n", -48, 6),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Mixed implements int mixed(const char *name, struct sock *sk, u32 len, struct task_struct *task, const char *comm):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Mixed() asm.Instructions {
	s := MixedSig
	return sasm.Seq(
		// count this call of mixed
		Calls.Count("mixed"),
		// r3 = len (u32), extended to 64 bits
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// r6 = len: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("mixed(len=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Pick implements struct sock *pick(const struct sock *prev, int cpu):
// it printks its name and integer arguments and returns NULL.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Pick() asm.Instructions {
	s := PickSig
	return sasm.Seq(
		// count this call of pick
		Calls.Count("pick"),
		// r3 = cpu (s32), extended to 64 bits
		s.Arg(asm.R3, 1),
		sasm.Printk("pick(cpu=%lld)\n", asm.R3),
		// return NULL
		s.RetImm(0),
	)
}

// Describe implements const struct sock *describe(struct task_struct *task):
// it printks its name and integer arguments and returns NULL.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Describe() asm.Instructions {
	s := DescribeSig
	return sasm.Seq(
		// count this call of describe
		Calls.Count("describe"),
		sasm.Printk("describe called\n"),
		// return NULL
		s.RetImm(0),
	)
}
