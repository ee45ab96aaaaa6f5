package asm_test

// The three callback bodies of the tutorial's struct_ops.bpf.c, written
// against this package the way the generator emits them for the default
// spec
//
//	struct bpf_testmod_ops {
//		int (*test_1)(void);
//		int (*test_2)(int a, int b);
//		int (*test_3)(const char *buf, int len);
//	};

import (
	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
)

var (
	sigTest1 = sasm.Sig{Name: "test_1", Return: sasm.S32}
	sigTest2 = sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32}}
	sigTest3 = sasm.Sig{Name: "test_3", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr, sasm.S32}}
)

// test1 is
//
//	int test_1(void) { bpf_printk("BPF test_1 called!\n"); return 42; }
func test1(s sasm.Sig) asm.Instructions {
	return sasm.Seq(
		sasm.Printk("BPF test_1 called!\n"),
		s.RetImm(42),
	)
}

// test2 is
//
//	int test_2(int a, int b) {
//		int result = a + b;
//		bpf_printk("BPF test_2 called: %d + %d = %d\n", a, b, result);
//		return result;
//	}
func test2(s sasm.Sig) asm.Instructions { return test2At(s, 0, 1) }

// test2At is test2 with a and b at argument indexes ia and ib, so the body
// can be verified against a kernel callback that has other arguments first.
func test2At(s sasm.Sig, ia, ib int) asm.Instructions {
	return sasm.Seq(
		s.Arg(asm.R3, ia), // r3 = a
		s.Arg(asm.R4, ib), // r4 = b
		asm.Instructions{
			asm.Mov.Reg(asm.R6, asm.R3), // r6 = a (callee-saved: survives the printk)
			asm.Add.Reg(asm.R6, asm.R4), // r6 = a + b (Ret truncates to int)
		},
		sasm.Printk("BPF test_2 called: %d + %d = %d\n", asm.R3, asm.R4, asm.R6),
		s.Ret(asm.R6),
	)
}

// test3 is
//
//	int test_3(const char *buf, int len) {
//		char read_buf[64] = {0};
//		int read_len = len < sizeof(read_buf) ? len : sizeof(read_buf) - 1;
//		bpf_printk("BPF test_3 called with buffer length %d\n", len);
//		if (buf && read_len > 0) {
//			long ret = bpf_probe_read_kernel(read_buf, read_len, buf);
//			if (ret == 0) {
//				bpf_printk("Buffer content: '%c%c%c%c'\n", read_buf[0], read_buf[1], read_buf[2], read_buf[3]);
//				bpf_printk("Full buffer: %s\n", read_buf);
//			} else {
//				bpf_printk("Failed to read buffer, ret=%ld\n", ret);
//			}
//		}
//		return len;
//	}
//
// Stack: read_buf at fp-64..fp-1, the four %c values at fp-96..fp-65.
func test3(s sasm.Sig) asm.Instructions {
	return sasm.Seq(
		s.Arg(asm.R6, 0),        // r6 = buf
		s.Arg(asm.R7, 1),        // r7 = len
		sasm.ZeroStack(-64, 64), // char read_buf[64] = {0}
		sasm.Printk("BPF test_3 called with buffer length %d\n", asm.R7),
		asm.Instructions{
			asm.JEq.Imm(asm.R6, 0, "out"),                     // if (!buf) goto out
			asm.Mov.Reg(asm.R2, asm.R7),                       // r2 = read_len = len
			asm.JSLT.Imm(asm.R2, 64, "read"),                  // if (len < 64) keep it
			asm.Mov.Imm(asm.R2, 63),                           // else read_len = 63
			asm.JSLT.Imm(asm.R2, 1, "out").WithSymbol("read"), // if (read_len <= 0) goto out
		},
		sasm.ProbeReadKernelReg(-64, asm.R2, asm.R6), // r0 = bpf_probe_read_kernel(read_buf, read_len, buf)
		asm.Instructions{
			asm.JNE.Imm(asm.R0, 0, "failed"), // if (ret != 0) goto failed
			// the four %c values as u64 at fp-96, fp-88, fp-80, fp-72
			asm.LoadMem(asm.R1, asm.RFP, -64, asm.Byte),
			asm.StoreMem(asm.RFP, -96, asm.R1, asm.DWord),
			asm.LoadMem(asm.R1, asm.RFP, -63, asm.Byte),
			asm.StoreMem(asm.RFP, -88, asm.R1, asm.DWord),
			asm.LoadMem(asm.R1, asm.RFP, -62, asm.Byte),
			asm.StoreMem(asm.RFP, -80, asm.R1, asm.DWord),
			asm.LoadMem(asm.R1, asm.RFP, -61, asm.Byte),
			asm.StoreMem(asm.RFP, -72, asm.R1, asm.DWord),
		},
		sasm.PrintkStack("Buffer content: '%c%c%c%c'\n", -96, 4),
		asm.Instructions{
			asm.Mov.Reg(asm.R3, asm.RFP), // r3 = fp
			asm.Add.Imm(asm.R3, -64),     // r3 = read_buf
		},
		sasm.Printk("Full buffer: %s\n", asm.R3),
		asm.Instructions{
			asm.Ja.Label("out"), // goto out
			asm.Mov.Reg(asm.R3, asm.R0).WithSymbol("failed"), // r3 = ret
		},
		sasm.Printk("Failed to read buffer, ret=%ld\n", asm.R3),
		sasm.Label("out", s.Ret(asm.R7)), // return len
	)
}
