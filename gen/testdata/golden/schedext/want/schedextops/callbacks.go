package schedextops

import (
	"github.com/cilium/ebpf/asm"
	sasm "github.com/structops/structops-gen/asm"
)

// This file is yours: structops-gen writes it once and never overwrites it.
// Each function returns the BPF program of one callback of struct sched_ext_ops,
// written with github.com/cilium/ebpf/asm and the struct_ops layer sasm.
// R1 holds the ctx: the callback's arguments as an array of u64.

// The dispatch queue the callbacks share and the constants of include/linux/sched/ext.h
// they use.
const (
	// SharedDSQ is the id of the dispatch queue init creates and enqueue inserts into.
	SharedDSQ = 0
	// SliceDfl is SCX_SLICE_DFL: the default time slice, 20 ms.
	SliceDfl = 20000000
)

// DSQLocal is SCX_DSQ_LOCAL (SCX_DSQ_FLAG_BUILTIN | 2): the local queue of the CPU a task
// is inserted on, as the 64-bit immediate of an ld_imm64.
var DSQLocal int64 = -1<<63 | 2

// ExitInfo is the exit record exit writes (why the kernel disabled the scheduler: kind,
// exit code, reason, message); the loader prints it, and fails with it when the kernel
// ejected the scheduler.
var ExitInfo = sasm.NewExitInfo("uei", sasm.ExitInfoLayout{
	ExitCode: ScxExitInfoExitCode,
	Kind:     ScxExitInfoKind,
	Msg:      ScxExitInfoMsg,
	Reason:   ScxExitInfoReason,
})

// SelectCpu implements s32 select_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags):
// it picks a CPU with the kernel's default idle-CPU selection and, when that CPU is idle,
// inserts the task straight into its local queue with the default slice (enqueue is then
// skipped). Stack: is_idle at fp-8.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func SelectCpu() asm.Instructions {
	s := SelectCpuSig
	return sasm.Seq(
		// count this call of select_cpu
		Calls.Count("select_cpu"),
		// r6 = p
		s.Arg(asm.R6, 0),
		// r2 = prev_cpu
		s.Arg(asm.R2, 1),
		// r3 = wake_flags
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// bool is_idle = false
			asm.StoreImm(asm.RFP, -8, 0, asm.Byte),
			// r1 = p
			asm.Mov.Reg(asm.R1, asm.R6),
			// r4 = &is_idle
			asm.Mov.Reg(asm.R4, asm.RFP),
			asm.Add.Imm(asm.R4, -8),
		},
		// scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle)
		sasm.Kfunc("scx_bpf_select_cpu_dfl"),
		asm.Instructions{
			// r7 = the CPU
			asm.Mov.Reg(asm.R7, asm.R0),
			// if !is_idle return the CPU
			asm.LoadMem(asm.R1, asm.RFP, -8, asm.Byte),
			asm.JEq.Imm(asm.R1, 0, "out"),
			// r1 = p
			asm.Mov.Reg(asm.R1, asm.R6),
			// r2 = SCX_DSQ_LOCAL
			asm.LoadImm(asm.R2, DSQLocal, asm.DWord),
			// r3 = SCX_SLICE_DFL
			asm.Mov.Imm(asm.R3, SliceDfl),
			// r4 = enq_flags 0
			asm.Mov.Imm(asm.R4, 0),
		},
		// scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0)
		sasm.Kfunc("scx_bpf_dsq_insert"),
		// return the CPU
		sasm.Label("out", s.Ret(asm.R7)),
	)
}

// Enqueue implements void enqueue(struct task_struct *p, u64 enq_flags):
// it inserts the task at the tail of the shared queue with the default slice.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Enqueue() asm.Instructions {
	s := EnqueueSig
	return sasm.Seq(
		// count this call of enqueue
		Calls.Count("enqueue"),
		// r4 = enq_flags
		s.Arg(asm.R4, 1),
		// r1 = p (last: it overwrites the ctx in r1)
		s.Arg(asm.R1, 0),
		asm.Instructions{
			// r2 = SharedDSQ
			asm.Mov.Imm(asm.R2, SharedDSQ),
			// r3 = SCX_SLICE_DFL
			asm.Mov.Imm(asm.R3, SliceDfl),
		},
		// scx_bpf_dsq_insert(p, SharedDSQ, SCX_SLICE_DFL, enq_flags)
		sasm.Kfunc("scx_bpf_dsq_insert"),
		// return (void: r0 is not read)
		s.Exit(),
	)
}

// Dispatch implements void dispatch(s32 prev_cpu, struct task_struct *prev):
// it moves the first task of the shared queue to this CPU's local queue.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
func Dispatch() asm.Instructions {
	s := DispatchSig
	return sasm.Seq(
		// count this call of dispatch
		Calls.Count("dispatch"),
		asm.Instructions{
			// r1 = SharedDSQ
			asm.Mov.Imm(asm.R1, SharedDSQ),
		},
		// scx_bpf_dsq_move_to_local(SharedDSQ)
		sasm.Kfunc("scx_bpf_dsq_move_to_local"),
		// return (void: r0 is not read)
		s.Exit(),
	)
}

// Init implements s32 init(void):
// it creates the shared queue on any NUMA node and returns what that returns (0 or -errno:
// an error fails the attach). Sleepable: scx_bpf_create_dsq allocates.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
// The kernel lets it sleep: it is loaded sleepable (BPF_F_SLEEPABLE).
func Init() asm.Instructions {
	s := InitSig
	return sasm.Seq(
		// count this call of init
		Calls.Count("init"),
		asm.Instructions{
			// r1 = SharedDSQ
			asm.Mov.Imm(asm.R1, SharedDSQ),
			// r2 = NUMA_NO_NODE
			asm.Mov.Imm(asm.R2, -1),
		},
		// scx_bpf_create_dsq(SharedDSQ, NUMA_NO_NODE)
		sasm.Kfunc("scx_bpf_create_dsq"),
		// return its result
		s.Ret(asm.R0),
	)
}

// Exit implements void exit(struct scx_exit_info *info):
// it records why the kernel disabled the scheduler (struct scx_exit_info: kind, exit code,
// reason, message) into ExitInfo, which the loader prints.
// First it counts the call in Calls (ops.go), which the loader's --stats prints.
// The kernel lets it sleep: it is loaded sleepable (BPF_F_SLEEPABLE).
func Exit() asm.Instructions {
	s := ExitSig
	return sasm.Seq(
		// count this call of exit
		Calls.Count("exit"),
		ExitInfo.Callback(s),
	)
}
