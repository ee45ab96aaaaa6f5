package hidlikebpfops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct hidlike_bpf_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// DeviceEvent implements int device_event(struct hidlike_ctx *ctx, enum hidlike_report_type report_type, u64 source):
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
		// r3 = report_type (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = source (u64), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = report_type: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += source: unsigned int + source (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U64),
		sasm.Printk("device_event(report_type=%llu, source=%llu)\n", asm.R3, asm.R4),
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// RdescFixup implements int rdesc_fixup(struct hidlike_ctx *ctx):
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
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = ctx->index: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned int + ctx->allocated_size (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned int + ctx->report_type (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned int + ctx->retval (s32) is unsigned int
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U32),
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// HwRequest implements int hw_request(struct hidlike_ctx *ctx, unsigned char reportnum, enum hidlike_report_type rtype, enum hidlike_class_request reqtype, u64 source):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
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
		// r2 = reportnum (u8), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = reportnum: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = rtype (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += rtype: int + rtype (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U32),
		// r2 = reqtype (u32), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += reqtype: unsigned int + reqtype (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = source (u64), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += source: unsigned int + source (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U64),
		sasm.PrintkStack("hw_request(reportnum=%llu, rtype=%llu, reqtype=%llu, source=%llu)\n", -32, 4),
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// HwOutputReport implements int hw_output_report(struct hidlike_ctx *ctx, u64 source):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func HwOutputReport() asm.Instructions {
	s := HwOutputReportSig
	return sasm.Seq(
		// count this call of hw_output_report
		Calls.Count("hw_output_report"),
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
		sasm.Printk("hw_output_report(source=%llu)\n", asm.R3),
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// RawRequest implements int raw_request(struct hidlike_ctx *ctx, unsigned char reportnum, __u8 *buf, size_t len, enum hidlike_report_type rtype, enum hidlike_class_request reqtype, u64 source, bool from_bpf):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func RawRequest() asm.Instructions {
	s := RawRequestSig
	return sasm.Seq(
		// count this call of raw_request
		Calls.Count("raw_request"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r2 = reportnum (u8), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 1 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
			// r6 = reportnum: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = len (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 2 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += len: int + len (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U64),
		// r2 = rtype (u32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 3 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += rtype: unsigned long + rtype (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = reqtype (u32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 4 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += reqtype: unsigned long + reqtype (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = source (u64), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 5 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += source: unsigned long + source (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = from_bpf (bool), extended to 64 bits
		s.Arg(asm.R2, 7),
		asm.Instructions{
			// value 6 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += from_bpf: unsigned long + from_bpf (bool) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("raw_request(reportnum=%llu, len=%llu, rtype=%llu, reqtype=%llu, source=%llu, from_bpf=%llu)\n", -48, 6),
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// GetData implements int get_data(struct hidlike_ctx *ctx, unsigned int offset, u8 *buf, size_t arg3):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func GetData() asm.Instructions {
	s := GetDataSig
	return sasm.Seq(
		// count this call of get_data
		Calls.Count("get_data"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r3 = offset (u32), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = arg3 (u64), extended to 64 bits
		s.Arg(asm.R4, 3),
		asm.Instructions{
			// r6 = offset: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += arg3: unsigned int + arg3 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U32, sasm.U64),
		sasm.Printk("get_data(offset=%llu, arg3=%llu)\n", asm.R3, asm.R4),
		// r8 = ctx (struct hidlike_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->index
		sasm.IfNotNull(asm.R8, HidlikeCtxIndex.Load(asm.R3, asm.R8)),
		// r6 += ctx->index: unsigned long + ctx->index (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->allocated_size
		sasm.IfNotNull(asm.R8, HidlikeCtxAllocatedSize.Load(asm.R3, asm.R8)),
		// r6 += ctx->allocated_size: unsigned long + ctx->allocated_size (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->report_type
		sasm.IfNotNull(asm.R8, HidlikeCtxReportType.Load(asm.R3, asm.R8)),
		// r6 += ctx->report_type: unsigned long + ctx->report_type (u32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->retval
		sasm.IfNotNull(asm.R8, HidlikeCtxRetval.Load(asm.R3, asm.R8)),
		// r6 += ctx->retval: unsigned long + ctx->retval (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}
