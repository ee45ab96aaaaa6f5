package asm_test

import (
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
)

// TestRecordSlots: a struct passed by value takes (size+7)/8 ctx slots, so
// the arguments after a 16-byte one are two slots on, and its fields are
// narrow loads inside its slots.
func TestRecordSlots(t *testing.T) {
	s := sasm.Sig{Name: "prefetch", Return: sasm.S32,
		Args: []sasm.Type{sasm.Record(16), sasm.Ptr, sasm.U32, sasm.Record(8), sasm.Record(3), sasm.S8}}
	for n, want := range []int{0, 2, 3, 4, 5, 6} {
		if got := s.Slot(n); got != want {
			t.Errorf("Slot(%d) = %d, want %d", n, got, want)
		}
	}
	if got := s.Slots(); got != 7 {
		t.Errorf("Slots() = %d, want 7", got)
	}
	for _, c := range []struct {
		n, size int
		off     int16
	}{{1, 8, 16}, {2, 4, 24}, {5, 1, 48}} {
		ins := s.Arg(asm.R2, c.n)[0]
		if ins.Offset != c.off || ins.OpCode.Size() != map[int]asm.Size{1: asm.Byte, 4: asm.Word, 8: asm.DWord}[c.size] {
			t.Errorf("Arg(%d) = %v, want a %d-byte load at +%d", c.n, ins, c.size, c.off)
		}
	}
	f := s.ArgField(asm.R3, 0, 8, 8, false)[0]
	if f.Offset != 8 || f.OpCode.Size() != asm.DWord || f.OpCode.Mode() != asm.MemMode || f.Src != asm.R1 {
		t.Errorf("ArgField(0, +8, 8 bytes) = %v, want r3 = *(u64 *)(r1 + 8)", f)
	}
	f = s.ArgField(asm.R3, 3, 0, 4, true)[0]
	if f.Offset != 32 || f.OpCode.Size() != asm.Word || f.OpCode.Mode() != asm.MemSXMode {
		t.Errorf("ArgField(3, +0, s32) = %v, want r3 = *(s32 *)(r1 + 32)", f)
	}
	// inside a slot: the slot's 8-byte load (the verifier refuses other
	// ctx offsets), then shifts; evaluated on slot 4 of ctx
	slot := uint64(0x8877665544332211)
	for _, c := range []struct {
		off, size int
		signed    bool
		want      uint64
	}{
		{4, 4, false, 0x88776655}, {4, 4, true, 0xffffffff88776655}, {2, 2, false, 0x4433},
		{6, 2, true, 0xffffffffffff8877}, {1, 1, false, 0x22}, {3, 1, true, 0x44},
	} {
		insns := s.ArgField(asm.R3, 3, c.off, c.size, c.signed)
		if insns[0].Offset != 32 || insns[0].OpCode.Size() != asm.DWord {
			t.Errorf("ArgField(3, +%d) = %v, want the 8-byte load of its slot at +32", c.off, insns)
		}
		if got := evalShifts(t, slot, insns[1:]); got != c.want {
			t.Errorf("ArgField(3, +%d, %d bytes, signed %v) on %#x = %#x, want %#x", c.off, c.size, c.signed, slot, got, c.want)
		}
	}
	mustPanic(t, "Arg of a record", "read its fields with ArgField", func() { s.Arg(asm.R2, 0) })
	mustPanic(t, "ArgField of a scalar", "not a struct passed by value", func() { s.ArgField(asm.R2, 2, 0, 4, false) })
	mustPanic(t, "ArgField past the end", "inside the struct", func() { s.ArgField(asm.R2, 3, 8, 4, false) })
	mustPanic(t, "ArgField misaligned", "multiple of the size", func() { s.ArgField(asm.R2, 0, 2, 4, false) })
	mustPanic(t, "record of 17 bytes", "invalid type", func() {
		sasm.Sig{Name: "big", Args: []sasm.Type{sasm.Record(17)}}.ArgField(asm.R2, 0, 0, 8, false)
	})
}

// evalShifts runs the 64-bit immediate shifts insns on v.
func evalShifts(t *testing.T, v uint64, insns asm.Instructions) uint64 {
	t.Helper()
	for _, ins := range insns {
		switch ins.OpCode.ALUOp() {
		case asm.LSh:
			v <<= uint(ins.Constant)
		case asm.RSh:
			v >>= uint(ins.Constant)
		case asm.ArSh:
			v = uint64(int64(v) >> uint(ins.Constant))
		default:
			t.Fatalf("unexpected instruction %v", ins)
		}
	}
	return v
}
