package asm

import (
	"fmt"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// KfuncSig is the signature of a kfunc a program calls: what Call checks
// its arguments against while the program is built, and what package
// bpf's Load compares with the kernel's BTF of the kfunc before loading.
// A generated package declares one per kfunc its spec declares, with a
// typed helper that calls it.
type KfuncSig struct {
	Name string
	// Module is the kernel module that exports the kfunc ("" for
	// vmlinux): Load refuses the call when that module's BTF lacks it.
	Module string
	Return Type
	Args   []Type
	// Sleepable: the kfunc may sleep (KF_SLEEPABLE), so only a sleepable
	// program may call it; Load refuses others before the verifier does.
	Sleepable bool
}

func (k KfuncSig) String() string {
	var as []string
	for _, a := range k.Args {
		as = append(as, a.String())
	}
	return fmt.Sprintf("%s %s(%s)", k.Return, k.Name, strings.Join(as, ", "))
}

// kfuncSigMeta is the Metadata key of the KfuncSig a Call instruction was
// built from.
type kfuncSigMeta struct{}

// KfuncSigOf returns the signature a kfunc call was built with (Call);
// false for a plain Kfunc.
func KfuncSigOf(ins asm.Instruction) (KfuncSig, bool) {
	k, ok := ins.Metadata.Get(kfuncSigMeta{}).(KfuncSig)
	return k, ok
}

// Call calls the kfunc: each argument is an asm.Register, moved into R1,
// R2, ... unless it is there already, or an integer constant, which must
// fit the parameter's type (0 only, NULL, for a pointer). The result is
// in R0; R1..R5 are clobbered. A wrong argument count or an argument that
// does not fit is a *MisuseError.
func (k KfuncSig) Call(args ...any) asm.Instructions {
	if k.Name == "" {
		misuse("", "Kfunc: empty name")
	}
	if len(args) != len(k.Args) {
		plural := "s"
		if len(k.Args) == 1 {
			plural = ""
		}
		misuse("", "kfunc %s takes %d argument%s (%s), got %d", k.Name, len(k.Args), plural, k, len(args))
	}
	type move struct{ dst, src asm.Register }
	var moves []move
	var imms asm.Instructions
	for i, a := range args {
		dst := asm.R1 + asm.Register(i)
		t := k.Args[i]
		if r, ok := a.(asm.Register); ok {
			if r > asm.R10 {
				misuse("", "kfunc %s: argument %d: invalid register %v", k.Name, i+1, r)
			}
			if r != dst {
				moves = append(moves, move{dst, r})
			}
			continue
		}
		v, ok := intValue(a)
		if !ok {
			misuse("", "kfunc %s: argument %d: %T is neither a register nor an integer constant", k.Name, i+1, a)
		}
		if !fits(t, v) {
			misuse("", "kfunc %s: argument %d: %v does not fit its type %s", k.Name, i+1, a, t)
		}
		if v >= -1<<31 && v < 1<<31 {
			imms = append(imms, asm.Mov.Imm(dst, int32(v)))
		} else {
			imms = append(imms, asm.LoadImm(dst, v, asm.DWord))
		}
	}
	// the register moves as a parallel move: a move goes first when no
	// other pending move still reads its destination; a cycle goes
	// through R0, which the call overwrites anyway
	var out asm.Instructions
	for len(moves) > 0 {
		progress := false
		for i := 0; i < len(moves); i++ {
			blocked := false
			for j, o := range moves {
				if j != i && o.src == moves[i].dst {
					blocked = true
					break
				}
			}
			if !blocked {
				out = append(out, asm.Mov.Reg(moves[i].dst, moves[i].src))
				moves = append(moves[:i], moves[i+1:]...)
				progress = true
				i--
			}
		}
		if progress {
			continue
		}
		for _, m := range moves {
			if m.src == asm.R0 {
				misuse("", "kfunc %s: the arguments' registers form a cycle and R0 is one of them: pass R0's value in another register", k.Name)
			}
		}
		out = append(out, asm.Mov.Reg(asm.R0, moves[0].src))
		moves[0].src = asm.R0
	}
	out = append(out, imms...)
	call := Kfunc(k.Name)
	call[0].Metadata.Set(kfuncSigMeta{}, k)
	return at(append(out, call...))
}

// intValue converts an integer constant of any Go integer type.
func intValue(a any) (int64, bool) {
	switch v := a.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint:
		if v <= 1<<63-1 {
			return int64(v), true
		}
	case uint64:
		if v <= 1<<63-1 {
			return int64(v), true
		}
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// fits reports whether the constant v is a value of type t.
func fits(t Type, v int64) bool {
	switch t.Kind {
	case KindBool:
		return v == 0 || v == 1
	case KindPtr:
		return v == 0
	case KindInt:
		bits := uint(t.Size * 8)
		if bits == 64 {
			return true
		}
		if t.Signed {
			return v >= -(1<<(bits-1)) && v < 1<<(bits-1)
		}
		return v >= 0 && v < 1<<bits
	}
	return false
}
