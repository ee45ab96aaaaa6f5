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
// it printks its name and integer arguments and returns the sum of its integer arguments and the kfuncs' results, converted to u32.
// It calls the kfuncs qsched_depth, qsched_weight with its leading integer arguments (0 where it has fewer) and adds their results.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Enqueue() asm.Instructions {
	s := EnqueueSig
	return sasm.Seq(
		// count this call of enqueue
		Calls.Count("enqueue"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = queue (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = prio (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = queue: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += prio: unsigned int + prio (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U32),
		sasm.Printk("enqueue(queue=%llu, prio=%llu)\n", asm.R3, asm.R4),
		// r1 = argument 0, for qsched_depth's queue
		s.ArgFrom(asm.R1, asm.R7, 0),
		// r0 = qsched_depth(arg0)
		QschedDepth(asm.R1),
		asm.Instructions{
			// r6 += qsched_depth's result
			asm.Add.Reg(asm.R6, asm.R0),
		},
		// r1 = argument 0, for qsched_weight's class
		s.ArgFrom(asm.R1, asm.R7, 0),
		// r2 = argument 1, for qsched_weight's prio
		s.ArgFrom(asm.R2, asm.R7, 1),
		// r0 = qsched_weight(arg0, arg1)
		QschedWeight(asm.R1, asm.R2),
		asm.Instructions{
			// r6 += qsched_weight's result
			asm.Add.Reg(asm.R6, asm.R0),
		},
		// return the sum of its integer arguments and the kfuncs' results, converted to u32
		s.Ret(asm.R6),
	)
}

// Tick implements s64 tick(s32 delta):
// it printks its name and integer arguments and returns the sum of its integer arguments and the kfuncs' results, converted to s64.
// It calls the kfuncs qsched_depth, qsched_weight with its leading integer arguments (0 where it has fewer) and adds their results.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Tick() asm.Instructions {
	s := TickSig
	return sasm.Seq(
		// count this call of tick
		Calls.Count("tick"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = delta (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = delta: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("tick(delta=%lld)\n", asm.R3),
		// r1 = argument 0, for qsched_depth's queue
		s.ArgFrom(asm.R1, asm.R7, 0),
		// r0 = qsched_depth(arg0)
		QschedDepth(asm.R1),
		asm.Instructions{
			// r6 += qsched_depth's result
			asm.Add.Reg(asm.R6, asm.R0),
		},
		// r1 = argument 0, for qsched_weight's class
		s.ArgFrom(asm.R1, asm.R7, 0),
		// r0 = qsched_weight(arg0, 0)
		QschedWeight(asm.R1, 0),
		asm.Instructions{
			// r6 += qsched_weight's result
			asm.Add.Reg(asm.R6, asm.R0),
		},
		// return the sum of its integer arguments and the kfuncs' results, converted to s64
		s.Ret(asm.R6),
	)
}
