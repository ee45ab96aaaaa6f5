package asm_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
)

// slots is the size of insns in 8-byte instruction slots (an ld_imm64 takes 2).
func slots(insns asm.Instructions) int { return int(insns.Size() / asm.InstructionSize) }

func TestArgShapes(t *testing.T) {
	types := []sasm.Type{sasm.S8, sasm.S16, sasm.S32, sasm.S64, sasm.U8, sasm.U16, sasm.U32, sasm.U64, sasm.Ptr, sasm.Bool}
	s := sasm.Sig{Name: "f", Return: sasm.Void, Args: types}
	for n, typ := range types {
		insns := s.ArgFrom(asm.R7, asm.R9, n)
		if len(insns) != 1 {
			t.Fatalf("arg %d (%v): %d instructions, want 1:\n%v", n, typ, len(insns), insns)
		}
		ins := insns[0]
		wantSize := map[int]asm.Size{1: asm.Byte, 2: asm.Half, 4: asm.Word, 8: asm.DWord}[typ.Size]
		wantMode := asm.MemMode
		if typ.Signed && typ.Size < 8 {
			wantMode = asm.MemSXMode
		}
		if ins.OpCode.Class() != asm.LdXClass || ins.OpCode.Mode() != wantMode || ins.OpCode.Size() != wantSize ||
			ins.Dst != asm.R7 || ins.Src != asm.R9 || ins.Offset != int16(8*n) {
			t.Errorf("arg %d (%v): %v, want a %v %v load r7 = [r9+%d]", n, typ, ins, wantMode, wantSize, 8*n)
		}
	}
	if got := s.Arg(asm.R2, 3)[0]; got.Src != asm.R1 {
		t.Errorf("Arg reads the ctx from %v, want r1", got.Src)
	}
}

func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		if !strings.Contains(fmt.Sprint(r), want) {
			t.Errorf("%s: panic %q, want it to mention %q", what, r, want)
		}
	}()
	f()
}

func TestPanics(t *testing.T) {
	s := sasm.Sig{Name: "test_2", Return: sasm.S32, Args: []sasm.Type{sasm.S32, sasm.S32}}
	mustPanic(t, "Arg 2", "argument 2 out of range", func() { s.Arg(asm.R0, 2) })
	mustPanic(t, "Arg -1", "argument -1 out of range", func() { s.Arg(asm.R0, -1) })
	mustPanic(t, "bad type", "invalid type", func() {
		sasm.Sig{Name: "x", Args: []sasm.Type{{Kind: sasm.KindInt, Size: 3}}}.Arg(asm.R0, 0)
	})
	mustPanic(t, "Printk 4 args", "use PrintkStack", func() { sasm.Printk("%d%d%d%d", asm.R6, asm.R6, asm.R6, asm.R6) })
	mustPanic(t, "Printk R1", "want one of R3..R9", func() { sasm.Printk("%d", asm.R1) })
	mustPanic(t, "PrintkStack 13", "0..12", func() { sasm.PrintkStack("x", -128, 13) })
	mustPanic(t, "ZeroStack unaligned", "not 8-aligned", func() { sasm.ZeroStack(-12, 8) })
	mustPanic(t, "ZeroStack above fp", "outside", func() { sasm.ZeroStack(-8, 16) })
	mustPanic(t, "String NUL", "NUL", func() { sasm.String(asm.R1, "a\x00b") })
	mustPanic(t, "Label empty", "no instruction", func() { sasm.Label("x", nil) })
}

// regs is a register file for simulating straight-line ALU code.
type regs [11]uint64

// simulate runs mov/movsx/and/ld_imm64 instructions.
func simulate(t *testing.T, r *regs, insns asm.Instructions) {
	t.Helper()
	for _, ins := range insns {
		src := uint64(ins.Constant)
		if ins.OpCode.Source() == asm.RegSource {
			src = r[ins.Src]
		}
		switch {
		case ins.OpCode == asm.LoadImmOp(asm.DWord) && ins.Src == asm.PseudoMapValue:
			r[ins.Dst] = 0xf0f0 // a string address
		case ins.IsConstantLoad(asm.DWord):
			r[ins.Dst] = uint64(ins.Constant)
		case ins.OpCode.ALUOp() == asm.Mov && ins.OpCode.Class() == asm.ALU64Class:
			r[ins.Dst] = src
		case ins.OpCode.ALUOp() == asm.Mov && ins.OpCode.Class() == asm.ALUClass:
			r[ins.Dst] = uint64(uint32(src))
		case ins.OpCode.ALUOp() == asm.MovSX8:
			r[ins.Dst] = uint64(int64(int8(src)))
		case ins.OpCode.ALUOp() == asm.MovSX16:
			r[ins.Dst] = uint64(int64(int16(src)))
		case ins.OpCode.ALUOp() == asm.MovSX32:
			r[ins.Dst] = uint64(int64(int32(src)))
		case ins.OpCode.ALUOp() == asm.And && ins.OpCode.Class() == asm.ALUClass:
			r[ins.Dst] = uint64(uint32(r[ins.Dst]) & uint32(src))
		case ins.OpCode.ALUOp() == asm.Add && ins.OpCode.Class() == asm.ALU64Class:
			r[ins.Dst] += src
		case ins.OpCode.JumpOp() == asm.Call, ins.OpCode.JumpOp() == asm.Exit:
			return
		default:
			t.Fatalf("simulate: unexpected %v", ins)
		}
	}
}

// TestPrintkMoves checks every placement of up to 3 args in R3..R9: R3..R5
// must end up holding the args' values, including cycles.
func TestPrintkMoves(t *testing.T) {
	var init regs
	for i := range init {
		init[i] = 0x1000 + uint64(i)
	}
	count := 0
	for n := 0; n <= 3; n++ {
		var rec func(args []asm.Register)
		rec = func(args []asm.Register) {
			if len(args) < n {
				for r := asm.R3; r <= asm.R9; r++ {
					rec(append(args, r))
				}
				return
			}
			count++
			insns := sasm.Printk("x", args...)
			r := init
			simulate(t, &r, insns)
			for i, a := range args {
				if r[asm.R3+asm.Register(i)] != init[a] {
					t.Fatalf("Printk(%v): R%d = %#x, want %#x (from %v):\n%v", args, 3+i, r[asm.R3+asm.Register(i)], init[a], a, insns)
				}
			}
			for rr := asm.R6; rr <= asm.R9; rr++ {
				if r[rr] != init[rr] {
					t.Fatalf("Printk(%v) clobbered %v", args, rr)
				}
			}
			// no move more than needed: one per arg not in place, plus one per cycle
			moves := len(insns) - 3 // ld_imm64, mov r2, call
			notInPlace := 0
			for i, a := range args {
				if a != asm.R3+asm.Register(i) {
					notInPlace++
				}
			}
			if moves < notInPlace || moves > notInPlace+1 {
				t.Fatalf("Printk(%v): %d moves, %d args not in place:\n%v", args, moves, notInPlace, insns)
			}
		}
		rec(nil)
	}
	if count != 1+7+49+343 {
		t.Fatalf("tried %d placements", count)
	}
	// in place: no move at all
	if insns := sasm.Printk("%d %d %d", asm.R3, asm.R4, asm.R5); len(insns) != 3 {
		t.Errorf("args in place: %d instructions, want 3:\n%v", len(insns), insns)
	}
}

func TestProbeReadKernelRegMoves(t *testing.T) {
	for size := asm.R0; size <= asm.R9; size++ {
		for src := asm.R0; src <= asm.R9; src++ {
			var r regs
			for i := range r {
				r[i] = 0x2000 + uint64(i)
			}
			want2, want3 := r[size], r[src]
			insns := sasm.ProbeReadKernelReg(-64, size, src)
			simulate(t, &r, insns)
			if r[asm.R2] != want2 || r[asm.R3] != want3 {
				t.Fatalf("ProbeReadKernelReg(size %v, src %v): r2 %#x r3 %#x, want %#x %#x:\n%v", size, src, r[asm.R2], r[asm.R3], want2, want3, insns)
			}
		}
	}
}

func TestRetConversions(t *testing.T) {
	values := []uint64{0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x1_0000_0000, 0x12345678_9abcde80, ^uint64(0)}
	types := []sasm.Type{sasm.S8, sasm.S16, sasm.S32, sasm.S64, sasm.U8, sasm.U16, sasm.U32, sasm.U64, sasm.Bool, sasm.Void, sasm.Ptr}
	conv := func(typ sasm.Type, v uint64) uint64 {
		switch typ {
		case sasm.S8:
			return uint64(int64(int8(v)))
		case sasm.S16:
			return uint64(int64(int16(v)))
		case sasm.S32:
			return uint64(int64(int32(v)))
		case sasm.U8:
			return uint64(uint8(v))
		case sasm.U16:
			return uint64(uint16(v))
		case sasm.U32:
			return uint64(uint32(v))
		case sasm.Bool:
			if v != 0 {
				return 1
			}
			return 0
		case sasm.Void, sasm.Ptr:
			return 0
		}
		return v
	}
	for _, typ := range types {
		s := sasm.Sig{Name: "f", Return: typ}
		for _, v := range values {
			want := conv(typ, v)
			// RetImm: simulate
			var r regs
			ri := s.RetImm(int64(v))
			simulate(t, &r, ri)
			if r[asm.R0] != want {
				t.Errorf("%v RetImm(%#x): r0 = %#x, want %#x:\n%v", typ, v, r[asm.R0], want, ri)
			}
			if want == uint64(int64(int32(want))) || want == uint64(uint32(want)) {
				if len(ri) != 2 {
					t.Errorf("%v RetImm(%#x): %d instructions, want 2", typ, v, len(ri))
				}
			}
			// Ret from R6 and from R0 (bool has a jump: checked in the kernel test)
			if typ == sasm.Bool {
				continue
			}
			for _, src := range []asm.Register{asm.R6, asm.R0} {
				r = regs{}
				r[src] = v
				rr := s.Ret(src)
				simulate(t, &r, rr)
				if r[asm.R0] != want {
					t.Errorf("%v Ret(%v = %#x): r0 = %#x, want %#x:\n%v", typ, src, v, r[asm.R0], want, rr)
				}
			}
		}
	}
	// sizes: one instruction before exit, except narrow unsigned from another register
	for _, c := range []struct {
		typ    sasm.Type
		src    asm.Register
		insns  int
		exitAt int
	}{
		{sasm.S8, asm.R6, 2, 1}, {sasm.S16, asm.R6, 2, 1}, {sasm.S32, asm.R6, 2, 1}, {sasm.S64, asm.R6, 2, 1},
		{sasm.S64, asm.R0, 1, 0}, {sasm.U32, asm.R6, 2, 1}, {sasm.U8, asm.R6, 3, 2}, {sasm.U8, asm.R0, 2, 1},
		{sasm.U16, asm.R6, 3, 2}, {sasm.Void, asm.R6, 2, 1}, {sasm.Bool, asm.R6, 4, 3}, {sasm.Bool, asm.R0, 3, 2},
	} {
		insns := sasm.Sig{Return: c.typ}.Ret(c.src)
		if len(insns) != c.insns || insns[c.exitAt].OpCode.JumpOp() != asm.Exit {
			t.Errorf("%v Ret(%v): %d instructions, want %d ending in exit:\n%v", c.typ, c.src, len(insns), c.insns, insns)
		}
	}
	// bool: the jump skips exactly the "r0 = 1"
	b := sasm.Sig{Return: sasm.Bool}.Ret(asm.R6)
	if b[1].OpCode.JumpOp() != asm.JEq || b[1].Offset != 1 || b[1].Constant != 0 || b[1].Dst != asm.R0 || b[2].Constant != 1 {
		t.Errorf("bool Ret: %v", b)
	}
	// a wide immediate takes a 64-bit load
	if ri := (sasm.Sig{Return: sasm.S64}).RetImm(0x1_0000_0001); len(ri) != 2 || !ri[0].IsConstantLoad(asm.DWord) {
		t.Errorf("RetImm(0x100000001): %v, want ld_imm64 + exit", ri)
	}
}

func TestZeroStack(t *testing.T) {
	insns := sasm.ZeroStack(-64, 64)
	if len(insns) != 8 {
		t.Fatalf("ZeroStack(-64, 64): %d instructions, want 8", len(insns))
	}
	for i, ins := range insns {
		if ins.OpCode != asm.StoreImmOp(asm.DWord) || ins.Dst != asm.RFP || ins.Offset != int16(-64+8*i) || ins.Constant != 0 {
			t.Errorf("insn %d: %v, want *(u64 *)(r10 %d) = 0", i, ins, -64+8*i)
		}
	}
	tail := sasm.ZeroStack(-16, 15) // 8 + 4 + 2 + 1
	want := []struct {
		size asm.Size
		off  int16
	}{{asm.DWord, -16}, {asm.Word, -8}, {asm.Half, -4}, {asm.Byte, -2}}
	if len(tail) != len(want) {
		t.Fatalf("ZeroStack(-16, 15): %v", tail)
	}
	for i, w := range want {
		if tail[i].OpCode.Size() != w.size || tail[i].Offset != w.off {
			t.Errorf("ZeroStack(-16, 15) insn %d: %v, want a %v store at %d", i, tail[i], w.size, w.off)
		}
	}
}

func TestLink(t *testing.T) {
	build := func() map[string]asm.Instructions {
		return map[string]asm.Instructions{
			"a":    sasm.Seq(sasm.Printk("zeta\n"), sasm.String(asm.R6, "alpha")),
			"b":    sasm.Seq(sasm.String(asm.R1, "alpha"), sasm.Printk("mid %d\n", asm.R6)),
			"c":    sasm.Printk("zeta\n"),
			"none": {asm.Mov.Imm(asm.R0, 0), asm.Return()},
		}
	}
	progs := build()
	rodata, err := sasm.Link(progs)
	if err != nil {
		t.Fatal(err)
	}
	want := "alpha\x00mid %d\n\x00zeta\n\x00"
	if string(rodata) != want {
		t.Fatalf("rodata %q, want %q", rodata, want)
	}
	for name, insns := range progs {
		for i, ins := range insns {
			s, ok := sasm.StringOf(ins)
			if !ok {
				continue
			}
			off := int(uint64(ins.Constant) >> 32)
			if ins.Reference() != sasm.RodataMap {
				t.Errorf("%s[%d]: reference %q, want %q", name, i, ins.Reference(), sasm.RodataMap)
			}
			if off < 0 || !bytes.HasPrefix(rodata[off:], append([]byte(s), 0)) {
				t.Errorf("%s[%d]: offset %d does not hold %q", name, i, off, s)
			}
		}
	}
	// deterministic, whatever the map order; linking twice changes nothing
	for i := 0; i < 20; i++ {
		again, err := sasm.Link(build())
		if err != nil || !bytes.Equal(again, rodata) {
			t.Fatalf("second Link: %q, %v", again, err)
		}
	}
	before := fmt.Sprint(progs["b"])
	if again, err := sasm.Link(progs); err != nil || !bytes.Equal(again, rodata) || fmt.Sprint(progs["b"]) != before {
		t.Fatalf("relinking changed the result: %v", err)
	}
	// no strings: no map
	if r, err := sasm.Link(map[string]asm.Instructions{"x": {asm.Return()}}); r != nil || err != nil {
		t.Errorf("Link without strings: %q, %v, want nil, nil", r, err)
	}
	// a string moved onto another instruction is an error
	bad := sasm.String(asm.R1, "s")
	bad[0].OpCode = asm.Mov.Op(asm.ImmSource)
	if _, err := sasm.Link(map[string]asm.Instructions{"bad": bad}); err == nil || !strings.Contains(err.Error(), "program bad") {
		t.Errorf("Link of a broken String: %v", err)
	}
}

func TestPrintkStackShape(t *testing.T) {
	insns := sasm.PrintkStack("%d %d %d %d\n", -96, 4)
	// ld_imm64 r1, r2 = len, r3 = r10, r3 += -96, r4 = 32, call
	if len(insns) != 6 || insns[1].Constant != int64(len("%d %d %d %d\n")+1) || insns[3].Constant != -96 ||
		insns[4].Constant != 32 || insns[5].Constant != int64(asm.FnTraceVprintk) {
		t.Errorf("PrintkStack: %v", insns)
	}
	if s, _ := sasm.StringOf(insns[0]); s != "%d %d %d %d\n" {
		t.Errorf("PrintkStack format %q", s)
	}
}
