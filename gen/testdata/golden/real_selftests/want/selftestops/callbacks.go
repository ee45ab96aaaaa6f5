package selftestops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct selftest_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Test1 implements int test_1(void):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test1() asm.Instructions {
	s := Test1Sig
	return sasm.Seq(
		// count this call of test_1
		Calls.Count("test_1"),
		sasm.Printk("test_1 called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// Test2 implements void test_2(int arg0, int arg1):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test2() asm.Instructions {
	s := Test2Sig
	return sasm.Seq(
		// count this call of test_2
		Calls.Count("test_2"),
		// r3 = arg0 (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = arg1 (s32), extended to 64 bits
		s.Arg(asm.R4, 1),
		sasm.Printk("test_2(arg0=%lld, arg1=%lld)\n", asm.R3, asm.R4),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// TestMaybeNull implements int test_maybe_null(int dummy, struct task_struct *task):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestMaybeNull() asm.Instructions {
	s := TestMaybeNullSig
	return sasm.Seq(
		// count this call of test_maybe_null
		Calls.Count("test_maybe_null"),
		// r3 = dummy (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = dummy: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("test_maybe_null(dummy=%lld)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// TestRead implements int test_read(struct selftest_read_ctx *ctx, u32 flags):
// it printks its name and integer arguments and returns the sum of its integer arguments and of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestRead() asm.Instructions {
	s := TestReadSig
	return sasm.Seq(
		// count this call of test_read
		Calls.Count("test_read"),
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
		sasm.Printk("test_read(flags=%llu)\n", asm.R3),
		// r8 = ctx (struct selftest_read_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->off
		sasm.IfNotNull(asm.R8, SelftestReadCtxOff.Load(asm.R3, asm.R8)),
		// r6 += ctx->off: unsigned int + ctx->off (s64) is long
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.S64),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->len
		sasm.IfNotNull(asm.R8, SelftestReadCtxLen.Load(asm.R3, asm.R8)),
		// r6 += ctx->len: long + ctx->len (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.S64, sasm.U64),
		// return the sum of its integer arguments and of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// TestWritable implements int test_writable(struct selftest_writable_ctx *ctx):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestWritable() asm.Instructions {
	s := TestWritableSig
	return sasm.Seq(
		// count this call of test_writable
		Calls.Count("test_writable"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("test_writable called\n"),
		// r8 = ctx (struct selftest_writable_ctx *)
		s.ArgFrom(asm.R8, asm.R7, 0),
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->early_ret
		sasm.IfNotNull(asm.R8, SelftestWritableCtxEarlyRet.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = ctx->early_ret: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		asm.Instructions{
			// r3 = 0, the field's value when ctx is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if ctx != NULL: r3 = ctx->val
		sasm.IfNotNull(asm.R8, SelftestWritableCtxVal.Load(asm.R3, asm.R8)),
		// r6 += ctx->val: int + ctx->val (s32) is int
		sasm.AddAs(asm.R6, asm.R3, sasm.S32, sasm.S32),
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// TestOut implements int test_out(u64 *out, size_t len, loff_t pos):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestOut() asm.Instructions {
	s := TestOutSig
	return sasm.Seq(
		// count this call of test_out
		Calls.Count("test_out"),
		// r3 = len (u64), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = pos (s64), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = len: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += pos: unsigned long + pos (s64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.U64, sasm.U64),
		sasm.Printk("test_out(len=%llu, pos=%lld)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// TestSize implements ssize_t test_size(pid_t pid, uid_t uid, gfp_t gfp):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func TestSize() asm.Instructions {
	s := TestSizeSig
	return sasm.Seq(
		// count this call of test_size
		Calls.Count("test_size"),
		// r3 = pid (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		// r4 = uid (u32), extended to 64 bits
		s.Arg(asm.R4, 1),
		// r5 = gfp (u32), extended to 64 bits
		s.Arg(asm.R5, 2),
		asm.Instructions{
			// r6 = pid: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += uid: int + uid (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.U32),
		// r6 += gfp: unsigned int + gfp (u32) is unsigned int
		sasm.AddAs(asm.R6, asm.R5, sasm.U32, sasm.U32),
		sasm.Printk("test_size(pid=%lld, uid=%llu, gfp=%llu)\n", asm.R3, asm.R4, asm.R5),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// Tramp1 implements int tramp_1(int value):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Tramp1() asm.Instructions {
	s := Tramp1Sig
	return sasm.Seq(
		// count this call of tramp_1
		Calls.Count("tramp_1"),
		// r3 = value (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = value: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("tramp_1(value=%lld)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Tramp2 implements int tramp_2(int value):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Tramp2() asm.Instructions {
	s := Tramp2Sig
	return sasm.Seq(
		// count this call of tramp_2
		Calls.Count("tramp_2"),
		// r3 = value (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = value: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("tramp_2(value=%lld)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}
