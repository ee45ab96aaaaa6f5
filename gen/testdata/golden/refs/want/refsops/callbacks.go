package refsops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct refs_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// OnTask implements int on_task(int prio, struct task_struct *task):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// It releases its __ref argument task with bpf_task_release.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func OnTask() asm.Instructions {
	s := OnTaskSig
	return sasm.Seq(
		// count this call of on_task
		Calls.Count("on_task"),
		asm.Instructions{
			// r6 = ctx, kept across the release calls
			asm.Mov.Reg(asm.R6, asm.R1),
		},
		// r1 = task: a reference the program owns (__ref)
		s.ArgFrom(asm.R1, asm.R6, 1),
		// bpf_task_release(task): released, as the verifier requires
		sasm.Kfunc("bpf_task_release"),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R6),
		},
		// r3 = prio (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = prio: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("on_task(prio=%lld)\n", asm.R3),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// OnCgroup implements s64 on_cgroup(struct cgroup *cgrp, s64 weight, u32 shares):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s64.
// It releases its __ref argument cgrp with bpf_cgroup_release.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func OnCgroup() asm.Instructions {
	s := OnCgroupSig
	return sasm.Seq(
		// count this call of on_cgroup
		Calls.Count("on_cgroup"),
		asm.Instructions{
			// r6 = ctx, kept across the release calls
			asm.Mov.Reg(asm.R6, asm.R1),
		},
		// r1 = cgrp: a reference the program owns (__ref)
		s.ArgFrom(asm.R1, asm.R6, 0),
		// bpf_cgroup_release(cgrp): released, as the verifier requires
		sasm.Kfunc("bpf_cgroup_release"),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R6),
		},
		// r3 = weight (s64), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = shares (u32), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = weight: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += shares: long + shares (u32) is long
		sasm.AddAs(asm.R6, asm.R4, sasm.S64, sasm.S64),
		sasm.Printk("on_cgroup(weight=%lld, shares=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to s64
		s.Ret(asm.R6),
	)
}

// Both implements bool both(struct task_struct *t, struct cgroup *c, u8 flags):
// it printks its name and integer arguments and returns whether the sum of its integer arguments is not zero.
// It releases its __ref arguments: t with bpf_task_release, c with bpf_cgroup_release.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Both() asm.Instructions {
	s := BothSig
	return sasm.Seq(
		// count this call of both
		Calls.Count("both"),
		asm.Instructions{
			// r6 = ctx, kept across the release calls
			asm.Mov.Reg(asm.R6, asm.R1),
		},
		// r1 = t: a reference the program owns (__ref)
		s.ArgFrom(asm.R1, asm.R6, 0),
		// bpf_task_release(t): released, as the verifier requires
		sasm.Kfunc("bpf_task_release"),
		// r1 = c: a reference the program owns (__ref)
		s.ArgFrom(asm.R1, asm.R6, 1),
		// bpf_cgroup_release(c): released, as the verifier requires
		sasm.Kfunc("bpf_cgroup_release"),
		asm.Instructions{
			// r1 = ctx again
			asm.Mov.Reg(asm.R1, asm.R6),
		},
		// r3 = flags (u8), extended to 64 bits
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// r6 = flags: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("both(flags=%llu)\n", asm.R3),
		// return whether the sum of its integer arguments is not zero
		s.Ret(asm.R6),
	)
}

// Plain implements u32 plain(u32 x):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to u32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Plain() asm.Instructions {
	s := PlainSig
	return sasm.Seq(
		// count this call of plain
		Calls.Count("plain"),
		// r3 = x (u32), extended to 64 bits
		s.Arg(asm.R3, 0),
		asm.Instructions{
			// r6 = x: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		sasm.Printk("plain(x=%llu)\n", asm.R3),
		// return the sum of its integer arguments, converted to u32
		s.Ret(asm.R6),
	)
}
