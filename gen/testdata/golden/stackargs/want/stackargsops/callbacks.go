package stackargsops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct stackargs_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Seven implements u64 seven(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Seven() asm.Instructions {
	s := SevenSig
	return sasm.Seq(
		// count this call of seven
		Calls.Count("seven"),
		// r2 = a1 (u64), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-56
			asm.StoreMem(asm.RFP, -56, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (u64), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
		},
		// r6 += a2: unsigned long + a2 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a3 (u64), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a3: unsigned long + a3 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a4 (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a4: unsigned long + a4 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a5 (u64), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a5: unsigned long + a5 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a6 (u64), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a6: unsigned long + a6 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a7 (u64), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 7 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a7: unsigned long + a7 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("seven(a1=%llu, a2=%llu, a3=%llu, a4=%llu, a5=%llu, a6=%llu, a7=%llu)\n", -56, 7),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Twelve implements s64 twelve(s8 a1, u8 a2, s16 a3, u16 a4, s32 a5, u32 a6, s64 a7, u64 a8, s8 a9, u16 a10, s32 a11, u64 a12):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Twelve() asm.Instructions {
	s := TwelveSig
	return sasm.Seq(
		// count this call of twelve
		Calls.Count("twelve"),
		// r2 = a1 (s8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-96
			asm.StoreMem(asm.RFP, -96, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (u8), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-88
			asm.StoreMem(asm.RFP, -88, asm.R2, asm.DWord),
		},
		// r6 += a2: int + a2 (u8) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a3 (s16), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-80
			asm.StoreMem(asm.RFP, -80, asm.R2, asm.DWord),
		},
		// r6 += a3: int + a3 (s16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a4 (u16), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-72
			asm.StoreMem(asm.RFP, -72, asm.R2, asm.DWord),
		},
		// r6 += a4: int + a4 (u16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a5 (s32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-64
			asm.StoreMem(asm.RFP, -64, asm.R2, asm.DWord),
		},
		// r6 += a5: int + a5 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a6 (u32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-56
			asm.StoreMem(asm.RFP, -56, asm.R2, asm.DWord),
		},
		// r6 += a6: int + a6 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U32),
		// r2 = a7 (s64), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 7 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
		},
		// r6 += a7: unsigned int + a7 (s64) is long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.S64),
		// r2 = a8 (u64), extended to 64 bits
		s.Arg(asm.R2, 7),
		asm.Instructions{
			// value 8 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a8: long + a8 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.S64, sasm.U64),
		// r2 = a9 (s8), extended to 64 bits
		s.Arg(asm.R2, 8),
		asm.Instructions{
			// value 9 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a9: unsigned long + a9 (s8) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a10 (u16), extended to 64 bits
		s.Arg(asm.R2, 9),
		asm.Instructions{
			// value 10 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a10: unsigned long + a10 (u16) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a11 (s32), extended to 64 bits
		s.Arg(asm.R2, 10),
		asm.Instructions{
			// value 11 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a11: unsigned long + a11 (s32) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a12 (u64), extended to 64 bits
		s.Arg(asm.R2, 11),
		asm.Instructions{
			// value 12 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a12: unsigned long + a12 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("twelve(a1=%lld, a2=%llu, a3=%lld, a4=%llu, a5=%lld, a6=%llu, a7=%lld, a8=%llu, a9=%lld, a10=%llu, a11=%lld, a12=%llu)\n", -96, 12),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// Eight implements u32 eight(u32 a1, u32 a2, u32 a3, u32 a4, u32 a5, u32 a6, bool a7, s16 a8):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Eight() asm.Instructions {
	s := EightSig
	return sasm.Seq(
		// count this call of eight
		Calls.Count("eight"),
		// r2 = a1 (u32), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-64
			asm.StoreMem(asm.RFP, -64, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (u32), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-56
			asm.StoreMem(asm.RFP, -56, asm.R2, asm.DWord),
		},
		// r6 += a2: unsigned int + a2 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a3 (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
		},
		// r6 += a3: unsigned int + a3 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a4 (u32), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a4: unsigned int + a4 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a5 (u32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a5: unsigned int + a5 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a6 (u32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a6: unsigned int + a6 (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a7 (bool), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 7 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a7: unsigned int + a7 (bool) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		// r2 = a8 (s16), extended to 64 bits
		s.Arg(asm.R2, 7),
		asm.Instructions{
			// value 8 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a8: unsigned int + a8 (s16) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U32),
		sasm.PrintkStack("eight(a1=%llu, a2=%llu, a3=%llu, a4=%llu, a5=%llu, a6=%llu, a7=%llu, a8=%lld)\n", -64, 8),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}

// Six implements int six(int a1, int a2, int a3, int a4, int a5, int a6):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Six() asm.Instructions {
	s := SixSig
	return sasm.Seq(
		// count this call of six
		Calls.Count("six"),
		// r2 = a1 (s32), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (s32), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a2: int + a2 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a3 (s32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a3: int + a3 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a4 (s32), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a4: int + a4 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a5 (s32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a5: int + a5 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = a6 (s32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 6 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a6: int + a6 (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		sasm.PrintkStack("six(a1=%lld, a2=%lld, a3=%lld, a4=%lld, a5=%lld, a6=%lld)\n", -48, 6),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Pair implements u64 pair(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, struct sa_pair p, u64 a7):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its structs' integer fields, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Pair() asm.Instructions {
	s := PairSig
	return sasm.Seq(
		// count this call of pair
		Calls.Count("pair"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		// r2 = a1 (u64), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
			// r6 = a1: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = a2 (u64), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r6 += a2: unsigned long + a2 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a3 (u64), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r6 += a3: unsigned long + a3 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a4 (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += a4: unsigned long + a4 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a5 (u64), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 5 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += a5: unsigned long + a5 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		// r2 = a7 (u64), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 6 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += a7: unsigned long + a7 (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U64, sasm.U64),
		sasm.PrintkStack("pair(a1=%llu, a2=%llu, a3=%llu, a4=%llu, a5=%llu, a7=%llu)\n", -48, 6),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R7),
		},
		// r3 = p.lo (u64 at offset 0)
		s.ArgField(asm.R3, 5, 0, 8, false),
		// r6 += p.lo: unsigned long + p.lo (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// r3 = p.hi (u64 at offset 8)
		s.ArgField(asm.R3, 5, 8, 8, false),
		// r6 += p.hi: unsigned long + p.hi (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its integer arguments and of its structs' integer fields, converted to u64
		s.Ret(asm.R6),
	)
}
