package asm

import (
	"github.com/cilium/ebpf/asm"
)

// Field is an integer field of a kernel struct that a program reads (or
// writes) through a struct pointer argument (PTR_TO_BTF_ID). structops-gen
// resolves it from BTF at generation time and emits it as a constant in the
// generated package; Load and Store put it on the instruction's Metadata so
// that the loader (package bpf) checks Offset and Size again against the
// running kernel's BTF and refuses a layout change with a clear error
// instead of reading the wrong bytes.
type Field struct {
	Struct string // the struct's name: "tcp_sock"
	Member string // the member path below it: "snd_cwnd"
	Offset int    // bytes from the start of the struct
	Size   int    // 1, 2, 4 or 8
	Signed bool
	// Writable says the ops type's btf_struct_access lets its programs
	// store to the field (tcp_congestion_ops: snd_cwnd, snd_ssthresh, ...).
	Writable bool
}

func (f Field) String() string { return f.Struct + "." + f.Member }

// fieldMeta is the Metadata key of the Field an instruction accesses.
type fieldMeta struct{}

// FieldOf returns the Field a Load or Store instruction accesses.
func FieldOf(ins asm.Instruction) (Field, bool) {
	f, ok := ins.Metadata.Get(fieldMeta{}).(Field)
	return f, ok
}

func (f Field) check(what string, ptr asm.Register) {
	if f.Size != 1 && f.Size != 2 && f.Size != 4 && f.Size != 8 {
		misuse("", "%s %s: size %d, want 1, 2, 4 or 8", what, f, f.Size)
	}
	if f.Offset < 0 || f.Offset > 1<<15-1 {
		misuse("", "%s %s: offset %d does not fit an instruction's 16-bit offset", what, f, f.Offset)
	}
	if ptr == asm.RFP {
		misuse("", "%s %s: the pointer cannot be the frame pointer R10", what, f)
	}
}

// Load sets dst to the field of the struct ptr points at, extended to 64
// bits according to its signedness. ptr must be a non-NULL struct pointer
// argument (check a __nullable one with IfNotNull first).
func (f Field) Load(dst, ptr asm.Register) asm.Instructions {
	f.check("Load", ptr)
	if dst == asm.RFP {
		misuse("", "Load %s: the destination cannot be R10", f)
	}
	// dst = *(u8/u16/u32/u64 *)(ptr + offset): a zero-extending load
	ins := asm.LoadMem(dst, ptr, int16(f.Offset), memSize(f.Size))
	ins.Metadata.Set(fieldMeta{}, f)
	insns := asm.Instructions{ins}
	if f.Signed && f.Size < 8 {
		op := map[int]asm.ALUOp{1: asm.MovSX8, 2: asm.MovSX16, 4: asm.MovSX32}[f.Size]
		insns = append(insns, op.Reg(dst, dst)) // dst = (s8/s16/s32)dst, sign-extended
	}
	return at(insns)
}

// Store writes the low Size bytes of src to the field of the struct ptr
// points at. It panics unless the field is Writable: the verifier would
// refuse the store ("only read is supported").
func (f Field) Store(ptr, src asm.Register) asm.Instructions {
	f.check("Store", ptr)
	if !f.Writable {
		misuse("", "Store %s: the kernel lets struct_ops programs of this type only read it (see its btf_struct_access)", f)
	}
	// *(u8/u16/u32/u64 *)(ptr + offset) = src
	ins := asm.StoreMem(ptr, int16(f.Offset), src, memSize(f.Size))
	ins.Metadata.Set(fieldMeta{}, f)
	return at(asm.Instructions{ins})
}

// IfNotNull runs body only when ptr is not NULL: a jump over body when ptr
// == 0. The verifier requires it before a __nullable argument is
// dereferenced. body must not jump out of itself by offset.
func IfNotNull(ptr asm.Register, body asm.Instructions) asm.Instructions {
	slots := 0
	for _, ins := range body {
		slots += int(ins.Size() / asm.InstructionSize)
	}
	if slots > 1<<15-1 {
		misuse("", "IfNotNull: body of %d slots is too long to jump over", slots)
	}
	// if ptr == NULL skip the body
	return append(at(asm.Instructions{jumpImm(asm.JEq, ptr, 0, int16(slots))}), body...)
}

// kfuncMeta is the Metadata key of the kfunc a call instruction calls.
type kfuncMeta struct{}

// Kfunc calls the kernel function name (a kfunc the program type may call,
// e.g. tcp_reno_cong_avoid for tcp_congestion_ops), with its arguments in
// R1..R5; the result is in R0 and R1..R5 are clobbered.
//
// The call is a BPF_PSEUDO_KFUNC_CALL whose BTF id is unknown until load:
// cilium/ebpf resolves kfuncs only for ELF objects (through an unexported
// Metadata key), so the name rides on the instruction's Metadata and
// package bpf's Load sets the id from the running kernel's BTF: the
// kfunc of that exact name in the struct_ops type's module, vmlinux or
// another loaded module (a module's kfunc gets its module's BTF in the
// program's fd_array, the call's Offset naming the slot).
func Kfunc(name string) asm.Instructions {
	if name == "" {
		misuse("", "Kfunc: empty name")
	}
	ins := asm.Instruction{
		OpCode:   asm.OpCode(asm.JumpClass).SetJumpOp(asm.Call),
		Src:      asm.PseudoKfuncCall,
		Constant: -1, // the kfunc's BTF id, set at load time
	}
	ins.Metadata.Set(kfuncMeta{}, name)
	return at(asm.Instructions{ins})
}

// KfuncOf returns the name of the kfunc a Kfunc instruction calls.
func KfuncOf(ins asm.Instruction) (string, bool) {
	s, ok := ins.Metadata.Get(kfuncMeta{}).(string)
	return s, ok
}
