package hidctxops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct hidctx_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// DeviceEvent implements int device_event(struct hidctx_ctx *ctx, u64 source):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func DeviceEvent() asm.Instructions {
	s := DeviceEventSig
	return sasm.Seq(
		// count this call of device_event
		Calls.Count("device_event"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = source (u64), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = source: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("device_event(source=%llu)\n", asm.R3),
		// r8 = ctx (struct hidctx_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidctxCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidctxCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidctxCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidctxCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.start
		sasm.IfNotNull(asm.R8, HidctxCtxRangeStart.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.start: unsigned long + ctx->range.start (u16) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.len
		sasm.IfNotNull(asm.R8, HidctxCtxRangeLen.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.len: unsigned long + ctx->range.len (u16) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->flags
		sasm.IfNotNull(asm.R8, HidctxCtxFlags.Load(asm.R3, asm.R8)),
		// r6 += ctx->flags: unsigned long + ctx->flags (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// RdescFixup implements int rdesc_fixup(struct hidctx_ctx *ctx):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func RdescFixup() asm.Instructions {
	s := RdescFixupSig
	return sasm.Seq(
		// count this call of rdesc_fixup
		Calls.Count("rdesc_fixup"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("rdesc_fixup called\n"),
		// r8 = ctx (struct hidctx_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidctxCtxIndex.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = ctx->index: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidctxCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned int + ctx->allocated_size (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidctxCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned int + ctx->report_type (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidctxCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned int + ctx->retval (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.start
		sasm.IfNotNull(asm.R8, HidctxCtxRangeStart.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.start: unsigned int + ctx->range.start (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.len
		sasm.IfNotNull(asm.R8, HidctxCtxRangeLen.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.len: unsigned int + ctx->range.len (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->flags
		sasm.IfNotNull(asm.R8, HidctxCtxFlags.Load(asm.R3, asm.R8)),
		// r6 += ctx->flags: unsigned int + ctx->flags (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// HwRequest implements s64 hw_request(struct hidctx_ctx *ctx, u8 reportnum, s32 skew):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func HwRequest() asm.Instructions {
	s := HwRequestSig
	return sasm.Seq(
		// count this call of hw_request
		Calls.Count("hw_request"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = reportnum (u8), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = skew (s32), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = reportnum: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += skew: int + skew (s32) is int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.S32),
		sasm.Printk("hw_request(reportnum=%llu, skew=%lld)\n", asm.R3, asm.R4),
		// r8 = ctx (struct hidctx_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidctxCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: int + ctx->index (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.S32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidctxCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned int + ctx->allocated_size (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidctxCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned int + ctx->report_type (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidctxCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned int + ctx->retval (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.start
		sasm.IfNotNull(asm.R8, HidctxCtxRangeStart.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.start: unsigned int + ctx->range.start (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.len
		sasm.IfNotNull(asm.R8, HidctxCtxRangeLen.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.len: unsigned int + ctx->range.len (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->flags
		sasm.IfNotNull(asm.R8, HidctxCtxFlags.Load(asm.R3, asm.R8)),
		// r6 += ctx->flags: unsigned int + ctx->flags (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s64
		s.Ret(asm.R6),
	)
}

// Report implements u32 report(struct hidctx_ctx *ctx, u32 n):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Report() asm.Instructions {
	s := ReportSig
	return sasm.Seq(
		// count this call of report
		Calls.Count("report"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = n (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = n: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("report(n=%llu)\n", asm.R3),
		// r8 = ctx (struct hidctx_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidctxCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned int + ctx->index (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidctxCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned int + ctx->allocated_size (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidctxCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned int + ctx->report_type (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidctxCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned int + ctx->retval (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.start
		sasm.IfNotNull(asm.R8, HidctxCtxRangeStart.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.start: unsigned int + ctx->range.start (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->range.len
		sasm.IfNotNull(asm.R8, HidctxCtxRangeLen.Load(asm.R3, asm.R8)),
		// r6 += ctx->range.len: unsigned int + ctx->range.len (u16) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->flags
		sasm.IfNotNull(asm.R8, HidctxCtxFlags.Load(asm.R3, asm.R8)),
		// r6 += ctx->flags: unsigned int + ctx->flags (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to u32
		s.Ret(asm.R6),
	)
}

// Stamp implements u64 stamp(u32 cpu, s32 skew):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Stamp() asm.Instructions {
	s := StampSig
	return sasm.Seq(
		// count this call of stamp
		Calls.Count("stamp"),
		// r3 = cpu (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = skew (s32), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = cpu: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += skew: unsigned int + skew (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U32),
		sasm.Printk("stamp(cpu=%llu, skew=%lld)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}
