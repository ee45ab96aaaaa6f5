package asm

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// Pos is a position in the Go source a program is built from: where the
// user's code called a helper of this package, or (package bpf's Build)
// the declaration of the function that built a callback's program.
type Pos struct {
	File string // as the Go runtime records it: absolute, or module-relative with -trimpath
	Line int
	Func string // the Go function without its package path: "Test2", "(*T).m", "Test2.func1"
}

// IsValid reports whether p names a file and line.
func (p Pos) IsValid() bool { return p.File != "" && p.Line > 0 }

// String is "file:line", the file relative to the working directory when
// it lies below it (as editors and go vet print positions), "-" if p is
// not valid.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	file := p.File
	if wd, err := os.Getwd(); err == nil && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	return fmt.Sprintf("%s:%d", file, p.Line)
}

// posMeta is the Metadata key of the Pos an instruction was built at.
type posMeta struct{}

// PosOf returns the position in the user's Go source where the helper
// that built ins was called. Instructions built with plain cilium/ebpf/asm
// have none.
func PosOf(ins asm.Instruction) (Pos, bool) {
	p, ok := ins.Metadata.Get(posMeta{}).(Pos)
	return p, ok
}

// WithPos returns a copy of insns in which every instruction without a
// position has pos.
func WithPos(pos Pos, insns asm.Instructions) asm.Instructions {
	out := make(asm.Instructions, len(insns))
	for i, ins := range insns {
		if _, ok := PosOf(ins); !ok {
			ins.Metadata.Set(posMeta{}, pos)
		}
		out[i] = ins
	}
	return out
}

// at records the position of the user's call of the running helper on the
// instructions it built (those of nested helpers have it already).
func at(insns asm.Instructions) asm.Instructions {
	pos := callerPos()
	for i := range insns {
		if _, ok := PosOf(insns[i]); !ok {
			insns[i].Metadata.Set(posMeta{}, pos)
		}
	}
	return insns
}

// pkgPrefix starts the function names of this package (not of its
// external tests, package asm_test).
const pkgPrefix = "github.com/structops/structops-gen/asm."

// callerPos is the innermost frame of the calling goroutine outside this
// package: the user's call of the outermost helper.
func callerPos() Pos {
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, pkgPrefix) || strings.HasSuffix(f.File, "_test.go") {
			return Pos{File: f.File, Line: f.Line, Func: FuncName(f.Function)}
		}
		if !more {
			return Pos{}
		}
	}
}

// FuncName is a Go function's name without its package path:
// "example.com/x/ops.Test2" is "Test2".
func FuncName(full string) string {
	name := full[strings.LastIndexByte(full, '/')+1:]
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// MisuseError is the panic value of a helper of this package called in a
// way that cannot build a correct program (an argument index out of range,
// a register that cannot be used, an invalid type, a stack range outside
// the frame): a mistake in the Go code that builds the program, found
// while building it.
//
// Every helper panics with a *MisuseError through misuse, so that the code
// calling the user's callback functions (package bpf's Build) recovers it
// into an error naming the callback and the user's line:
//
//	callbacks.go:42: test_2: argument 5 out of range (2 arguments)
//
// New helpers follow the convention: check the inputs first and call
// misuse(callback, format, args...) (callback is the Sig.Name when the
// helper knows it, else "").
type MisuseError struct {
	Pos      Pos    // the user's call of the helper
	Callback string // the callback whose program was being built, if known
	Msg      string // what is wrong, in lower case
}

func (e *MisuseError) Error() string {
	msg := e.Msg
	if e.Callback != "" {
		msg = e.Callback + ": " + msg
	}
	if e.Pos.IsValid() {
		msg = e.Pos.String() + ": " + msg
	}
	return msg
}

// misuse panics with a *MisuseError at the user's call of the running
// helper.
func misuse(callback, format string, a ...any) {
	panic(&MisuseError{Pos: callerPos(), Callback: callback, Msg: fmt.Sprintf(format, a...)})
}
