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
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func DeviceEvent() asm.Instructions {
	s := DeviceEventSig
	return sasm.Seq(
		// count this call of device_event
		Calls.Count("device_event"),
		// r3 = source (u64), extended to 64 bits
		s.Arg(asm.R3, 1),
		asm.Instructions{
			// r6 = source: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("device_event(source=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// RdescFixup implements int rdesc_fixup(struct hidctx_ctx *ctx):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func RdescFixup() asm.Instructions {
	s := RdescFixupSig
	return sasm.Seq(
		// count this call of rdesc_fixup
		Calls.Count("rdesc_fixup"),
		sasm.Printk("rdesc_fixup called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// HwRequest implements s64 hw_request(struct hidctx_ctx *ctx, u8 reportnum, s32 skew):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func HwRequest() asm.Instructions {
	s := HwRequestSig
	return sasm.Seq(
		// count this call of hw_request
		Calls.Count("hw_request"),
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
		// r6 = (s64)(int)r6
		sasm.Widen(asm.R6, sasm.S32),
		// return the sum of its integer arguments, converted to s64
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
