package scxsimple

import (
	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// Name is the scheduler's name in /sys/kernel/sched_ext/root/ops.
const Name = "gosimple"

// Constants of include/linux/sched/ext.h and the scheduler.
const (
	// SharedDSQ is the id of the dispatch queue init creates (scx_simple's
	// SHARED_DSQ).
	SharedDSQ = 0
	// DSQLocal is SCX_DSQ_LOCAL: the local queue of the CPU a task is
	// inserted on (SCX_DSQ_FLAG_BUILTIN | 2).
	DSQLocal uint64 = 1<<63 | 2
	// SliceDfl is SCX_SLICE_DFL: the default time slice, 20 ms.
	SliceDfl = 20_000_000
	// NoNode is NUMA_NO_NODE for scx_bpf_create_dsq.
	NoNode = -1
)

// dsqLocal is DSQLocal as the 64-bit immediate of an ld_imm64.
var dsqLocal int64 = -1<<63 | 2

// Stat indexes of the per-CPU counters in the map "stats".
const (
	StatLocal  = 0 // tasks select_cpu inserted into an idle CPU's local queue
	StatGlobal = 1 // tasks enqueue inserted into the shared queue
	NumStats   = 2
)

// Ops is the part of struct sched_ext_ops this scheduler fills in, with the
// offsets of the 7.3 kernel's layout (cilium/ebpf matches members to the
// running kernel's by name; Load checks each one's size and signature
// there). init, exit and the hotplug and cgroup callbacks are the ones the
// kernel lets sleep; only init needs to (scx_bpf_create_dsq sleeps).
var Ops = &bpf.Ops{
	Name: "sched_ext_ops",
	Size: 512,
	Members: []bpf.Member{
		{Name: "select_cpu", Offset: 0, Size: 8, Func: true, Sig: &SelectCpuSig},
		{Name: "enqueue", Offset: 8, Size: 8, Func: true, Sig: &EnqueueSig},
		{Name: "dispatch", Offset: 24, Size: 8, Func: true, Sig: &DispatchSig},
		{Name: "running", Offset: 48, Size: 8, Func: true, Sig: &RunningSig},
		{Name: "stopping", Offset: 56, Size: 8, Func: true, Sig: &StoppingSig},
		{Name: "enable", Offset: 128, Size: 8, Func: true, Sig: &EnableSig},
		{Name: "init", Offset: 288, Size: 8, Func: true, Sig: &InitSig, Sleepable: true},
		{Name: "exit", Offset: 296, Size: 8, Func: true, Sig: &ExitSig},
		{Name: "dispatch_max_batch", Offset: 304, Size: 4},
		{Name: "flags", Offset: 312, Size: 8},
		{Name: "timeout_ms", Offset: 320, Size: 4},
		{Name: "exit_dump_len", Offset: 324, Size: 4},
		{Name: "name", Offset: 360, Size: 128},
	},
	Data: map[string][]byte{"name": []byte(Name)},
}

// The callbacks' signatures (as structops-gen writes them from the BTF).
var (
	// SelectCpuSig is s32 select_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags).
	SelectCpuSig = sasm.Sig{Name: "select_cpu", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr, sasm.S32, sasm.U64}}
	// EnqueueSig is void enqueue(struct task_struct *p, u64 enq_flags).
	EnqueueSig = sasm.Sig{Name: "enqueue", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U64}}
	// DispatchSig is void dispatch(s32 prev_cpu, struct task_struct *prev__nullable).
	DispatchSig = sasm.Sig{Name: "dispatch", Return: sasm.Void, Args: []sasm.Type{sasm.S32, sasm.Ptr}}
	// RunningSig is void running(struct task_struct *p).
	RunningSig = sasm.Sig{Name: "running", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
	// StoppingSig is void stopping(struct task_struct *p, bool runnable).
	StoppingSig = sasm.Sig{Name: "stopping", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.Bool}}
	// EnableSig is void enable(struct task_struct *p).
	EnableSig = sasm.Sig{Name: "enable", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
	// InitSig is s32 init(void).
	InitSig = sasm.Sig{Name: "init", Return: sasm.S32}
	// ExitSig is void exit(struct scx_exit_info *info).
	ExitSig = sasm.Sig{Name: "exit", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr}}
)

// Kernel struct fields the programs read (offsets of the 7.3 kernel; Load
// checks them against the running kernel's BTF).
var (
	// TaskDsqVtime is task_struct.scx.dsq_vtime (u64): the task's vtime in
	// a vtime-ordered queue. Writable directly on kernels before
	// scx_bpf_task_set_dsq_vtime.
	TaskDsqVtime = sasm.Field{Struct: "task_struct", Member: "scx.dsq_vtime", Offset: 776 + 216, Size: 8, Writable: true}
	// TaskSlice is task_struct.scx.slice (u64): what is left of its slice.
	TaskSlice = sasm.Field{Struct: "task_struct", Member: "scx.slice", Offset: 776 + 208, Size: 8}
	// TaskWeight is task_struct.scx.weight (u32): 100 for nice 0.
	TaskWeight = sasm.Field{Struct: "task_struct", Member: "scx.weight", Offset: 776 + 116, Size: 4}
)

// Kfuncs are the names of the sched_ext kfuncs the programs call, which
// differ between kernels (ProbeKfuncs picks them).
type Kfuncs struct {
	Insert      string // scx_bpf_dsq_insert (6.13+), scx_bpf_dispatch before
	InsertVtime string // scx_bpf_dsq_insert_vtime, scx_bpf_dispatch_vtime
	MoveToLocal string // scx_bpf_dsq_move_to_local, scx_bpf_consume
	// SetDsqVtime is scx_bpf_task_set_dsq_vtime where the kernel has it;
	// "": the programs store p->scx.dsq_vtime directly (older kernels).
	SetDsqVtime string
	SelectCPU   string // scx_bpf_select_cpu_dfl
	CreateDSQ   string // scx_bpf_create_dsq
}

// Kfuncs7 are the names of the 6.13 and later kernels, 7.3 among them.
var Kfuncs7 = Kfuncs{
	Insert:      "scx_bpf_dsq_insert",
	InsertVtime: "scx_bpf_dsq_insert_vtime",
	MoveToLocal: "scx_bpf_dsq_move_to_local",
	SetDsqVtime: "scx_bpf_task_set_dsq_vtime",
	SelectCPU:   "scx_bpf_select_cpu_dfl",
	CreateDSQ:   "scx_bpf_create_dsq",
}

// ProbeKfuncs picks the kfunc names the running kernel has: the 6.13 names
// where present, else the 6.12 ones.
func ProbeKfuncs() (Kfuncs, error) {
	old := Kfuncs{Insert: "scx_bpf_dispatch", InsertVtime: "scx_bpf_dispatch_vtime", MoveToLocal: "scx_bpf_consume"}
	has, err := bpf.KernelFuncs(Kfuncs7.Insert, Kfuncs7.InsertVtime, Kfuncs7.MoveToLocal, Kfuncs7.SetDsqVtime)
	if err != nil {
		return Kfuncs{}, err
	}
	k := Kfuncs7
	if !has[k.Insert] {
		k.Insert = old.Insert
	}
	if !has[k.InsertVtime] {
		k.InsertVtime = old.InsertVtime
	}
	if !has[k.MoveToLocal] {
		k.MoveToLocal = old.MoveToLocal
	}
	if !has[k.SetDsqVtime] {
		k.SetDsqVtime = ""
	}
	return k, nil
}

// Config chooses the scheduler's behaviour, as scx_simple's command line
// does (its fifo_sched is a read-only constant of the BPF object; here it
// decides which instructions are assembled).
type Config struct {
	// FIFO: a global FIFO instead of weighted vtime (scx_simple -f).
	FIFO bool
	// Stall: dispatch never moves a task to a CPU, so tasks in the shared
	// queue never run and the kernel's watchdog ejects the scheduler after
	// timeout_ms: a broken scheduler, for tests.
	Stall bool
	// Kfuncs are the kernel's kfunc names (ProbeKfuncs; zero: Kfuncs7).
	Kfuncs Kfuncs
}

// Programs returns the BPF program of each callback the configuration
// implements, by member name. The FIFO has no running, stopping and enable
// (scx_simple's return at once in FIFO mode).
func Programs(c Config) map[string]asm.Instructions {
	if c.Kfuncs == (Kfuncs{}) {
		c.Kfuncs = Kfuncs7
	}
	progs := map[string]asm.Instructions{
		"select_cpu": SelectCpu(c),
		"enqueue":    Enqueue(c),
		"dispatch":   Dispatch(c),
		"init":       Init(c),
		"exit":       Exit(),
	}
	if !c.FIFO {
		progs["running"] = Running()
		progs["stopping"] = Stopping(c)
		progs["enable"] = Enable(c)
	}
	return progs
}

// statInc adds 1 to this CPU's counter idx of the map "stats"
// (bpf_map_lookup_elem of a per-CPU array returns this CPU's slot).
// Clobbers R0..R5 and the stack word at fp-4.
func statInc(idx int64) asm.Instructions { return StatsMap.Count(idx, -4) }

// SelectCpu implements s32 select_cpu(struct task_struct *p, s32 prev_cpu,
// u64 wake_flags): the kernel's default idle-CPU selection; a task woken
// onto an idle CPU goes straight to its local queue with the default slice.
func SelectCpu(c Config) asm.Instructions {
	s := SelectCpuSig
	return sasm.Seq(
		// r6 = p
		s.Arg(asm.R6, 0),
		// r2 = prev_cpu
		s.Arg(asm.R2, 1),
		// r3 = wake_flags
		s.Arg(asm.R3, 2),
		asm.Instructions{
			// bool is_idle = false, at fp-8
			asm.StoreImm(asm.RFP, -8, 0, asm.Byte),
			// r1 = p
			asm.Mov.Reg(asm.R1, asm.R6),
			// r4 = &is_idle
			asm.Mov.Reg(asm.R4, asm.RFP),
			asm.Add.Imm(asm.R4, -8),
		},
		// r0 = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle)
		sasm.Kfunc(c.Kfuncs.SelectCPU),
		asm.Instructions{
			// r7 = cpu
			asm.Mov.Reg(asm.R7, asm.R0),
			// if !is_idle return cpu
			asm.LoadMem(asm.R1, asm.RFP, -8, asm.Byte),
			asm.JEq.Imm(asm.R1, 0, "out"),
		},
		// stats[local]++
		statInc(StatLocal),
		asm.Instructions{
			// scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0)
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.LoadImm(asm.R2, dsqLocal, asm.DWord),
			asm.Mov.Imm(asm.R3, SliceDfl),
			asm.Mov.Imm(asm.R4, 0),
		},
		sasm.Kfunc(c.Kfuncs.Insert),
		sasm.Label("out", s.Ret(asm.R7)),
	)
}

// Enqueue implements void enqueue(struct task_struct *p, u64 enq_flags):
// into the shared queue, in FIFO order or ordered by vtime, where a task
// that slept long is charged at least vtime_now - one slice (it cannot save
// up more than one slice of budget).
func Enqueue(c Config) asm.Instructions {
	s := EnqueueSig
	insns := sasm.Seq(
		// r6 = p
		s.Arg(asm.R6, 0),
		// r7 = enq_flags
		s.Arg(asm.R7, 1),
		// stats[global]++
		statInc(StatGlobal),
	)
	if c.FIFO {
		return sasm.Seq(insns,
			asm.Instructions{
				// scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags)
				asm.Mov.Reg(asm.R1, asm.R6),
				asm.Mov.Imm(asm.R2, SharedDSQ),
				asm.Mov.Imm(asm.R3, SliceDfl),
				asm.Mov.Reg(asm.R4, asm.R7),
			},
			sasm.Kfunc(c.Kfuncs.Insert),
			s.Ret(asm.R0),
		)
	}
	return sasm.Seq(insns,
		// r8 = p->scx.dsq_vtime
		TaskDsqVtime.Load(asm.R8, asm.R6),
		// r1 = &vtime_now
		VtimeMap.ValuePtr(asm.R1),
		asm.Instructions{
			// r2 = vtime_now - SCX_SLICE_DFL
			asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
			asm.Sub.Imm(asm.R2, SliceDfl),
			// if !time_before(vtime, r2), i.e. (s64)(vtime - r2) >= 0: keep vtime
			asm.Mov.Reg(asm.R3, asm.R8),
			asm.Sub.Reg(asm.R3, asm.R2),
			asm.JSGE.Imm(asm.R3, 0, "insert"),
			// else vtime = vtime_now - SCX_SLICE_DFL
			asm.Mov.Reg(asm.R8, asm.R2),
			// scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime, enq_flags)
			asm.Mov.Reg(asm.R1, asm.R6).WithSymbol("insert"),
			asm.Mov.Imm(asm.R2, SharedDSQ),
			asm.Mov.Imm(asm.R3, SliceDfl),
			asm.Mov.Reg(asm.R4, asm.R8),
			asm.Mov.Reg(asm.R5, asm.R7),
		},
		sasm.Kfunc(c.Kfuncs.InsertVtime),
		s.Ret(asm.R0),
	)
}

// Dispatch implements void dispatch(s32 cpu, struct task_struct *prev):
// move the first task of the shared queue to this CPU's local queue
// (nothing in the Stall configuration).
func Dispatch(c Config) asm.Instructions {
	s := DispatchSig
	if c.Stall {
		return s.Ret(asm.R0)
	}
	return sasm.Seq(
		// scx_bpf_dsq_move_to_local(SHARED_DSQ)
		asm.Instructions{asm.Mov.Imm(asm.R1, SharedDSQ)},
		sasm.Kfunc(c.Kfuncs.MoveToLocal),
		s.Ret(asm.R0),
	)
}

// Running implements void running(struct task_struct *p): the global
// vtime moves forward to the vtime of each task that starts running.
func Running() asm.Instructions {
	s := RunningSig
	return sasm.Seq(
		// r2 = p
		s.Arg(asm.R2, 0),
		// r3 = p->scx.dsq_vtime
		TaskDsqVtime.Load(asm.R3, asm.R2),
		// r1 = &vtime_now
		VtimeMap.ValuePtr(asm.R1),
		asm.Instructions{
			// r4 = vtime_now
			asm.LoadMem(asm.R4, asm.R1, 0, asm.DWord),
			// if !time_before(vtime_now, p's vtime), i.e. (s64)(now - vtime) >= 0: done
			asm.Sub.Reg(asm.R4, asm.R3),
			asm.JSGE.Imm(asm.R4, 0, "out"),
			// vtime_now = p's vtime
			asm.StoreMem(asm.R1, 0, asm.R3, asm.DWord),
		},
		sasm.Label("out", s.Ret(asm.R0)),
	)
}

// Stopping implements void stopping(struct task_struct *p, bool runnable):
// charge the task the time it ran, scaled by the inverse of its weight:
// dsq_vtime += (SCX_SLICE_DFL - slice) * 100 / weight.
func Stopping(c Config) asm.Instructions {
	s := StoppingSig
	return sasm.Seq(
		// r6 = p
		s.Arg(asm.R6, 0),
		// r3 = p->scx.slice, what is left of it
		TaskSlice.Load(asm.R3, asm.R6),
		// r4 = p->scx.weight
		TaskWeight.Load(asm.R4, asm.R6),
		asm.Instructions{
			// r2 = (SCX_SLICE_DFL - slice) * 100 / weight
			asm.Mov.Imm(asm.R2, SliceDfl),
			asm.Sub.Reg(asm.R2, asm.R3),
			asm.Mul.Imm(asm.R2, 100),
			asm.Div.Reg(asm.R2, asm.R4),
		},
		// r3 = p->scx.dsq_vtime
		TaskDsqVtime.Load(asm.R3, asm.R6),
		asm.Instructions{
			// r2 += dsq_vtime
			asm.Add.Reg(asm.R2, asm.R3),
		},
		setVtime(c, asm.R6, asm.R2),
		s.Ret(asm.R0),
	)
}

// Enable implements void enable(struct task_struct *p): a task entering
// the scheduler starts at the current global vtime.
func Enable(c Config) asm.Instructions {
	s := EnableSig
	return sasm.Seq(
		// r6 = p
		s.Arg(asm.R6, 0),
		// r1 = &vtime_now
		VtimeMap.ValuePtr(asm.R1),
		asm.Instructions{
			// r2 = vtime_now
			asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		},
		setVtime(c, asm.R6, asm.R2),
		s.Ret(asm.R0),
	)
}

// setVtime sets p->scx.dsq_vtime = v (p in a callee-saved register, v in
// R2): with scx_bpf_task_set_dsq_vtime(p, v) where the kernel has it (the
// direct store is deprecated there), else directly.
func setVtime(c Config, p, v asm.Register) asm.Instructions {
	if c.Kfuncs.SetDsqVtime == "" {
		return TaskDsqVtime.Store(p, v)
	}
	var insns asm.Instructions
	if v != asm.R2 {
		insns = append(insns, asm.Mov.Reg(asm.R2, v))
	}
	// scx_bpf_task_set_dsq_vtime(p, v)
	insns = append(insns, asm.Mov.Reg(asm.R1, p))
	return append(insns, sasm.Kfunc(c.Kfuncs.SetDsqVtime)...)
}

// Init implements s32 init(void) (sleepable): create the shared queue.
func Init(c Config) asm.Instructions {
	s := InitSig
	return sasm.Seq(
		asm.Instructions{
			// return scx_bpf_create_dsq(SHARED_DSQ, NUMA_NO_NODE)
			asm.Mov.Imm(asm.R1, SharedDSQ),
			asm.Mov.Imm(asm.R2, NoNode),
		},
		sasm.Kfunc(c.Kfuncs.CreateDSQ),
		s.Ret(asm.R0),
	)
}

// Exit implements void exit(struct scx_exit_info *ei): record why the
// scheduler is disabled into the map "uei" (scx's UEI_RECORD): kind, exit
// code, and the reason and message strings (sasm.ExitInfo).
func Exit() asm.Instructions { return ExitMap.Callback(ExitSig) }
