package model

import "fmt"

// The default body's sum, `return a + b + ...;`, under C's rules (C11
// 6.3.1.8, x86-64 LP64, the kernel's -funsigned-char and
// -fno-strict-overflow): each operand is promoted (bool, char, 8 and 16-bit
// integers to int), each + converts both sides to their common type and
// adds in it (wrapping), left to right, and return converts the sum to the
// return type.

// Arith is an arithmetic type after the integer promotions: 32 or 64 bits,
// signed or not. On LP64 only width and signedness decide the value
// (long and long long are both 64 bits).
type Arith struct {
	Bits   int
	Signed bool
}

func (a Arith) String() string {
	switch {
	case a.Bits == 32 && a.Signed:
		return "int"
	case a.Bits == 32:
		return "unsigned int"
	case a.Signed:
		return "long"
	}
	return "unsigned long"
}

// Promote is the type of t's values after the integer promotions: int for
// bool and the integers narrower than int (int holds all their values),
// the type itself otherwise. An enum is its integer type.
func Promote(t Type) Arith {
	if t.Kind == Bool || t.Size < 4 {
		return Arith{32, true}
	}
	return Arith{8 * t.Size, t.Signed}
}

// Common is the type the usual arithmetic conversions give a + b: the
// wider one; of equal widths, unsigned when either is.
func Common(a, b Arith) Arith {
	switch {
	case a.Bits > b.Bits:
		return a
	case b.Bits > a.Bits:
		return b
	}
	return Arith{a.Bits, a.Signed && b.Signed}
}

// SumStep is one operand of a default body's sum.
type SumStep struct {
	// Param is the callback parameter the operand is (its index in
	// Func.Params) and Name how the body's comments name it.
	Param int
	Name  string
	// Type is the operand's own type, Acc the sum's type after adding it
	// (for the first operand: its promoted type).
	Type Type
	Acc  Arith
	// Struct and Leaf name the context struct field the operand is (the
	// struct Param points to, Pointee its C spelling; with ByValue, the
	// struct Param is, spelled in C); "" for an argument.
	Struct, Pointee string
	ByValue         bool
	Leaf            Leaf
}

// SumSteps are the operands of `return a + b + ...;` over the callback's
// integer and bool arguments, left to right, then the integer fields of
// the context structs its struct pointer arguments point to and of the
// structs it takes by value, in parameter order (Leaves, first union
// members), with the type of the sum after each.
func SumSteps(f *Func) []SumStep {
	var out []SumStep
	add := func(s SumStep) {
		s.Acc = Promote(s.Type)
		if len(out) > 0 {
			s.Acc = Common(out[len(out)-1].Acc, s.Acc)
		}
		out = append(out, s)
	}
	for i, p := range f.Params {
		if p.Type.IsScalar() {
			add(SumStep{Param: i, Name: p.Name, Type: p.Type})
		}
	}
	for i, p := range f.Params {
		if d := p.Type.ContextStruct(); d != nil {
			for _, l := range Leaves(d, true) {
				add(SumStep{Param: i, Name: p.Name + "->" + l.Member, Type: l.Type, Struct: p.Type.Struct,
					Pointee: p.Type.Pointee(), Leaf: l})
			}
		} else if d := p.Type.ValueStruct(); d != nil {
			for _, l := range Leaves(d, true) {
				add(SumStep{Param: i, Name: p.Name + "." + l.Member, Type: l.Type, Struct: p.Type.C,
					ByValue: true, Leaf: l})
			}
		}
	}
	return out
}

// Describe says what the step computes, for the body's comments: "b (s32):
// int + int = int".
func (s SumStep) Describe(prev Arith) string {
	return fmt.Sprintf("%s + %s (%s): %s", prev, s.Name, s.Type.Describe(), s.Acc)
}

// SumWidens reports whether a sum of steps must be converted to 64 bits
// (sasm.Widen) before it is used as a 64-bit value (as64: a 64-bit return,
// or more terms added in 64 bits): when it ends as int after a 32-bit
// add. A single operand is loaded extended to 64 bits already.
func SumWidens(steps []SumStep, as64 bool) bool {
	return as64 && len(steps) > 1 && steps[len(steps)-1].Acc == Arith{Bits: 32, Signed: true}
}
