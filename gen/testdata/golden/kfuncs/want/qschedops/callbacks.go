package qschedops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct qsched_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Enqueue implements u32 enqueue(u32 queue, u32 prio):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
func Enqueue() asm.Instructions {
	s := EnqueueSig
	return sasm.Seq(
		// r3 = queue (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = prio (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = queue: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
			// r6 += prio
			asm.Add.Reg(asm.R6, asm.R4),
		},
		sasm.Printk("enqueue(queue=%llu, prio=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}

// Tick implements s64 tick(s32 delta):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
func Tick() asm.Instructions {
	s := TickSig
	return sasm.Seq(
		// r3 = delta (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = delta: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("tick(delta=%lld)\n", asm.R3),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}
