package asm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

func TestFieldLoadStore(t *testing.T) {
	for _, f := range []Field{
		{Struct: "s", Member: "u8", Offset: 3, Size: 1},
		{Struct: "s", Member: "u16", Offset: 6, Size: 2},
		{Struct: "s", Member: "u32", Offset: 1444, Size: 4, Writable: true},
		{Struct: "s", Member: "s32", Offset: 8, Size: 4, Signed: true},
		{Struct: "s", Member: "s64", Offset: 16, Size: 8, Signed: true},
	} {
		insns := f.Load(asm.R3, asm.R2)
		ld := insns[0]
		if ld.OpCode != asm.LoadMemOp(memSize(f.Size)) || ld.Dst != asm.R3 || ld.Src != asm.R2 || int(ld.Offset) != f.Offset {
			t.Errorf("%s: load %v", f, ld)
		}
		if g, ok := FieldOf(ld); !ok || g != f {
			t.Errorf("%s: metadata %+v, %v", f, g, ok)
		}
		wantSX := f.Signed && f.Size < 8
		if (len(insns) == 2) != wantSX {
			t.Errorf("%s: %d instructions, sign extension wanted: %v", f, len(insns), wantSX)
		}
		if !f.Writable {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "only read") {
						t.Errorf("%s: Store of a read-only field: %v", f, r)
					}
				}()
				f.Store(asm.R2, asm.R3)
			}()
			continue
		}
		st := f.Store(asm.R6, asm.R4)[0]
		if st.OpCode != asm.StoreMemOp(memSize(f.Size)) || st.Dst != asm.R6 || st.Src != asm.R4 || int(st.Offset) != f.Offset {
			t.Errorf("%s: store %v", f, st)
		}
		if g, ok := FieldOf(st); !ok || g != f {
			t.Errorf("%s: store metadata %+v", f, g)
		}
	}
}

// TestIfNotNull: the jump skips exactly the body's slots (an ld_imm64
// takes two).
func TestIfNotNull(t *testing.T) {
	body := Seq(String(asm.R1, "x"), asm.Instructions{asm.Mov.Imm(asm.R0, 1)})
	insns := IfNotNull(asm.R2, body)
	j := insns[0]
	if j.OpCode != asm.JEq.Op(asm.ImmSource) || j.Dst != asm.R2 || j.Constant != 0 || j.Offset != 3 {
		t.Fatalf("jump %v, want if r2 == 0 skip 3 slots", j)
	}
	if len(insns) != 1+len(body) {
		t.Fatalf("%d instructions", len(insns))
	}
}

func TestKfunc(t *testing.T) {
	ins := Kfunc("tcp_reno_cong_avoid")[0]
	if !ins.IsKfuncCall() || ins.Constant != -1 {
		t.Fatalf("%v is not an unresolved kfunc call", ins)
	}
	if n, ok := KfuncOf(ins); !ok || n != "tcp_reno_cong_avoid" {
		t.Fatalf("KfuncOf = %q, %v", n, ok)
	}
	if _, ok := KfuncOf(asm.FnTracePrintk.Call()); ok {
		t.Fatal("a helper call is not a kfunc")
	}
}
