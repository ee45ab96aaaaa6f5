package asm

import (
	"testing"

	"github.com/cilium/ebpf/asm"
)

// AddAs adds in the width of the result type and sign-extends an int sum
// first when the result is 64 bits; Widen does only that. The values they
// compute are checked against C in gen/sum_test.go (TestCSumBPF).
func TestAddAsInstructions(t *testing.T) {
	for _, c := range []struct {
		acc, res Type
		want     asm.Instructions
	}{
		{S32, S32, asm.Instructions{asm.Add.Reg32(asm.R6, asm.R3)}},
		{S32, U32, asm.Instructions{asm.Add.Reg32(asm.R6, asm.R3)}},
		{U32, U32, asm.Instructions{asm.Add.Reg32(asm.R6, asm.R3)}},
		{U32, S64, asm.Instructions{asm.Add.Reg(asm.R6, asm.R3)}},
		{S32, S64, asm.Instructions{asm.MovSX32.Reg(asm.R6, asm.R6), asm.Add.Reg(asm.R6, asm.R3)}},
		{S32, U64, asm.Instructions{asm.MovSX32.Reg(asm.R6, asm.R6), asm.Add.Reg(asm.R6, asm.R3)}},
		{S64, U64, asm.Instructions{asm.Add.Reg(asm.R6, asm.R3)}},
	} {
		got := AddAs(asm.R6, asm.R3, c.acc, c.res)
		if len(got) != len(c.want) {
			t.Errorf("AddAs(%s, %s) = %v, want %v", c.acc, c.res, got, c.want)
			continue
		}
		for i := range got {
			if got[i].OpCode != c.want[i].OpCode || got[i].Dst != c.want[i].Dst || got[i].Src != c.want[i].Src || got[i].Offset != c.want[i].Offset {
				t.Errorf("AddAs(%s, %s)[%d] = %v, want %v", c.acc, c.res, i, got[i], c.want[i])
			}
		}
	}
	if w := Widen(asm.R6, S32); len(w) != 1 || w[0].OpCode != asm.MovSX32.Reg(asm.R6, asm.R6).OpCode {
		t.Errorf("Widen(S32) = %v", w)
	}
	if w := Widen(asm.R6, U32); len(w) != 0 {
		t.Errorf("Widen(U32) = %v, want nothing (the upper half is zero)", w)
	}
	for _, c := range []struct{ acc, res Type }{{U64, U32}, {S8, S32}, {S32, Bool}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddAs(%s, %s) did not panic", c.acc, c.res)
				}
			}()
			AddAs(asm.R6, asm.R3, c.acc, c.res)
		}()
	}
}
