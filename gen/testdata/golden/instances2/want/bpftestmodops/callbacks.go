package bpftestmodops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct bpf_testmod_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Test1 implements int test_1(void):
// it printks and returns 42, as the tutorial's program does.
func Test1() asm.Instructions {
	s := Test1Sig
	return sasm.Seq(
		sasm.Printk("BPF test_1 called!\n"),
		// return 42
		s.RetImm(42),
	)
}

// Test2 implements int test_2(int a, int b):
// it returns a + b and printks the sum, as the tutorial's program does.
func Test2() asm.Instructions {
	s := Test2Sig
	return sasm.Seq(
		// r3 = a
		s.Arg(asm.R3, 0),
		// r4 = b
		s.Arg(asm.R4, 1),
		asm.Instructions{
			// r6 = a (callee-saved: survives the printk)
			asm.Mov.Reg(asm.R6, asm.R3),
			// r6 = a + b (Ret truncates to int)
			asm.Add.Reg(asm.R6, asm.R4),
		},
		sasm.Printk("BPF test_2 called: %d + %d = %d\n", asm.R3, asm.R4, asm.R6),
		// return a + b
		s.Ret(asm.R6),
	)
}

// Test3 implements int test_3(const char *buf, int len):
// it copies at most 63 bytes of buf into a zeroed stack buffer with bpf_probe_read_kernel,
// printks its first 4 chars and the string, and returns len, as the tutorial's program does.
// Stack: read_buf at fp-64..fp-1, the four %c values at fp-96..fp-65.
func Test3() asm.Instructions {
	s := Test3Sig
	return sasm.Seq(
		// r6 = buf
		s.Arg(asm.R6, 0),
		// r7 = len
		s.Arg(asm.R7, 1),
		// char read_buf[64] = {0}
		sasm.ZeroStack(-64, 64),
		sasm.Printk("BPF test_3 called with buffer length %d\n", asm.R7),
		asm.Instructions{
			// if (!buf) goto out
			asm.JEq.Imm(asm.R6, 0, "out"),
			// r2 = read_len = len
			asm.Mov.Reg(asm.R2, asm.R7),
			// if (len < 64) keep it
			asm.JSLT.Imm(asm.R2, 64, "read"),
			// else read_len = 63
			asm.Mov.Imm(asm.R2, 63),
			// if (read_len <= 0) goto out
			asm.JSLT.Imm(asm.R2, 1, "out").WithSymbol("read"),
		},
		// r0 = bpf_probe_read_kernel(read_buf, read_len, buf)
		sasm.ProbeReadKernelReg(-64, asm.R2, asm.R6),
		asm.Instructions{
			// if (ret != 0) goto failed
			asm.JNE.Imm(asm.R0, 0, "failed"),
			// r1 = read_buf[0]
			asm.LoadMem(asm.R1, asm.RFP, -64, asm.Byte),
			// the first %c value, as u64 at fp-96
			asm.StoreMem(asm.RFP, -96, asm.R1, asm.DWord),
			// r1 = read_buf[1]
			asm.LoadMem(asm.R1, asm.RFP, -63, asm.Byte),
			// the second, at fp-88
			asm.StoreMem(asm.RFP, -88, asm.R1, asm.DWord),
			// r1 = read_buf[2]
			asm.LoadMem(asm.R1, asm.RFP, -62, asm.Byte),
			// the third, at fp-80
			asm.StoreMem(asm.RFP, -80, asm.R1, asm.DWord),
			// r1 = read_buf[3]
			asm.LoadMem(asm.R1, asm.RFP, -61, asm.Byte),
			// the fourth, at fp-72
			asm.StoreMem(asm.RFP, -72, asm.R1, asm.DWord),
		},
		sasm.PrintkStack("Buffer content: '%c%c%c%c'\n", -96, 4),
		asm.Instructions{
			// r3 = fp
			asm.Mov.Reg(asm.R3, asm.RFP),
			// r3 = read_buf
			asm.Add.Imm(asm.R3, -64),
		},
		sasm.Printk("Full buffer: %s\n", asm.R3),
		asm.Instructions{
			// goto out
			asm.Ja.Label("out"),
			// r3 = ret
			asm.Mov.Reg(asm.R3, asm.R0).WithSymbol("failed"),
		},
		sasm.Printk("Failed to read buffer, ret=%ld\n", asm.R3),
		// return len
		sasm.Label("out", s.Ret(asm.R7)),
	)
}
