package schedlikeops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct sched_like_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// SelectCpu implements s32 select_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags):
// it printks its name and integer arguments and returns the sum of its integer arguments, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func SelectCpu() asm.Instructions {
	s := SelectCpuSig
	return sasm.Seq(
		// count this call of select_cpu
		Calls.Count("select_cpu"),
		// r3 = prev_cpu (s32), extended to 64 bits
		s.Arg(asm.R3, 1),
		// r4 = wake_flags (u64), extended to 64 bits
		s.Arg(asm.R4, 2),
		asm.Instructions{
			// r6 = prev_cpu: the sum lives in a register the call preserves
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// r6 += wake_flags: int + wake_flags (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R4, sasm.S32, sasm.U64),
		sasm.Printk("select_cpu(prev_cpu=%lld, wake_flags=%llu)\n", asm.R3, asm.R4),
		// return the sum of its integer arguments, converted to s32
		s.Ret(asm.R6),
	)
}

// Enqueue implements void enqueue(struct task_struct *p, u64 enq_flags):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Enqueue() asm.Instructions {
	s := EnqueueSig
	return sasm.Seq(
		// count this call of enqueue
		Calls.Count("enqueue"),
		// r3 = enq_flags (u64), extended to 64 bits
		s.Arg(asm.R3, 1),
		sasm.Printk("enqueue(enq_flags=%llu)\n", asm.R3),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// Dispatch implements void dispatch(s32 cpu, struct task_struct *prev):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Dispatch() asm.Instructions {
	s := DispatchSig
	return sasm.Seq(
		// count this call of dispatch
		Calls.Count("dispatch"),
		// r3 = cpu (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		sasm.Printk("dispatch(cpu=%lld)\n", asm.R3),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// Yield implements bool yield(struct task_struct *from, struct task_struct *to):
// it printks its name and integer arguments and returns whether the sum of its integer arguments is not zero.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Yield() asm.Instructions {
	s := YieldSig
	return sasm.Seq(
		// count this call of yield
		Calls.Count("yield"),
		sasm.Printk("yield called\n"),
		// return whether the sum of its integer arguments is not zero
		s.RetImm(0),
	)
}

// CpuAcquire implements void cpu_acquire(s32 cpu, struct sl_cpu_acquire_args *args):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func CpuAcquire() asm.Instructions {
	s := CpuAcquireSig
	return sasm.Seq(
		// count this call of cpu_acquire
		Calls.Count("cpu_acquire"),
		// r3 = cpu (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		sasm.Printk("cpu_acquire(cpu=%lld)\n", asm.R3),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// CpuRelease implements void cpu_release(s32 cpu, struct sl_cpu_release_args *args):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func CpuRelease() asm.Instructions {
	s := CpuReleaseSig
	return sasm.Seq(
		// count this call of cpu_release
		Calls.Count("cpu_release"),
		// r3 = cpu (s32), extended to 64 bits
		s.Arg(asm.R3, 0),
		sasm.Printk("cpu_release(cpu=%lld)\n", asm.R3),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// InitTask implements s32 init_task(struct task_struct *p, struct sl_init_task_args *args):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func InitTask() asm.Instructions {
	s := InitTaskSig
	return sasm.Seq(
		// count this call of init_task
		Calls.Count("init_task"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("init_task called\n"),
		// r8 = args (struct sl_init_task_args *)
		s.ArgFrom(asm.R8, asm.R7, 1),
		asm.Instructions{
			// r3 = 0, the field's value when args is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if args != NULL: r3 = args->fork
		sasm.IfNotNull(asm.R8, SlInitTaskArgsFork.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = args->fork: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// CgroupInit implements s32 cgroup_init(struct cgroup *cgrp, struct sl_cgroup_init_args *args):
// it printks its name and integer arguments and returns the sum of its context structs' integer fields, converted to s32.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func CgroupInit() asm.Instructions {
	s := CgroupInitSig
	return sasm.Seq(
		// count this call of cgroup_init
		Calls.Count("cgroup_init"),
		asm.Instructions{
			// r7 = ctx, kept for after the printk
			asm.Mov.Reg(asm.R7, asm.R1),
		},
		sasm.Printk("cgroup_init called\n"),
		// r8 = args (struct sl_cgroup_init_args *)
		s.ArgFrom(asm.R8, asm.R7, 1),
		asm.Instructions{
			// r3 = 0, the field's value when args is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if args != NULL: r3 = args->weight
		sasm.IfNotNull(asm.R8, SlCgroupInitArgsWeight.Load(asm.R3, asm.R8)),
		asm.Instructions{
			// r6 = args->weight: the sum
			asm.Mov.Reg(asm.R6, asm.R3),
		},
		asm.Instructions{
			// r3 = 0, the field's value when args is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if args != NULL: r3 = args->bw_period_us
		sasm.IfNotNull(asm.R8, SlCgroupInitArgsBwPeriodUs.Load(asm.R3, asm.R8)),
		// r6 += args->bw_period_us: unsigned int + args->bw_period_us (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U32, sasm.U64),
		asm.Instructions{
			// r3 = 0, the field's value when args is NULL
			asm.Mov.Imm(asm.R3, 0),
		},
		// if args != NULL: r3 = args->bw_quota_us
		sasm.IfNotNull(asm.R8, SlCgroupInitArgsBwQuotaUs.Load(asm.R3, asm.R8)),
		// r6 += args->bw_quota_us: unsigned long + args->bw_quota_us (u64) is unsigned long
		sasm.AddAs(asm.R6, asm.R3, sasm.U64, sasm.U64),
		// return the sum of its context structs' integer fields, converted to s32
		s.Ret(asm.R6),
	)
}

// CgroupSetBandwidth implements void cgroup_set_bandwidth(struct cgroup *cgrp, u64 period_us, u64 quota_us, u64 burst_us, u32 weight, s32 nice, bool throttled):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func CgroupSetBandwidth() asm.Instructions {
	s := CgroupSetBandwidthSig
	return sasm.Seq(
		// count this call of cgroup_set_bandwidth
		Calls.Count("cgroup_set_bandwidth"),
		// r2 = period_us (u64), extended to 64 bits
		s.Arg(asm.R2, 1),
		asm.Instructions{
			// value 1 of the printk at fp-48
			asm.StoreMem(asm.RFP, -48, asm.R2, asm.DWord),
		},
		// r2 = quota_us (u64), extended to 64 bits
		s.Arg(asm.R2, 2),
		asm.Instructions{
			// value 2 of the printk at fp-40
			asm.StoreMem(asm.RFP, -40, asm.R2, asm.DWord),
		},
		// r2 = burst_us (u64), extended to 64 bits
		s.Arg(asm.R2, 3),
		asm.Instructions{
			// value 3 of the printk at fp-32
			asm.StoreMem(asm.RFP, -32, asm.R2, asm.DWord),
		},
		// r2 = weight (u32), extended to 64 bits
		s.Arg(asm.R2, 4),
		asm.Instructions{
			// value 4 of the printk at fp-24
			asm.StoreMem(asm.RFP, -24, asm.R2, asm.DWord),
		},
		// r2 = nice (s32), extended to 64 bits
		s.Arg(asm.R2, 5),
		asm.Instructions{
			// value 5 of the printk at fp-16
			asm.StoreMem(asm.RFP, -16, asm.R2, asm.DWord),
		},
		// r2 = throttled (bool), extended to 64 bits
		s.Arg(asm.R2, 6),
		asm.Instructions{
			// value 6 of the printk at fp-8
			asm.StoreMem(asm.RFP, -8, asm.R2, asm.DWord),
		},
		sasm.PrintkStack("cgroup_set_bandwidth(period_us=%llu, quota_us=%llu, burst_us=%llu, weight=%llu, nice=%lld, throttled=%llu)\n", -48, 6),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}

// Init implements s32 init(void):
// it printks its name and integer arguments and returns 0 (it has no integer arguments).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Init() asm.Instructions {
	s := InitSig
	return sasm.Seq(
		// count this call of init
		Calls.Count("init"),
		sasm.Printk("init called\n"),
		// return 0 (it has no integer arguments)
		s.RetImm(0),
	)
}

// Exit implements void exit(struct sl_exit_info *info):
// it printks its name and integer arguments and returns nothing (r0 = 0).
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Exit() asm.Instructions {
	s := ExitSig
	return sasm.Seq(
		// count this call of exit
		Calls.Count("exit"),
		sasm.Printk("exit called\n"),
		// return nothing (r0 = 0)
		s.RetImm(0),
	)
}
