package asm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

var weight = sasm.KfuncSig{Name: "q_weight", Module: "q", Return: sasm.S64, Args: []sasm.Type{sasm.S32, sasm.U8, sasm.Ptr}}

// run interprets the register moves of a kfunc call and returns R1..R5 as
// the kfunc would see them, given the registers' values before.
func moveRegs(t *testing.T, insns asm.Instructions, regs map[asm.Register]int64) map[asm.Register]int64 {
	t.Helper()
	for _, ins := range insns[:len(insns)-1] {
		switch {
		case ins.OpCode == asm.Mov.Op(asm.RegSource):
			regs[ins.Dst] = regs[ins.Src]
		case ins.OpCode == asm.Mov.Op(asm.ImmSource):
			regs[ins.Dst] = ins.Constant
		case ins.OpCode.IsDWordLoad():
			regs[ins.Dst] = ins.Constant
		default:
			t.Fatalf("unexpected instruction %v", ins)
		}
	}
	last := insns[len(insns)-1]
	if name, ok := sasm.KfuncOf(last); !ok || name != "q_weight" {
		t.Fatalf("last instruction %v is not the kfunc call", last)
	}
	if sig, ok := sasm.KfuncSigOf(last); !ok || sig.Module != "q" {
		t.Fatalf("the call does not carry its signature: %+v %v", sig, ok)
	}
	return regs
}

func TestKfuncCallMoves(t *testing.T) {
	// a cycle (R1 <- R2 <- R1) beside a constant: the values arrive
	before := map[asm.Register]int64{asm.R1: 10, asm.R2: 20}
	got := moveRegs(t, weight.Call(asm.R2, asm.R1, 0), before)
	if got[asm.R1] != 20 || got[asm.R2] != 10 || got[asm.R3] != 0 {
		t.Errorf("R1..R3 = %d %d %d, want 20 10 0", got[asm.R1], got[asm.R2], got[asm.R3])
	}
	// registers outside R1..R5 and in place
	got = moveRegs(t, weight.Call(asm.R6, asm.R2, asm.R3), map[asm.Register]int64{asm.R6: 6, asm.R2: 2, asm.R3: 3})
	if got[asm.R1] != 6 || got[asm.R2] != 2 || got[asm.R3] != 3 {
		t.Errorf("R1..R3 = %d %d %d, want 6 2 3", got[asm.R1], got[asm.R2], got[asm.R3])
	}
}

// TestKfuncCallMisuse: a wrong count or a constant that does not fit is
// reported by Build naming the callback and the line of the call.
func TestKfuncCallMisuse(t *testing.T) {
	for _, c := range []struct {
		build func() asm.Instructions
		want  string
	}{
		{func() asm.Instructions { return weight.Call(asm.R1, asm.R2) }, "kfunc q_weight takes 3 arguments (s64 q_weight(s32, u8, ptr)), got 2"},
		{func() asm.Instructions { return weight.Call(asm.R1, 256, 0) }, "kfunc q_weight: argument 2: 256 does not fit its type u8"},
		{func() asm.Instructions { return weight.Call(asm.R1, 1, 8) }, "kfunc q_weight: argument 3: 8 does not fit its type ptr"},
		{func() asm.Instructions { return weight.Call("x", 1, 0) }, "kfunc q_weight: argument 1: string is neither a register nor an integer constant"},
	} {

		_, err := bpf.Build(map[string]func() asm.Instructions{"tick": c.build})
		var me *sasm.MisuseError
		if !errors.As(err, &me) {
			t.Fatalf("%s: got %v, want a misuse error", c.want, err)
		}
		if me.Callback != "tick" || !strings.Contains(me.Msg, c.want) {
			t.Errorf("got %q (callback %q, %v), want %q in tick", me.Msg, me.Callback, me.Pos, c.want)
		}
		if !strings.Contains(err.Error(), "kfunc_test.go:") {
			t.Errorf("%v does not name the line", err)
		}
	}
}
