package gpumempolicy

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct gpu_mem_policy,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// OnFault implements int on_fault(void *drv, DrvFaultInfo *info, DrvAccessType access):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func OnFault() asm.Instructions {
	s := OnFaultSig
	return sasm.Seq(
		// count this call of on_fault
		Calls.Count("on_fault"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = access (u32), extended to 64 bits
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// r6 = access: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("on_fault(access=%llu)\n", asm.R3),
		// r8 = info (DrvFaultInfo *)
		s.ArgFrom(asm.R8, asm.R7, 1),
		asm.Instructions{
			// r3 = 0, the field's value when info is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if info != NULL: r3 = info->handle
		sasm.IfNotNull(asm.R8, DrvFaultInfoHandle.Load(asm.R3, asm.R8)),
		// r6 += info->handle: unsigned int + info->handle (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when info is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if info != NULL: r3 = info->engine_mask
		sasm.IfNotNull(asm.R8, DrvFaultInfoEngineMask.Load(asm.R3, asm.R8)),
		// r6 += info->engine_mask: unsigned int + info->engine_mask (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when info is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if info != NULL: r3 = info->range.start
		sasm.IfNotNull(asm.R8, DrvFaultInfoRangeStart.Load(asm.R3, asm.R8)),
		// r6 += info->range.start: unsigned int + info->range.start (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when info is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if info != NULL: r3 = info->range.length
		sasm.IfNotNull(asm.R8, DrvFaultInfoRangeLength.Load(asm.R3, asm.R8)),
		// r6 += info->range.length: unsigned long + info->range.length (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when info is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if info != NULL: r3 = info->flags
		sasm.IfNotNull(asm.R8, DrvFaultInfoFlags.Load(asm.R3, asm.R8)),
		// r6 += info->flags: unsigned long + info->flags (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// Prefetch implements int prefetch(DrvRange range, u64 *out_bytes, gfp_t gfp):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Prefetch() asm.Instructions {
	s := PrefetchSig
	return sasm.Seq(
		// count this call of prefetch
		Calls.Count("prefetch"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = gfp (u32), extended to 64 bits
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// r6 = gfp: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("prefetch(gfp=%llu)\n", asm.R3),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R7),
		},
		// r3 = range.start (u64 at offset 0)
		s.ArgField(asm.R3, 0, 0, 8, false),
		// r6 += range.start: unsigned int + range.start (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U64),
		// r3 = range.length (u64 at offset 8)
		s.ArgField(asm.R3, 0, 8, 8, false),
		// r6 += range.length: unsigned long + range.length (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// FenceDone implements bool fence_done(DrvFence fence, DrvHandle arg1):
// it printks its name and integer arguments and returns whether the sum of its integer arguments and of its structs' integer fields is not zero.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func FenceDone() asm.Instructions {
	s := FenceDoneSig
	return sasm.Seq(
		// count this call of fence_done
		Calls.Count("fence_done"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = arg1 (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = arg1: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("fence_done(arg1=%llu)\n", asm.R3),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R7),
		},
		// r3 = fence.context (u32 at offset 0)
		s.ArgField(asm.R3, 0, 0, 4, false),
		// r6 += fence.context: unsigned int + fence.context (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// r3 = fence.seqno (u32 at offset 4)
		s.ArgField(asm.R3, 0, 4, 4, false),
		// r6 += fence.seqno: unsigned int + fence.seqno (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// return whether the sum of its integer arguments and of its structs' integer fields is not zero
		s.Ret(asm.R6),
	)
}

// Evict implements void evict(void *arg0, DrvHandle handle, size_t arg2, u32 *evicted):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Evict() asm.Instructions {
	s := EvictSig
	return sasm.Seq(
		// count this call of evict
		Calls.Count("evict"),
		// r3 = handle (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = arg2 (u64), extended to 64 bits
		s.Arg(asm.R4, 2),
		sasm.Printk("evict(handle=%llu, arg2=%llu)\n", asm.R3, asm.R4),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// Min implements u64 min(u64 a, u64 b):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Min() asm.Instructions {
	s := MinSig
	return sasm.Seq(
		// count this call of min
		Calls.Count("min"),
		// r3 = a (u64), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = b (u64), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = a: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += b: unsigned long + b (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U64, sasm.U64),
		sasm.Printk("min(a=%llu, b=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Max implements u64 max(u64 a, u64 b):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Max() asm.Instructions {
	s := MaxSig
	return sasm.Seq(
		// count this call of max
		Calls.Count("max"),
		// r3 = a (u64), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = b (u64), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = a: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += b: unsigned long + b (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U64, sasm.U64),
		sasm.Printk("max(a=%llu, b=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Migrate implements s64 migrate(DrvHandle src, DrvHandle dst, DrvAddr src_addr, DrvAddr dst_addr, size_t len, u32 engine, u64 flags, void *cookie):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Migrate() asm.Instructions {
	s := MigrateSig
	return sasm.Seq(
		// count this call of migrate
		Calls.Count("migrate"),
		// r2 = src (u32), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-56
			asm.StoreMem(asm.RFP, -56, asm.R2, asm.DWord),
			// r6 = src: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = dst (u32), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
		},
		// r6 += dst: unsigned int + dst (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = src_addr (u64), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += src_addr: unsigned int + src_addr (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U64),
		// r2 = dst_addr (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += dst_addr: unsigned long + dst_addr (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = len (u64), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += len: unsigned long + len (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = engine (u32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += engine: unsigned long + engine (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = flags (u64), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 7 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += flags: unsigned long + flags (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("migrate(src=%llu, dst=%llu, src_addr=%llu, dst_addr=%llu, len=%llu, engine=%llu, flags=%llu)\n", -56, 7),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}
