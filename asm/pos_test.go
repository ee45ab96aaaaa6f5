package asm_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
)

// here is the file and line of its caller.
func here() (string, int) {
	_, file, line, _ := runtime.Caller(1)
	return file, line
}

func TestPositions(t *testing.T) {
	s := sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32}}
	file, line := here()
	arg := s.Arg(asm.R3, 0)
	printk := sasm.Printk("%d\n", asm.R3)
	plain := asm.Mov.Imm(asm.R0, 0)
	ret := s.Ret(asm.R6)
	for _, c := range []struct {
		what  string
		insns asm.Instructions
		line  int
	}{{"Arg", arg, line + 1}, {"Printk", printk, line + 2}, {"Ret", ret, line + 4}} {
		for i, ins := range c.insns {
			p, ok := sasm.PosOf(ins)
			if !ok || p.File != file || p.Line != c.line || p.Func != "TestPositions" {
				t.Errorf("%s: instruction %d (%v): position %+v, %v; want %s:%d in TestPositions", c.what, i, ins, p, ok, file, c.line)
			}
		}
	}
	if p, ok := sasm.PosOf(plain); ok {
		t.Errorf("a plain cilium/ebpf/asm instruction has position %v", p)
	}
	if got := (sasm.Pos{File: file, Line: 7}).String(); got != "pos_test.go:7" {
		t.Errorf("Pos.String below the working directory = %q, want pos_test.go:7", got)
	}
	if got := (sasm.Pos{File: "/elsewhere/x.go", Line: 7}).String(); got != "/elsewhere/x.go:7" {
		t.Errorf("Pos.String elsewhere = %q", got)
	}
	// WithPos fills in only the instructions without a position
	p := sasm.Pos{File: "/x/callbacks.go", Line: 3, Func: "Test2"}
	got := sasm.WithPos(p, append(asm.Instructions{plain}, arg...))
	if q, _ := sasm.PosOf(got[0]); q != p {
		t.Errorf("WithPos: plain instruction at %v, want %v", q, p)
	}
	if q, _ := sasm.PosOf(got[1]); q.Line != line+1 {
		t.Errorf("WithPos overwrote a helper's position: %v", q)
	}
}

// misuse returns the *MisuseError f panics with, failing if it panics with
// anything else.
func misuse(t *testing.T, f func()) (me *sasm.MisuseError) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.As(err, &me) {
			t.Errorf("panic %v (%T), want a *sasm.MisuseError", r, r)
		}
	}()
	f()
	return nil
}

func TestMisuseError(t *testing.T) {
	s := sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32}}
	_, line := here()
	cases := []struct {
		f        func()
		line     int
		callback string
		msg      string
	}{
		{func() { s.Arg(asm.R4, 5) }, line + 7, "test_2", "argument 5 out of range (2 arguments)"},
		{func() { sasm.Printk("%d", asm.R1) }, line + 8, "", `Printk("%d"): arg 0 is in r1, want one of R3..R9`},
		{func() { sasm.ZeroStack(-8, 16) }, line + 9, "", "ZeroStack: stack range fp-8, 16 bytes, is outside [fp-512, fp)"},
		{func() { sasm.Field{Struct: "s", Member: "m", Size: 4}.Store(asm.R1, asm.R2) }, line + 10, "", "Store s.m: the kernel lets"},
		{func() { sasm.Sig{Name: "x", Return: sasm.Type{Kind: sasm.KindInt, Size: 3}}.RetImm(1) }, line + 11, "", "x return type: invalid type"},
	}
	for _, c := range cases {
		me := misuse(t, c.f)
		if me == nil {
			continue
		}
		if filepath.Base(me.Pos.File) != "pos_test.go" || me.Pos.Line != c.line || me.Callback != c.callback || !strings.HasPrefix(me.Msg, c.msg) {
			t.Errorf("MisuseError %+v; want pos_test.go:%d, callback %q, message %q", *me, c.line, c.callback, c.msg)
		}
		want := fmt.Sprintf("pos_test.go:%d: ", c.line)
		if c.callback != "" {
			want += c.callback + ": "
		}
		if !strings.HasPrefix(me.Error(), want+c.msg) {
			t.Errorf("Error() = %q, want it to start with %q", me.Error(), want+c.msg)
		}
	}
}

// TestSigExit: a void callback returns with the one exit instruction; a
// callback with a value must return it.
func TestSigExit(t *testing.T) {
	v := sasm.Sig{Name: "enqueue", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U64}}
	if insns := v.Exit(); len(insns) != 1 || insns[0].OpCode.JumpOp() != asm.Exit {
		t.Errorf("Exit of a void callback: %v, want one exit", insns)
	}
	s := sasm.Sig{Name: "init", Return: sasm.S32}
	me := misuse(t, func() { s.Exit() })
	if me == nil || me.Callback != "init" || !strings.Contains(me.Msg, "Ret") {
		t.Errorf("Exit of an s32 callback: %v, want a misuse naming init and Ret", me)
	}
}
