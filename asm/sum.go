package asm

import "github.com/cilium/ebpf/asm"

// Sums under C's usual arithmetic conversions. A sum's register holds a
// value of an arithmetic type after the integer promotions: int, unsigned
// int (32 bits: the low half is the value) or a 64-bit type. Operands are
// loaded by Arg, extended to 64 bits by their own signedness.

// AddAs adds the operand in src to the sum in dst: acc is the sum's type
// before, res its type after (the common type of acc and the operand's
// promoted type: C11 6.3.1.8). Each is S32, U32, S64 or U64.
//
//   - res 32 bits: a 32-bit add (w_dst += w_src), which wraps modulo 2^32
//     and zeroes the upper half;
//   - res 64 bits: the 32-bit signed sum is sign-extended first (an int
//     converts to a 64-bit type by value), then a 64-bit add: the operand's
//     own extension is its value in the 64-bit type.
func AddAs(dst, src asm.Register, acc, res Type) asm.Instructions {
	acc.checkArith("AddAs accumulator")
	res.checkArith("AddAs result")
	if res.Size < acc.Size {
		misuse("", "AddAs: the result type %s is narrower than the sum's %s", res, acc)
	}
	if res.Size == 4 {
		return at(asm.Instructions{asm.Add.Reg32(dst, src)})
	}
	var insns asm.Instructions
	if acc.Size == 4 && acc.Signed {
		insns = append(insns, asm.MovSX32.Reg(dst, dst)) // dst = (s64)(s32)dst
	}
	return at(append(insns, asm.Add.Reg(dst, src)))
}

// Widen converts the sum in dst, of type acc, to 64 bits by value, as C's
// conversion to a 64-bit return type does: a 32-bit signed sum is
// sign-extended; others are already (the upper half of a 32-bit unsigned
// sum is zero). Nothing is needed before a return of 32 bits or fewer,
// which looks at the low bits only.
func Widen(dst asm.Register, acc Type) asm.Instructions {
	acc.checkArith("Widen")
	if acc.Size == 4 && acc.Signed {
		return at(asm.Instructions{asm.MovSX32.Reg(dst, dst)})
	}
	return nil
}

// checkArith panics unless t is S32, U32, S64 or U64.
func (t Type) checkArith(what string) {
	if t.Kind != KindInt || t.Size != 4 && t.Size != 8 {
		misuse("", "%s: %s is not a promoted arithmetic type (S32, U32, S64 or U64)", what, t)
	}
}
