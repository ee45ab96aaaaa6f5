package bpfdummyops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct bpf_dummy_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// Test1 implements int test_1(struct bpf_dummy_ops_state *cb):
// it returns cb->val, converted to s32.
// A NULL struct pointer counts 0.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test1() asm.Instructions {
	s := Test1Sig
	return sasm.Seq(
		// count this call of test_1
		Calls.Count("test_1"),
		asm.Instructions{
			// r0 = 0: the sum
			asm.Mov.Imm(asm.R0, 0),
		},
		// r2 = cb (struct bpf_dummy_ops_state *)
		s.Arg(asm.R2, 0),
		// if cb != NULL (the verifier requires the check: cb is __nullable)
		sasm.IfNotNull(asm.R2, sasm.Seq(
			// r3 = bpf_dummy_ops_state.val
			BpfDummyOpsStateVal.Load(asm.R3, asm.R2),
			asm.Instructions{
				// r0 += cb->val
				asm.Add.Reg(asm.R0, asm.R3),
			},
		)),
		// return cb->val
		s.Ret(asm.R0),
	)
}

// Test2 implements int test_2(struct bpf_dummy_ops_state *cb, int a1, short unsigned int a2, char a3, long unsigned int a4):
// it returns cb->val + a1 + a2 + a3 + a4, converted to s32.
// A NULL struct pointer counts 0.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Test2() asm.Instructions {
	s := Test2Sig
	return sasm.Seq(
		// count this call of test_2
		Calls.Count("test_2"),
		asm.Instructions{
			// r0 = 0: the sum
			asm.Mov.Imm(asm.R0, 0),
		},
		// r2 = cb (struct bpf_dummy_ops_state *)
		s.Arg(asm.R2, 0),
		// if cb != NULL (not __nullable, but the check costs one instruction)
		sasm.IfNotNull(asm.R2, sasm.Seq(
			// r3 = bpf_dummy_ops_state.val
			BpfDummyOpsStateVal.Load(asm.R3, asm.R2),
			asm.Instructions{
				// r0 += cb->val
				asm.Add.Reg(asm.R0, asm.R3),
			},
		)),
		// r2 = a1 (s32)
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// r0 += a1
			asm.Add.Reg(asm.R0, asm.R2),
		},
		// r2 = a2 (u16)
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// r0 += a2
			asm.Add.Reg(asm.R0, asm.R2),
		},
		// r2 = a3 (u8)
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// r0 += a3
			asm.Add.Reg(asm.R0, asm.R2),
		},
		// r2 = a4 (u64)
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// r0 += a4
			asm.Add.Reg(asm.R0, asm.R2),
		},
		// return cb->val + a1 + a2 + a3 + a4
		s.Ret(asm.R0),
	)
}
