package asm

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// The string lengths of an ExitRecord (scx's UEI_REASON_LEN, UEI_MSG_LEN).
const (
	ExitReasonLen = 128
	ExitMsgLen    = 1024
)

// ExitRecord is the value of a sched_ext exit-info map (scx's struct
// user_exit_info): what the kernel told the scheduler's exit callback in
// its struct scx_exit_info. Kind stays 0 until exit has run; package bpf
// decodes the record into a bpf.SchedExtExit (Impl.SchedExtExit).
type ExitRecord struct {
	Kind     uint32 // enum scx_exit_kind
	_        uint32
	ExitCode int64
	Reason   [ExitReasonLen]byte // NUL-terminated
	Msg      [ExitMsgLen]byte    // NUL-terminated
}

// ExitInfoLayout are the members of the kernel's struct scx_exit_info that
// ExitInfo.Record reads, with the running kernel's offsets (structops-gen
// takes them from BTF; bpf.Load checks them against the running kernel).
type ExitInfoLayout struct {
	Kind     Field // enum scx_exit_kind kind
	ExitCode Field // s64 exit_code
	Reason   Field // const char *reason
	Msg      Field // char *msg
}

// ExitInfoLayout7 is the layout of struct scx_exit_info in Linux 7.x
// (Debian's 7.3 among them).
var ExitInfoLayout7 = ExitInfoLayout{
	Kind:     Field{Struct: "scx_exit_info", Member: "kind", Offset: 0, Size: 4},
	ExitCode: Field{Struct: "scx_exit_info", Member: "exit_code", Offset: 8, Size: 8, Signed: true},
	Reason:   Field{Struct: "scx_exit_info", Member: "reason", Offset: 24, Size: 8},
	Msg:      Field{Struct: "scx_exit_info", Member: "msg", Offset: 48, Size: 8},
}

// ExitInfo is a single-entry array holding one ExitRecord, which a
// scheduler's exit callback fills in (scx's UEI_DEFINE and UEI_RECORD).
// Declare it next to the callbacks with NewExitInfo, build the exit
// callback with Callback (or Record inside a longer one); package bpf finds
// the map by its value type and the loader prints the record when the
// kernel ejects the scheduler.
type ExitInfo struct {
	*Map[uint32, ExitRecord]
	Layout ExitInfoLayout
}

// NewExitInfo declares the exit-info map name (at most 15 characters; scx
// calls it "uei") reading struct scx_exit_info with layout.
func NewExitInfo(name string, layout ExitInfoLayout) *ExitInfo {
	for _, f := range []Field{layout.Kind, layout.ExitCode, layout.Reason, layout.Msg} {
		f.check("exit info "+name, asm.R1)
	}
	return &ExitInfo{Map: NewMap[uint32, ExitRecord](name, ebpf.Array, 1), Layout: layout}
}

// Record copies the struct scx_exit_info that info points at into the
// map: the reason and message strings (bpf_probe_read_kernel_str, cut to
// the record's lengths), the exit code, and the kind last, so that a
// reader that sees a kind sees the rest too (on x86; scx orders it with a
// compare-and-swap). info must be a callee-saved register (R6..R9); Record
// also uses R7 (R6 when info is R7) for the record and clobbers R0..R5. 15
// instructions, 16 slots.
func (e *ExitInfo) Record(info asm.Register) asm.Instructions {
	if info < asm.R6 || info > asm.R9 {
		misuse("", "exit info %s: Record: the scx_exit_info pointer must be in R6..R9 (helper calls clobber R1..R5), not %s", e.Name, info)
	}
	rec := asm.R7
	if info == asm.R7 {
		rec = asm.R6
	}
	str := func(f Field, off, n int32) asm.Instructions {
		return Seq(
			f.Load(asm.R3, info), // r3 = info->reason / info->msg
			asm.Instructions{
				asm.Mov.Reg(asm.R1, rec),        // r1 = rec
				asm.Add.Imm(asm.R1, off),        // r1 = rec->reason / rec->msg
				asm.Mov.Imm(asm.R2, n),          // r2 = its length
				asm.FnProbeReadKernelStr.Call(), // bpf_probe_read_kernel_str(r1, r2, r3)
			},
		)
	}
	return Seq(
		e.ValuePtr(rec), // rec = &record
		str(e.Layout.Reason, int32(exitReasonOff), ExitReasonLen),
		str(e.Layout.Msg, int32(exitMsgOff), ExitMsgLen),
		e.Layout.ExitCode.Load(asm.R1, info), // r1 = info->exit_code
		e.Field("ExitCode").Store(rec, asm.R1),
		e.Layout.Kind.Load(asm.R1, info), // r1 = info->kind
		e.Field("Kind").Store(rec, asm.R1),
	)
}

// The offsets of the strings in ExitRecord.
const (
	exitReasonOff = 16
	exitMsgOff    = exitReasonOff + ExitReasonLen
)

// Callback is the whole exit callback, void exit(struct scx_exit_info
// *info) of signature s: record the exit information and return. 18
// instructions, 19 slots (clang -O2 makes 22 of scx's UEI_RECORD without
// the dump).
func (e *ExitInfo) Callback(s Sig) asm.Instructions {
	if len(s.Args) != 1 || s.Args[0].Kind != KindPtr {
		misuse(s.Name, "exit info %s: Callback: the exit callback takes one pointer, struct scx_exit_info *", e.Name)
	}
	return Seq(
		s.Arg(asm.R6, 0), // r6 = info
		e.Record(asm.R6),
		s.Ret(asm.R0),
	)
}
