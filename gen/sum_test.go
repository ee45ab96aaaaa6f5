package gen

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/gen/model"
)

// The default body's sum against C: an evaluator of C11's rules (integer
// promotions by rank, the usual arithmetic conversions, modulo arithmetic,
// conversion on return), written from the standard independently of
// model.SumSteps, gives the expected value of `return a + b (+ c);` for
// every pair of argument types and every return type at boundary values;
// the instructions the body is made of (sasm.Sig.Arg, sasm.AddAs,
// sasm.Widen, sasm.Sig.Ret, in model.SumSteps' order) run as a
// BPF_PROG_TYPE_SYSCALL program and must compute the same.

// cType is a C integer type of x86-64 LP64 with its conversion rank.
type cType struct {
	name   string
	bits   int
	signed bool
	rank   int // bool 0 < char 1 < short 2 < int 3 < long 4 < long long 5
	bool   bool
}

var cTypes = []cType{
	{"bool", 8, false, 0, true},
	{"char", 8, false, 1, false}, // the kernel builds with -funsigned-char
	{"signed char", 8, true, 1, false},
	{"unsigned char", 8, false, 1, false},
	{"short", 16, true, 2, false},
	{"unsigned short", 16, false, 2, false},
	{"int", 32, true, 3, false},
	{"unsigned int", 32, false, 3, false},
	{"enum {A, B}", 32, false, 3, false}, // GCC: unsigned int when no value is negative
	{"enum {N = -1, M}", 32, true, 3, false},
	{"long", 64, true, 4, false},
	{"unsigned long", 64, false, 4, false},
	{"long long", 64, true, 5, false},
	{"unsigned long long", 64, false, 5, false},
}

func cTypeNamed(t *testing.T, name string) cType {
	for _, c := range cTypes {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no C type %s", name)
	return cType{}
}

// model is the callback parameter type the reader makes of c.
func (c cType) model() model.Type {
	if c.bool {
		return model.Type{Kind: model.Bool, Size: 1, C: "bool"}
	}
	return model.Type{Kind: model.Int, Size: c.bits / 8, Signed: c.signed, C: c.name}
}

// conv converts v to c: bool is v != 0, others v modulo 2^bits (GCC's
// conversion to a signed type wraps too).
func (c cType) conv(v *big.Int) *big.Int {
	if c.bool {
		if v.Sign() != 0 {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	}
	m := new(big.Int).Lsh(big.NewInt(1), uint(c.bits))
	r := new(big.Int).Mod(v, m)
	if c.signed && r.Cmp(new(big.Int).Rsh(m, 1)) >= 0 {
		r.Sub(r, m)
	}
	return r
}

// promote: C11 6.3.1.1: a type of rank below int whose values int holds
// becomes int.
func (c cType) promote() cType {
	if c.rank < 3 {
		return cTypes[6] // int
	}
	return c
}

// usual: C11 6.3.1.8, on promoted operands.
func usual(a, b cType) cType {
	switch {
	case a.signed == b.signed && a.bits == b.bits && a.rank == b.rank:
		return a
	case a.signed == b.signed:
		if a.rank >= b.rank {
			return a
		}
		return b
	}
	u, s := a, b
	if a.signed {
		u, s = b, a
	}
	switch {
	case u.rank >= s.rank:
		return u
	case s.bits > u.bits: // the signed type holds every value of the unsigned one
		return s
	}
	// the unsigned type corresponding to the signed one
	return cType{name: "unsigned " + s.name, bits: s.bits, rank: s.rank}
}

// cSum is what `return a + b + ...;` returns in C, as the return type's
// value.
func cSum(ret cType, ts []cType, vs []*big.Int) *big.Int {
	acc := ts[0].promote()
	sum := acc.conv(ts[0].conv(vs[0]))
	for i := 1; i < len(ts); i++ {
		op := ts[i].promote()
		common := usual(acc, op)
		sum = common.conv(new(big.Int).Add(common.conv(sum), common.conv(op.conv(ts[i].conv(vs[i])))))
		acc = common
	}
	return ret.conv(sum)
}

// TestCSumRules checks the evaluator on the cases worked out by hand in
// docs/design/issue16-plan.md (point 5).
func TestCSumRules(t *testing.T) {
	for _, c := range []struct {
		ret   string
		types []string
		vals  []int64
		want  string
	}{
		{"unsigned long", []string{"unsigned int", "int"}, []int64{0, -1}, "4294967295"},
		{"unsigned long", []string{"int", "int"}, []int64{-1, -1}, "18446744073709551614"},
		{"unsigned int", []string{"int", "int"}, []int64{-1, -1}, "4294967294"},
		{"unsigned char", []string{"unsigned char", "unsigned char"}, []int64{255, 1}, "0"},
		{"unsigned short", []string{"unsigned char", "unsigned char"}, []int64{255, 1}, "256"},
		{"signed char", []string{"signed char", "unsigned char"}, []int64{-128, 255}, "127"},
		{"unsigned short", []string{"unsigned short", "unsigned short"}, []int64{65535, 65535}, "65534"},
		{"unsigned long", []string{"unsigned int", "unsigned int"}, []int64{4294967295, 1}, "0"},
		{"long", []string{"unsigned int", "long"}, []int64{4294967295, 1}, "4294967296"},
		{"long", []string{"int", "unsigned long"}, []int64{-1, 0}, "-1"},
		{"unsigned int", []string{"long", "unsigned int"}, []int64{-1, 0}, "4294967295"},
		{"unsigned long", []string{"unsigned long", "long"}, []int64{1, -2}, "18446744073709551615"},
		{"unsigned long long", []string{"long", "unsigned long long"}, []int64{1, 2}, "3"},
		{"bool", []string{"bool", "signed char"}, []int64{1, -1}, "0"},
		{"char", []string{"char", "signed char"}, []int64{200, -100}, "100"},
		{"long", []string{"int", "int"}, []int64{2147483647, 1}, "-2147483648"},
		{"long", []string{"unsigned int", "int", "long"}, []int64{0, -1, 1}, "4294967296"},
		{"long", []string{"long", "unsigned int", "int"}, []int64{1, 0, -1}, "0"},
		{"unsigned long", []string{"enum {A, B}", "int"}, []int64{0, -1}, "4294967295"},
		{"long", []string{"enum {N = -1, M}", "int"}, []int64{0, -1}, "-1"},
	} {
		var ts []cType
		var vs []*big.Int
		for i, n := range c.types {
			ts = append(ts, cTypeNamed(t, n))
			vs = append(vs, big.NewInt(c.vals[i]))
		}
		if got := cSum(cTypeNamed(t, c.ret), ts, vs); got.String() != c.want {
			t.Errorf("(%s)(%v %v): %s, want %s", c.ret, c.types, c.vals, got, c.want)
		}
	}
}

// boundaries are the values each argument type is tried with.
func (c cType) boundaries() []*big.Int {
	if c.bool {
		return []*big.Int{big.NewInt(0), big.NewInt(1)}
	}
	one := big.NewInt(1)
	m := new(big.Int).Lsh(one, uint(c.bits))
	hi := new(big.Int).Sub(m, one) // unsigned max
	lo := big.NewInt(0)
	if c.signed {
		hi = new(big.Int).Sub(new(big.Int).Rsh(m, 1), one)
		lo = new(big.Int).Neg(new(big.Int).Rsh(m, 1))
		return []*big.Int{big.NewInt(0), one, big.NewInt(-1), lo, hi}
	}
	return []*big.Int{big.NewInt(0), one, new(big.Int).Sub(hi, one), hi}
}

// sumProgram is the default body's arithmetic for arguments of types ts
// and return type ret: the sum stored in ctx slot len(ts) as the u64 the
// callback's caller would see.
func sumProgram(t *testing.T, ret cType, ts []cType) *ebpf.Program {
	f := &model.Func{Return: ret.model()}
	sig := sasm.Sig{Name: "sum", Return: sasmType(ret.model())}
	for i, c := range ts {
		f.Params = append(f.Params, model.Param{Name: fmt.Sprintf("a%d", i), Type: c.model()})
		sig.Args = append(sig.Args, sasmType(c.model()))
	}
	steps := model.SumSteps(f)
	ar := func(a model.Arith) sasm.Type {
		return sasm.Type{Kind: sasm.KindInt, Size: a.Bits / 8, Signed: a.Signed}
	}
	insns := asm.Instructions{asm.Mov.Reg(asm.R7, asm.R1)}
	insns = append(insns, sig.Arg(asm.R6, 0)...)
	for k := 1; k < len(steps); k++ {
		insns = append(insns, sig.ArgFrom(asm.R2, asm.R7, k)...)
		insns = append(insns, sasm.AddAs(asm.R6, asm.R2, ar(steps[k-1].Acc), ar(steps[k].Acc))...)
	}
	if model.SumWidens(steps, !ret.bool && ret.bits == 64) {
		insns = append(insns, sasm.Widen(asm.R6, sasm.S32)...)
	}
	r := sig.Ret(asm.R6)
	insns = append(insns, r[:len(r)-1]...) // without its exit
	insns = append(insns,
		asm.StoreMem(asm.R7, int16(8*len(ts)), asm.R0, asm.DWord),
		asm.Mov.Imm(asm.R0, 0),
		asm.Return())
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.Syscall, Instructions: insns, License: "GPL", Flags: 1 << 4 /* BPF_F_SLEEPABLE */})
	if err != nil {
		t.Fatalf("%s(%v): %v", ret.name, ts, err)
	}
	return p
}

func sasmType(m model.Type) sasm.Type {
	if m.Kind == model.Bool {
		return sasm.Bool
	}
	return sasm.Type{Kind: sasm.KindInt, Size: m.Size, Signed: m.Signed}
}

// runSum runs p with the argument values vs and returns what it stored.
func runSum(t *testing.T, p *ebpf.Program, ts []cType, vs []*big.Int) uint64 {
	ctx := make([]byte, 8*(len(ts)+1))
	for i, v := range vs {
		// the caller passes the value in a 64-bit slot; the upper bits of
		// narrow values are garbage in general: fill them
		u := new(big.Int).Mod(v, new(big.Int).Lsh(big.NewInt(1), 64)).Uint64()
		if b := ts[i].bits; b < 64 {
			u |= 0xa5a5a5a5a5a5a5a5 << b
		}
		binary.LittleEndian.PutUint64(ctx[8*i:], u)
	}
	out := make([]byte, len(ctx))
	if _, err := p.Run(&ebpf.RunOptions{Context: ctx, ContextOut: out}); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint64(out[8*len(ts):])
}

// want64 is the u64 the program stores for C's result v of type ret: its
// bits extended to 64 by the return type's signedness.
func want64(v *big.Int) uint64 {
	return new(big.Int).Mod(v, new(big.Int).Lsh(big.NewInt(1), 64)).Uint64()
}

func TestCSumBPF(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	probe := sumProgram(t, cTypes[6], []cType{cTypes[6], cTypes[6]})
	probe.Close()
	n := 0
	check := func(ret cType, ts []cType, valsets [][]*big.Int) {
		p := sumProgram(t, ret, ts)
		defer p.Close()
		var rec func(i int, vs []*big.Int)
		rec = func(i int, vs []*big.Int) {
			if i == len(ts) {
				want := want64(cSum(ret, ts, vs))
				if got := runSum(t, p, ts, vs); got != want {
					t.Errorf("(%s)(%v = %v): BPF gives %#x, C %#x", ret.name, cNames(ts), vs, got, want)
				}
				n++
				return
			}
			for _, v := range valsets[i] {
				rec(i+1, append(vs, v))
			}
		}
		rec(0, nil)
	}
	for _, ret := range cTypes {
		for _, a := range cTypes {
			for _, b := range cTypes {
				check(ret, []cType{a, b}, [][]*big.Int{a.boundaries(), b.boundaries()})
			}
		}
	}
	// three operands: the type after the first + is the left operand of
	// the second
	for _, ret := range []cType{cTypeNamed(t, "long"), cTypeNamed(t, "unsigned long")} {
		for _, a := range cTypes {
			for _, b := range cTypes {
				for _, c := range cTypes {
					if c.rank < 3 && a.rank < 3 {
						continue // promoted to int like their int cases
					}
					var vals [][]*big.Int
					for _, x := range []cType{a, b, c} {
						if x.bool { // a bool argument is 0 or 1
							vals = append(vals, []*big.Int{big.NewInt(0), big.NewInt(1)})
						} else {
							vals = append(vals, []*big.Int{big.NewInt(-1), big.NewInt(1)})
						}
					}
					check(ret, []cType{a, b, c}, vals)
				}
			}
		}
	}
	t.Logf("%d sums agree with C", n)
	if t.Failed() {
		return
	}
	if n < 10000 {
		t.Errorf("only %d sums checked", n)
	}
}

func cNames(ts []cType) []string {
	var out []string
	for _, c := range ts {
		out = append(out, c.name)
	}
	return out
}
