package widthsops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct widths_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// SetBool implements void set_bool(bool on, _Bool raw):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func SetBool() asm.Instructions {
	s := SetBoolSig
	return sasm.Seq(
		// count this call of set_bool
		Calls.Count("set_bool"),
		// r3 = on (bool), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = raw (bool), extended to 64 bits
		s.Arg(asm.R4, 1),
		sasm.Printk("set_bool(on=%llu, raw=%llu)\n", asm.R3, asm.R4),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// IsReady implements bool is_ready(int id):
// it printks its name and integer arguments and returns whether the sum of its integer arguments is not zero.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func IsReady() asm.Instructions {
	s := IsReadySig
	return sasm.Seq(
		// count this call of is_ready
		Calls.Count("is_ready"),
		// r3 = id (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = id: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("is_ready(id=%lld)\n", asm.R3),
		// return whether the sum of its integer arguments is not zero
		s.Ret(asm.R6),
	)
}

// GetChar implements char get_char(char c, signed char sc, unsigned char uc):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u8.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func GetChar() asm.Instructions {
	s := GetCharSig
	return sasm.Seq(
		// count this call of get_char
		Calls.Count("get_char"),
		// r3 = c (u8), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = sc (s8), extended to 64 bits
		s.Arg(asm.R4, 1),
		// r5 = uc (u8), extended to 64 bits
		s.Arg(asm.R5, 2),
		asm.Instructions{
			// r6 = c: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += sc: int + sc (s8) is int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.S32),
		// r6 += uc: int + uc (u8) is int
		sasm.AddAs(asm.R6, asm.R5, sasm.S32, sasm.S32),
		sasm.Printk("get_char(c=%llu, sc=%lld, uc=%llu)\n", asm.R3, asm.R4, asm.R5),
		// return the sum of its integer arguments, converted to u8
		s.Ret(asm.R6),
	)
}

// Shorts implements short shorts(short s, unsigned short us):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s16.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Shorts() asm.Instructions {
	s := ShortsSig
	return sasm.Seq(
		// count this call of shorts
		Calls.Count("shorts"),
		// r3 = s (s16), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = us (u16), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = s: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += us: int + us (u16) is int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.S32),
		sasm.Printk("shorts(s=%lld, us=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to s16
		s.Ret(asm.R6),
	)
}

// Ints implements unsigned int ints(int i, unsigned int ui, unsigned int u):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Ints() asm.Instructions {
	s := IntsSig
	return sasm.Seq(
		// count this call of ints
		Calls.Count("ints"),
		// r3 = i (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = ui (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		// r5 = u (u32), extended to 64 bits
		s.Arg(asm.R5, 2),
		asm.Instructions{
			// r6 = i: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += ui: int + ui (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.U32),
		// r6 += u: unsigned int + u (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R5, sasm.U32, sasm.U32),
		sasm.Printk("ints(i=%lld, ui=%llu, u=%llu)\n", asm.R3, asm.R4, asm.R5),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}

// Longs implements long longs(long l, unsigned long ul):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Longs() asm.Instructions {
	s := LongsSig
	return sasm.Seq(
		// count this call of longs
		Calls.Count("longs"),
		// r3 = l (s64), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = ul (u64), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = l: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += ul: long + ul (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.S64, sasm.U64),
		sasm.Printk("longs(l=%lld, ul=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// LongLongs implements unsigned long long long_longs(long long ll, unsigned long long ull):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func LongLongs() asm.Instructions {
	s := LongLongsSig
	return sasm.Seq(
		// count this call of long_longs
		Calls.Count("long_longs"),
		// r3 = ll (s64), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = ull (u64), extended to 64 bits
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = ll: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += ull: long + ull (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.S64, sasm.U64),
		sasm.Printk("long_longs(ll=%lld, ull=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// KernelU implements s32 kernel_u(u8 a, u16 b, u32 c, u64 d):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func KernelU() asm.Instructions {
	s := KernelUSig
	return sasm.Seq(
		// count this call of kernel_u
		Calls.Count("kernel_u"),
		// r2 = a (u8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = a: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = b (u16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += b: int + b (u16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = c (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += c: int + c (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U32),
		// r2 = d (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += d: unsigned int + d (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U64),
		sasm.PrintkStack("kernel_u(a=%llu, b=%llu, c=%llu, d=%llu)\n", -32, 4),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// KernelS implements s32 kernel_s(s8 e, s16 f, s32 g, s64 h):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func KernelS() asm.Instructions {
	s := KernelSSig
	return sasm.Seq(
		// count this call of kernel_s
		Calls.Count("kernel_s"),
		// r2 = e (s8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = e: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = f (s16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += f: int + f (s16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = g (s32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += g: int + g (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = h (s64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += h: int + h (s64) is long
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S64),
		sasm.PrintkStack("kernel_s(e=%lld, f=%lld, g=%lld, h=%lld)\n", -32, 4),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// UapiU implements __u64 uapi_u(__u8 a, __u16 b, __u32 c, __u64 d):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func UapiU() asm.Instructions {
	s := UapiUSig
	return sasm.Seq(
		// count this call of uapi_u
		Calls.Count("uapi_u"),
		// r2 = a (u8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = a: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = b (u16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += b: int + b (u16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = c (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += c: int + c (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U32),
		// r2 = d (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += d: unsigned int + d (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U64),
		sasm.PrintkStack("uapi_u(a=%llu, b=%llu, c=%llu, d=%llu)\n", -32, 4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// UapiS implements __u64 uapi_s(__s8 e, __s16 f, __s32 g, __s64 h):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func UapiS() asm.Instructions {
	s := UapiSSig
	return sasm.Seq(
		// count this call of uapi_s
		Calls.Count("uapi_s"),
		// r2 = e (s8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = e: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = f (s16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += f: int + f (s16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = g (s32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += g: int + g (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = h (s64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += h: int + h (s64) is long
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S64),
		sasm.PrintkStack("uapi_s(e=%lld, f=%lld, g=%lld, h=%lld)\n", -32, 4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// FixedS implements uint64_t fixed_s(int8_t a, int16_t b, int32_t c, int64_t d):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func FixedS() asm.Instructions {
	s := FixedSSig
	return sasm.Seq(
		// count this call of fixed_s
		Calls.Count("fixed_s"),
		// r2 = a (s8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = a: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = b (s16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += b: int + b (s16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = c (s32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += c: int + c (s32) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = d (s64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += d: int + d (s64) is long
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S64),
		sasm.PrintkStack("fixed_s(a=%lld, b=%lld, c=%lld, d=%lld)\n", -32, 4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// FixedU implements uint64_t fixed_u(uint8_t e, uint16_t f, uint32_t g, uint64_t h):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func FixedU() asm.Instructions {
	s := FixedUSig
	return sasm.Seq(
		// count this call of fixed_u
		Calls.Count("fixed_u"),
		// r2 = e (u8), extended to 64 bits
		s.Arg(asm.R2, 0),
		asm.Instructions{
			// value 1 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
			// r6 = e: the running sum
			asm.Mov.Reg(asm.R6, asm.R2),
		},
		// r2 = f (u16), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 2 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r6 += f: int + f (u16) is int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.S32),
		// r2 = g (u32), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 3 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r6 += g: int + g (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R2, sasm.S32, sasm.U32),
		// r2 = h (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 4 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		// r6 += h: unsigned int + h (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R2, sasm.U32, sasm.U64),
		sasm.PrintkStack("fixed_u(e=%llu, f=%llu, g=%llu, h=%llu)\n", -32, 4),
		// return the sum of its integer arguments, converted to u64
		s.Ret(asm.R6),
	)
}

// Done implements void done(void):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Done() asm.Instructions {
	s := DoneSig
	return sasm.Seq(
		// count this call of done
		Calls.Count("done"),
		sasm.Printk("done called\n"),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}
