// Package asm is the struct_ops layer over github.com/cilium/ebpf/asm that
// generated BPF programs are written against.
//
// A struct_ops program runs with R1 pointing at its ctx: an array of u64, one
// slot per argument of the callback. Sig knows the C width and signedness of
// every argument and of the return value, so generated code can load an
// argument or return a value with the right conversion in as few
// instructions as clang's -O2 output uses. String, Printk, PrintkStack,
// ZeroStack and ProbeReadKernel cover what the generated bodies need;
// Link collects the strings of a set of programs into one read-only .rodata
// map. NewMap, NewRingBuf and NewCallCounts declare BPF maps; their methods
// build the instructions that use them (map.go, counts.go).
//
// Every helper records on the instructions it returns where the user's Go
// code called it (PosOf), so that a verifier refusal names that line, and
// panics with a *MisuseError on a programming error (an argument index out
// of range, a register that cannot be used, an invalid type), which package
// bpf's Build turns into an error naming the callback and the line.
//
// Generated code imports this package as sasm next to cilium's asm.
package asm

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// Kind classifies a C type as far as a callback's argument or return value
// is concerned.
type Kind int

// The kinds of Type. They are prefixed with Kind because the plain names
// (Void, Bool, Ptr) are the ready-made Type values below.
const (
	KindVoid Kind = iota // void (return values only)
	KindBool             // bool / _Bool: 1 byte, 0 or 1
	KindInt              // char and the integer types, 1, 2, 4 or 8 bytes
	KindPtr              // any pointer: 8 bytes
	// KindRecord is a struct or union passed by value, 1 to 16 bytes:
	// it takes (size+7)/8 slots of the ctx (arguments only).
	KindRecord
)

func (k Kind) String() string {
	switch k {
	case KindVoid:
		return "void"
	case KindBool:
		return "bool"
	case KindInt:
		return "int"
	case KindPtr:
		return "ptr"
	case KindRecord:
		return "record"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Type is the C type of a callback argument or return value.
type Type struct {
	Kind   Kind
	Size   int  // bytes: 0 for void, 1 for bool, 1/2/4/8 for ints, 8 for pointers
	Signed bool // KindInt only
}

// The types a callback signature is made of.
var (
	Void = Type{Kind: KindVoid}
	Bool = Type{Kind: KindBool, Size: 1}
	S8   = Type{Kind: KindInt, Size: 1, Signed: true}
	S16  = Type{Kind: KindInt, Size: 2, Signed: true}
	S32  = Type{Kind: KindInt, Size: 4, Signed: true}
	S64  = Type{Kind: KindInt, Size: 8, Signed: true}
	U8   = Type{Kind: KindInt, Size: 1}
	U16  = Type{Kind: KindInt, Size: 2}
	U32  = Type{Kind: KindInt, Size: 4}
	U64  = Type{Kind: KindInt, Size: 8}
	Ptr  = Type{Kind: KindPtr, Size: 8}
)

// Record is the type of a struct or union of size bytes passed by value.
func Record(size int) Type { return Type{Kind: KindRecord, Size: size} }

// slots is how many 8-byte ctx slots an argument of type t takes.
func (t Type) slots() int {
	if t.Kind == KindRecord {
		return (t.Size + 7) / 8
	}
	return 1
}

func (t Type) String() string {
	switch t.Kind {
	case KindInt:
		if t.Signed {
			return fmt.Sprintf("s%d", t.Size*8)
		}
		return fmt.Sprintf("u%d", t.Size*8)
	case KindVoid, KindBool, KindPtr:
		return t.Kind.String()
	case KindRecord:
		return fmt.Sprintf("record%d", t.Size)
	}
	return fmt.Sprintf("Type{%d %d %v}", int(t.Kind), t.Size, t.Signed)
}

// check panics unless t is one of the shapes this package can load and
// return.
func (t Type) check(what string) {
	ok := false
	switch t.Kind {
	case KindVoid:
		ok = t.Size == 0 && !t.Signed
	case KindBool:
		ok = t.Size == 1 && !t.Signed
	case KindInt:
		ok = t.Size == 1 || t.Size == 2 || t.Size == 4 || t.Size == 8
	case KindPtr:
		ok = t.Size == 8 && !t.Signed
	case KindRecord:
		ok = t.Size >= 1 && t.Size <= 16 && !t.Signed
	}
	if !ok {
		misuse("", "%s: invalid type %s", what, t)
	}
}

// memSize is the load size of a 1, 2, 4 or 8 byte value.
func memSize(n int) asm.Size {
	switch n {
	case 1:
		return asm.Byte
	case 2:
		return asm.Half
	case 4:
		return asm.Word
	}
	return asm.DWord
}

// Sig is a callback signature. R1 holds the ctx, an array of u64, one slot
// per argument (two for a struct of 9 to 16 bytes passed by value), so
// argument n is at offset 8 * (the slots of the arguments before it).
type Sig struct {
	Name   string // the callback (ops member) name, for messages
	Return Type
	Args   []Type
}

// Arg loads argument n from the ctx in R1 into dst. See ArgFrom.
func (s Sig) Arg(dst asm.Register, n int) asm.Instructions {
	return s.ArgFrom(dst, asm.R1, n)
}

// ArgFrom loads argument n from the ctx in register ctx into dst, extended
// to 64 bits according to its C type, in one instruction:
//
//   - pointers and 8-byte integers: an 8-byte load (the verifier only accepts
//     size 8 for a pointer argument; it becomes PTR_TO_BTF_ID or a scalar);
//   - unsigned integers and bool: a 1, 2 or 4-byte load of the slot's low
//     bytes, which zero-extends (the verifier accepts narrow loads at offset
//     8*n since off % size == 0);
//   - signed integers: a 1, 2 or 4-byte sign-extending load (BPF_MEMSX,
//     kernel >= 6.6), so garbage in the slot's upper bits never leaks into
//     the value.
//
// It panics if n is out of range or ctx is the frame pointer.
func (s Sig) ArgFrom(dst, ctx asm.Register, n int) asm.Instructions {
	if n < 0 || n >= len(s.Args) {
		misuse(s.Name, "argument %d out of range (%d arguments)", n, len(s.Args))
	}
	if ctx == asm.RFP || dst == asm.RFP {
		misuse(s.Name, "argument %d: the frame pointer R10 cannot be the ctx or the destination", n)
	}
	t := s.Args[n]
	t.check(fmt.Sprintf("%s argument %d", s.Name, n))
	off := int16(8 * s.Slot(n))
	switch {
	case t.Kind == KindVoid:
		misuse(s.Name, "argument %d is void", n)
	case t.Kind == KindRecord:
		misuse(s.Name, "argument %d is a struct passed by value: read its fields with ArgField", n)
	case t.Size == 8:
		// dst = *(u64 *)(ctx + 8n): pointer or 64-bit integer
		return at(asm.Instructions{asm.LoadMem(dst, ctx, off, asm.DWord)})
	case t.Signed:
		// dst = *(s8/s16/s32 *)(ctx + 8n), sign-extended to 64 bits
		return at(asm.Instructions{asm.LoadMemSX(dst, ctx, off, memSize(t.Size))})
	}
	// dst = *(u8/u16/u32 *)(ctx + 8n), zero-extended to 64 bits
	return at(asm.Instructions{asm.LoadMem(dst, ctx, off, memSize(t.Size))})
}

// Slot is the index of argument n's first 8-byte slot in the ctx: the
// slots the arguments before it take.
func (s Sig) Slot(n int) int {
	slot := 0
	for i := 0; i < n && i < len(s.Args); i++ {
		slot += s.Args[i].slots()
	}
	return slot
}

// Slots is how many ctx slots the arguments take.
func (s Sig) Slots() int { return s.Slot(len(s.Args)) }

// ArgField loads the field at byte offset off (size bytes, signed or not)
// of argument n, a struct passed by value, from the ctx in R1 into dst,
// extended to 64 bits. A field at the start of a slot is one narrow load;
// one inside a slot (a u32 at offset 4) is the slot's 8-byte load, shifted
// left and then right to its bits, sign- or zero-extending: the verifier
// refuses a ctx load at an offset that is not a multiple of 8
// (btf_ctx_access: "offset 12 is not multiple of 8").
func (s Sig) ArgField(dst asm.Register, n, off, size int, signed bool) asm.Instructions {
	if n < 0 || n >= len(s.Args) {
		misuse(s.Name, "argument %d out of range (%d arguments)", n, len(s.Args))
	}
	t := s.Args[n]
	t.check(fmt.Sprintf("%s argument %d", s.Name, n))
	if t.Kind != KindRecord {
		misuse(s.Name, "argument %d is %s, not a struct passed by value: read it with Arg", n, t)
	}
	if size != 1 && size != 2 && size != 4 && size != 8 || off < 0 || off+size > t.Size || off%size != 0 {
		misuse(s.Name, "argument %d: a %d-byte field at offset %d of a %d-byte struct: want 1, 2, 4 or 8 bytes at a multiple of the size, inside the struct", n, size, off, t.Size)
	}
	o := int16(8*s.Slot(n) + off)
	if in := off % 8; in != 0 {
		shr := asm.RSh
		if signed {
			shr = asm.ArSh
		}
		return at(asm.Instructions{
			asm.LoadMem(dst, asm.R1, o-int16(in), asm.DWord),
			asm.LSh.Imm(dst, int32(64-8*(in+size))),
			shr.Imm(dst, int32(64-8*size)),
		})
	}
	if signed && size < 8 {
		return at(asm.Instructions{asm.LoadMemSX(dst, asm.R1, o, memSize(size))})
	}
	return at(asm.Instructions{asm.LoadMem(dst, asm.R1, o, memSize(size))})
}

// Ret sets R0 to src converted to the return type and exits:
//
//   - 8-byte integers: r0 = src (nothing if src is R0);
//   - 1, 2 and 4-byte integers: truncated and sign- or zero-extended to 64
//     bits (MovSX8/16/32 for signed, 32-bit mov or an and mask for unsigned);
//   - bool: 1 if src != 0, else 0;
//   - void and pointers: 0 (a struct_ops program cannot hand back a pointer).
func (s Sig) Ret(src asm.Register) asm.Instructions {
	t := s.Return
	t.check(s.Name + " return type")
	var insns asm.Instructions
	switch {
	case t.Kind == KindVoid || t.Kind == KindPtr:
		insns = asm.Instructions{asm.Mov.Imm(asm.R0, 0)} // r0 = 0
	case t.Kind == KindBool:
		if src != asm.R0 {
			insns = append(insns, asm.Mov.Reg(asm.R0, src)) // r0 = src
		}
		insns = append(insns,
			jumpImm(asm.JEq, asm.R0, 0, 1), // if r0 == 0 return 0
			asm.Mov.Imm(asm.R0, 1),         // else r0 = 1
		)
	case t.Size == 8:
		if src != asm.R0 {
			insns = asm.Instructions{asm.Mov.Reg(asm.R0, src)} // r0 = src
		}
	case t.Signed:
		// r0 = (s8/s16/s32)src, sign-extended to 64 bits
		op := map[int]asm.ALUOp{1: asm.MovSX8, 2: asm.MovSX16, 4: asm.MovSX32}[t.Size]
		insns = asm.Instructions{op.Reg(asm.R0, src)}
	case t.Size == 4:
		insns = asm.Instructions{asm.Mov.Reg32(asm.R0, src)} // w0 = w_src: upper 32 bits zeroed
	default:
		if src != asm.R0 {
			insns = append(insns, asm.Mov.Reg32(asm.R0, src)) // w0 = w_src
		}
		mask := int32(0xff)
		if t.Size == 2 {
			mask = 0xffff
		}
		insns = append(insns, asm.And.Imm32(asm.R0, mask)) // w0 &= 0xff / 0xffff: zero-extend the low bytes
	}
	return at(append(insns, asm.Return()))
}

// Exit returns from a callback that returns void, leaving R0 as it is:
// the verifier reads no return value of a void struct_ops callback, so
// this is the one exit instruction clang emits. It panics for other
// return types (use Ret or RetImm).
func (s Sig) Exit() asm.Instructions {
	if s.Return.Kind != KindVoid {
		misuse(s.Name, "Exit: the callback returns %s, not void: return a value with Ret or RetImm", s.Return)
	}
	return at(asm.Instructions{asm.Return()})
}

// RetImm sets R0 to v converted to the return type at generation time (see
// Ret) and exits. A value that fits 32 bits costs one instruction, a wider
// one a 64-bit immediate load.
func (s Sig) RetImm(v int64) asm.Instructions {
	t := s.Return
	t.check(s.Name + " return type")
	v = convert(t, v)
	return at(append(movImm(asm.R0, v), asm.Return()))
}

// convert applies the C conversion to type t to v.
func convert(t Type, v int64) int64 {
	switch {
	case t.Kind == KindVoid || t.Kind == KindPtr:
		return 0
	case t.Kind == KindBool:
		if v != 0 {
			return 1
		}
		return 0
	case t.Size == 8:
		return v
	}
	bits := uint(64 - 8*t.Size)
	if t.Signed {
		return v << bits >> bits // arithmetic shift: sign-extend
	}
	return int64(uint64(v) << bits >> bits) // logical shift: zero-extend
}

// movImm sets dst to the 64-bit value v in as few instructions as possible.
func movImm(dst asm.Register, v int64) asm.Instructions {
	switch {
	case v == int64(int32(v)):
		// dst = imm32, sign-extended by the 64-bit mov
		return asm.Instructions{asm.Mov.Imm(dst, int32(v))}
	case v == int64(uint32(v)):
		// wdst = imm32: a 32-bit mov zero-extends
		return asm.Instructions{asm.Mov.Imm32(dst, int32(uint32(v)))}
	}
	// dst = imm64 (ld_imm64, two slots)
	return asm.Instructions{asm.LoadImm(dst, v, asm.DWord)}
}

// jumpImm is a conditional jump over the next off instructions, with an
// explicit offset, so fragments need no labels that could clash with the
// caller's.
func jumpImm(op asm.JumpOp, dst asm.Register, imm int32, off int16) asm.Instruction {
	return asm.Instruction{OpCode: op.Op(asm.ImmSource), Dst: dst, Offset: off, Constant: int64(imm)}
}
