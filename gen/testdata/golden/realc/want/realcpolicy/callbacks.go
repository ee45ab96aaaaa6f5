package realcpolicy

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct realc_policy,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Io implements ssize_t io(loff_t pos, size_t len, pid_t pid, uid_t uid, gfp_t gfp):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Io() asm.Instructions {
	s := IoSig
	return sasm.Seq(
		// count this call of io
		Calls.Count("io"),
		// r2 = pos (s64), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
			// r6 = pos: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = len (u64), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += len: long + len (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.S64, sasm.U64),
		// r2 = pid (s32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += pid: unsigned long + pid (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = uid (u32), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += uid: unsigned long + uid (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = gfp (u32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += gfp: unsigned long + gfp (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("io(pos=%lld, len=%llu, pid=%lld, uid=%llu, gfp=%llu)\n", -40, 5),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// Mode implements int mode(enum realc_mode mode, enum realc_level level, realc_kind_t kind):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Mode() asm.Instructions {
	s := ModeSig
	return sasm.Seq(
		// count this call of mode
		Calls.Count("mode"),
		// r3 = mode (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = level (s32), extended to 64 bits
		s.Arg(asm.R4, 1),
		// r5 = kind (u32), extended to 64 bits
		s.Arg(asm.R5, 2),
		asm.Instructions{
			// r6 = mode: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += level: unsigned int + level (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U32),
		// r6 += kind: unsigned int + kind (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R5, sasm.U32, sasm.U32),
		sasm.Printk("mode(mode=%llu, level=%lld, kind=%llu)\n", asm.R3, asm.R4, asm.R5),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Flags implements u64 flags(enum realc_flags f, u32 arg1):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Flags() asm.Instructions {
	s := FlagsSig
	return sasm.Seq(
		// count this call of flags
		Calls.Count("flags"),
		// r3 = f (u64), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = arg1 (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = f: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += arg1: unsigned long + arg1 (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U64, sasm.U64),
		sasm.Printk("flags(f=%llu, arg1=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Pair implements void pair(int arg0, int arg1):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Pair() asm.Instructions {
	s := PairSig
	return sasm.Seq(
		// count this call of pair
		Calls.Count("pair"),
		// r3 = arg0 (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = arg1 (s32), extended to 64 bits
		s.Arg(asm.R4, 1),
		sasm.Printk("pair(arg0=%lld, arg1=%lld)\n", asm.R3, asm.R4),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// Fill implements int fill(void *buf, u64 *out, const void *arg2, size_t len):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Fill() asm.Instructions {
	s := FillSig
	return sasm.Seq(
		// count this call of fill
		Calls.Count("fill"),
		// r3 = len (u64), extended to 64 bits
		s.Arg(asm.R3, 3),
		asm.Instructions{
			// r6 = len: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("fill(len=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Data implements int data(u8 *buf, u32 offset):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Data() asm.Instructions {
	s := DataSig
	return sasm.Seq(
		// count this call of data
		Calls.Count("data"),
		// r3 = offset (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = offset: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("data(offset=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
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

// Timeout implements u32 timeout(u32 *ticks):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Timeout() asm.Instructions {
	s := TimeoutSig
	return sasm.Seq(
		// count this call of timeout
		Calls.Count("timeout"),
		sasm.Printk("timeout called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// Gfp implements gfp_t gfp(gfp_t in, __be32 addr):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Gfp() asm.Instructions {
	s := GfpSig
	return sasm.Seq(
		// count this call of gfp
		Calls.Count("gfp"),
		// r3 = in (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = addr (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = in: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += addr: unsigned int + addr (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U32),
		sasm.Printk("gfp(in=%llu, addr=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}

// Fault implements int fault(const realc_fault_t *fault, u32 flags):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Fault() asm.Instructions {
	s := FaultSig
	return sasm.Seq(
		// count this call of fault
		Calls.Count("fault"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = flags (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = flags: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("fault(flags=%llu)\n", asm.R3),
		// r8 = fault (realc_fault_t *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when fault is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if fault != NULL: r3 = fault->engine
		sasm.IfNotNull(asm.R8, RealcFaultTEngine.Load(asm.R3, asm.R8)),
		// r6 += fault->engine: unsigned int + fault->engine (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when fault is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if fault != NULL: r3 = fault->addr
		sasm.IfNotNull(asm.R8, RealcFaultTAddr.Load(asm.R3, asm.R8)),
		// r6 += fault->addr: unsigned int + fault->addr (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// Prefetch implements int prefetch(realc_range_t range, u64 *out_bytes, gfp_t gfp):
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

// FenceDone implements bool fence_done(struct realc_fence fence, u32 arg1):
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
