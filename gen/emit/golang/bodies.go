package golang

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/structops/structops-gen/gen/model"
)

// The default bodies of callbacks.go: the tutorial's, a generated
// module's (sum the arguments, print), and a kernel type's.

// defaultBody: printk the callback's name and scalar arguments, return the
// sum of the integer arguments converted to the return type (0 for void
// and pointer returns, sum != 0 for bool). For a spec with kfuncs, the
// body also calls each kfunc whose parameters are all integers with its
// leading integer arguments and adds the results to the sum.
func defaultBody(o *model.Ops, m model.Member) (string, []jen.Code) {
	type arg struct {
		idx  int
		name string
		t    model.Type
	}
	var scalars []arg
	var fmts []string
	for i, p := range m.Func.Params {
		if p.Type.IsScalar() {
			scalars = append(scalars, arg{i, p.Name, p.Type})
			v := "%llu"
			if p.Type.Signed {
				v = "%lld"
			}
			fmts = append(fmts, p.Name+"="+v)
		}
	}
	format := m.Name + " called\n"
	if len(fmts) > 0 {
		format = fmt.Sprintf("%s(%s)\n", m.Name, strings.Join(fmts, ", "))
	}
	r := m.Func.Return
	steps := model.SumSteps(m.Func)
	leaves := steps[min(len(scalars), len(steps)):] // the context structs' fields
	sums := r.IsScalar() && len(steps) > 0
	what, structs := "its integer arguments", "context structs'"
	if slices.ContainsFunc(leaves, func(st model.SumStep) bool { return st.ByValue }) {
		structs = "structs'"
	}
	switch {
	case len(leaves) > 0 && len(scalars) > 0:
		what = "its integer arguments and of its " + structs + " integer fields"
	case len(leaves) > 0:
		what = "its " + structs + " integer fields"
	}
	ret := "the sum of " + what + ", converted to " + r.Describe()
	switch {
	case r.Kind == model.Void:
		ret = "nothing (r0 = 0)"
	case r.IsPointer():
		ret = "NULL"
	case r.Kind == model.Bool:
		ret = "whether the sum of " + what + " is not zero"
	case !sums:
		ret = "0 (it has no integer arguments)"
	}
	kfuncs := o.KfuncCallees()
	if len(kfuncs) > 0 && r.IsScalar() {
		// the kfuncs' results join the sum
		if sums {
			ret = strings.Replace(ret, "the sum of "+what, "the sum of "+what+" and the kfuncs' results", 1)
		} else if r.Kind == model.Bool {
			ret = "whether the sum of the kfuncs' results is not zero"
		} else {
			ret = "the sum of the kfuncs' results, converted to " + r.Describe()
		}
		sums = true
	}
	doc := "it printks its name and integer arguments and returns " + ret + "."
	var items []jen.Code
	if len(kfuncs) > 0 || sums && len(leaves) > 0 {
		// the ctx waits in r7 for the kfuncs' arguments and the context
		// structs, read after the printk has clobbered r1..r5
		items = append(items, insns(ins("r7 = ctx, kept for after the printk", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(7), reg(1)))))
	}
	if rel, what := releaseRefs(m, 6); rel != nil {
		// first, while nothing lives in r6: the ctx waits there
		items = append(items, insns(ins("r6 = ctx, kept across the release calls", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(1)))))
		items = append(items, rel...)
		items = append(items, insns(ins("r1 = ctx again", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(1), reg(6)))))
		doc += what
	}
	if len(kfuncs) > 0 && len(scalars) == 0 && sums {
		// after the releases, which keep the ctx in r6
		items = append(items, insns(ins("r6 = 0: the sum", jen.Qual(ebpfAsm, "Mov").Dot("Imm").Call(reg(6), jen.Lit(0)))))
	}
	finish := jen.Id("s").Dot("RetImm").Call(jen.Lit(0))
	if sums {
		finish = jen.Id("s").Dot("Ret").Call(reg(6))
	}
	if len(scalars) <= 3 {
		// arguments straight into printk's value registers r3..r5
		var regs []jen.Code
		for k, a := range scalars {
			items = append(items, ins(fmt.Sprintf("r%d = %s (%s), extended to 64 bits", 3+k, a.name, a.t.Describe()),
				jen.Id("s").Dot("Arg").Call(reg(3+k), jen.Lit(a.idx))))
			regs = append(regs, reg(3+k))
		}
		if sums && len(scalars) > 0 {
			items = append(items, insns(ins("r6 = "+scalars[0].name+": the sum lives in a register the call preserves",
				jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(3)))))
			for k := 1; k < len(scalars); k++ {
				items = append(items, sumStep(steps, k, 3+k))
			}
		}
		items = append(items, jen.Qual(sasmPath, "Printk").Call(append([]jen.Code{jen.Lit(format)}, regs...)...))
	} else {
		// more than printk's three values: store them as u64 at fp-8n..fp-8
		// for bpf_trace_vprintk, summing as they go
		base := -8 * len(scalars)
		for k, a := range scalars {
			items = append(items, ins(fmt.Sprintf("r2 = %s (%s), extended to 64 bits", a.name, a.t.Describe()),
				jen.Id("s").Dot("Arg").Call(reg(2), jen.Lit(a.idx))))
			st := []jen.Code{ins(fmt.Sprintf("value %d of the printk at fp%d", k+1, base+8*k),
				asmCall("StoreMem", rfp, jen.Lit(base+8*k), reg(2), jen.Qual(ebpfAsm, "DWord")))}
			if sums && k == 0 {
				st = append(st, ins("r6 = "+a.name+": the running sum", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(2))))
			}
			items = append(items, insns(st...))
			if sums && k > 0 {
				items = append(items, sumStep(steps, k, 2))
			}
		}
		items = append(items, jen.Qual(sasmPath, "PrintkStack").Call(jen.Lit(format), jen.Lit(base), jen.Lit(len(scalars))))
	}
	if sums {
		items = append(items, leafSteps(steps, len(scalars))...)
	}
	if w := widen(steps, sums && (len(kfuncs) > 0 || r.Kind == model.Int && r.Size == 8)); w != nil {
		// C converts the 32-bit signed sum to 64 bits by value
		items = append(items, w)
	}
	if len(kfuncs) > 0 {
		kitems, kdoc := kfuncCalls(kfuncs, intArgs(m), sums)
		items = append(items, kitems...)
		doc += "\n" + kdoc
	}
	items = append(items, ins("return "+ret, finish))
	return doc, items
}

// arith names the sasm type of a promoted arithmetic type.
func arith(a model.Arith) jen.Code {
	n := "U"
	if a.Signed {
		n = "S"
	}
	return jen.Qual(sasmPath, fmt.Sprintf("%s%d", n, a.Bits))
}

// sumStep adds operand k of the sum, loaded in register src, to r6 under
// C's usual arithmetic conversions (see model.SumSteps).
func sumStep(steps []model.SumStep, k, src int) jen.Code {
	prev, st := steps[k-1].Acc, steps[k]
	return ins(fmt.Sprintf("r6 += %s: %s + %s (%s) is %s", st.Name, prev, st.Name, st.Type.Describe(), st.Acc),
		jen.Qual(sasmPath, "AddAs").Call(reg(6), reg(src), arith(prev), arith(st.Acc)))
}

// leafSteps adds the structs' fields, steps[from:], to the sum in r6
// (starting it when from is 0): a context struct's through its field
// descriptor from the struct the argument in the ctx (r7) points to, 0
// when the pointer is NULL; a struct by value's from its slots in the ctx
// (ArgField).
func leafSteps(steps []model.SumStep, from int) []jen.Code {
	var items []jen.Code
	for k := from; k < len(steps); k++ {
		st := steps[k]
		if st.ByValue {
			// a struct by value: its field straight from the ctx slots
			if k == from || steps[k-1].Param != st.Param {
				items = append(items, insns(ins("r1 = ctx again", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(1), reg(7)))))
			}
			items = append(items, ins(fmt.Sprintf("r3 = %s (%s at offset %d)", st.Name, st.Type.Describe(), st.Leaf.Offset),
				jen.Id("s").Dot("ArgField").Call(reg(3), jen.Lit(st.Param), jen.Lit(st.Leaf.Offset), jen.Lit(st.Type.Size),
					jen.Lit(st.Type.Signed))))
			if k == 0 {
				items = append(items, insns(ins("r6 = "+st.Name+": the sum", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(3)))))
			} else {
				items = append(items, sumStep(steps, k, 3))
			}
			continue
		}
		fd := model.FieldGoName(st.Struct, st.Leaf.Member)
		p := st.Name[:strings.Index(st.Name, "->")]
		if k == from || steps[k-1].Param != st.Param {
			items = append(items, ins(fmt.Sprintf("r8 = %s (%s *)", p, st.Pointee),
				jen.Id("s").Dot("ArgFrom").Call(reg(8), reg(7), jen.Lit(st.Param))))
		}
		items = append(items,
			insns(ins("r3 = 0, the field's value when "+p+" is NULL", jen.Qual(ebpfAsm, "Mov").Dot("Imm").Call(reg(3), jen.Lit(0)))),
			ins("if "+p+" != NULL: r3 = "+st.Name, jen.Qual(sasmPath, "IfNotNull").Call(reg(8), jen.Id(fd).Dot("Load").Call(reg(3), reg(8)))))
		if k == 0 {
			items = append(items, insns(ins("r6 = "+st.Name+": the sum", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(3)))))
		} else {
			items = append(items, sumStep(steps, k, 3))
		}
	}
	return items
}

// widen converts a sum of several operands that ends as int to 64 bits
// (sasm.Widen), when the sum is then used as 64 bits; nil when nothing
// is to do: a single operand is loaded extended already.
func widen(steps []model.SumStep, as64 bool) jen.Code {
	if !model.SumWidens(steps, as64) {
		return nil
	}
	return ins("r6 = (s64)(int)r6", jen.Qual(sasmPath, "Widen").Call(reg(6), jen.Qual(sasmPath, "S32")))
}

// intArgs are the indexes of a callback's integer (and bool) arguments.
func intArgs(m model.Member) []int {
	var out []int
	for i, p := range m.Func.Params {
		if p.Type.IsScalar() {
			out = append(out, i)
		}
	}
	return out
}

// kfuncCalls calls each kfunc with the callback's leading integer
// arguments (read through the ctx in r7; 0 where the callback has fewer)
// and, when sum, adds each result to the sum in r6.
func kfuncCalls(kfuncs []model.Kfunc, ints []int, sum bool) ([]jen.Code, string) {
	var items []jen.Code
	var calls []string
	for _, k := range kfuncs {
		var args []jen.Code
		var words []string
		for j, p := range k.Func.Params {
			if j < len(ints) {
				items = append(items, ins(fmt.Sprintf("r%d = argument %d, for %s's %s", j+1, ints[j], k.Name, p.Name),
					jen.Id("s").Dot("ArgFrom").Call(reg(j+1), reg(7), jen.Lit(ints[j]))))
				args = append(args, reg(j+1))
				words = append(words, fmt.Sprintf("arg%d", ints[j]))
			} else {
				args = append(args, jen.Lit(0))
				words = append(words, "0")
			}
		}
		items = append(items, ins(fmt.Sprintf("r0 = %s(%s)", k.Name, strings.Join(words, ", ")), jen.Id(k.GoName).Call(args...)))
		if sum {
			items = append(items, insns(ins("r6 += "+k.Name+"'s result", jen.Qual(ebpfAsm, "Add").Dot("Reg").Call(reg(6), reg(0)))))
		}
		calls = append(calls, k.Name)
	}
	what := "It calls the kfuncs " + strings.Join(calls, ", ")
	if len(calls) == 1 {
		what = "It calls the kfunc " + calls[0]
	}
	what += " with its leading integer arguments (0 where it has fewer)"
	if sum {
		what += " and adds their results"
	}
	return items, what + "."
}

// tutorialBody: the bodies of the tutorial's struct_ops.bpf.c for the
// default spec.
func tutorialBody(m model.Member) (string, jen.Code) {
	s := func(sel string, args ...jen.Code) *jen.Statement { return jen.Id("s").Dot(sel).Call(args...) }
	mov := func(dst, src int) *jen.Statement { return jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(dst), reg(src)) }
	switch m.Name {
	case "test_1":
		return "it printks and returns 42, as the tutorial's program does.", seq(
			jen.Qual(sasmPath, "Printk").Call(jen.Lit("BPF test_1 called!\n")),
			ins("return 42", s("RetImm", jen.Lit(42))),
		)
	case "test_2":
		return "it returns a + b and printks the sum, as the tutorial's program does.", seq(
			ins("r3 = a", s("Arg", reg(3), jen.Lit(0))),
			ins("r4 = b", s("Arg", reg(4), jen.Lit(1))),
			insns(
				ins("r6 = a (callee-saved: survives the printk)", mov(6, 3)),
				ins("r6 = a + b (Ret truncates to int)", jen.Qual(ebpfAsm, "Add").Dot("Reg").Call(reg(6), reg(4))),
			),
			jen.Qual(sasmPath, "Printk").Call(jen.Lit("BPF test_2 called: %d + %d = %d\n"), reg(3), reg(4), reg(6)),
			ins("return a + b", s("Ret", reg(6))),
		)
	}
	// test_3
	jmp := func(op string, r int, imm int, label string) *jen.Statement {
		return jen.Qual(ebpfAsm, op).Dot("Imm").Call(reg(r), jen.Lit(imm), jen.Lit(label))
	}
	ldb := func(off int) *jen.Statement {
		return asmCall("LoadMem", reg(1), rfp, jen.Lit(off), jen.Qual(ebpfAsm, "Byte"))
	}
	std := func(off int) *jen.Statement {
		return asmCall("StoreMem", rfp, jen.Lit(off), reg(1), jen.Qual(ebpfAsm, "DWord"))
	}
	return "it copies at most 63 bytes of buf into a zeroed stack buffer with bpf_probe_read_kernel,\n" +
			"printks its first 4 chars and the string, and returns len, as the tutorial's program does.\n" +
			"Stack: read_buf at fp-64..fp-1, the four %c values at fp-96..fp-65.", seq(
			ins("r6 = buf", s("Arg", reg(6), jen.Lit(0))),
			ins("r7 = len", s("Arg", reg(7), jen.Lit(1))),
			ins("char read_buf[64] = {0}", jen.Qual(sasmPath, "ZeroStack").Call(jen.Lit(-64), jen.Lit(64))),
			jen.Qual(sasmPath, "Printk").Call(jen.Lit("BPF test_3 called with buffer length %d\n"), reg(7)),
			insns(
				ins("if (!buf) goto out", jmp("JEq", 6, 0, "out")),
				ins("r2 = read_len = len", mov(2, 7)),
				ins("if (len < 64) keep it", jmp("JSLT", 2, 64, "read")),
				ins("else read_len = 63", jen.Qual(ebpfAsm, "Mov").Dot("Imm").Call(reg(2), jen.Lit(63))),
				ins("if (read_len <= 0) goto out", jmp("JSLT", 2, 1, "out").Dot("WithSymbol").Call(jen.Lit("read"))),
			),
			ins("r0 = bpf_probe_read_kernel(read_buf, read_len, buf)",
				jen.Qual(sasmPath, "ProbeReadKernelReg").Call(jen.Lit(-64), reg(2), reg(6))),
			insns(
				ins("if (ret != 0) goto failed", jmp("JNE", 0, 0, "failed")),
				ins("r1 = read_buf[0]", ldb(-64)), ins("the first %c value, as u64 at fp-96", std(-96)),
				ins("r1 = read_buf[1]", ldb(-63)), ins("the second, at fp-88", std(-88)),
				ins("r1 = read_buf[2]", ldb(-62)), ins("the third, at fp-80", std(-80)),
				ins("r1 = read_buf[3]", ldb(-61)), ins("the fourth, at fp-72", std(-72)),
			),
			jen.Qual(sasmPath, "PrintkStack").Call(jen.Lit("Buffer content: '%c%c%c%c'\n"), jen.Lit(-96), jen.Lit(4)),
			insns(
				ins("r3 = fp", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(3), rfp)),
				ins("r3 = read_buf", jen.Qual(ebpfAsm, "Add").Dot("Imm").Call(reg(3), jen.Lit(-64))),
			),
			jen.Qual(sasmPath, "Printk").Call(jen.Lit("Full buffer: %s\n"), reg(3)),
			insns(
				ins("goto out", jen.Qual(ebpfAsm, "Ja").Dot("Label").Call(jen.Lit("out"))),
				ins("r3 = ret", mov(3, 0).Dot("WithSymbol").Call(jen.Lit("failed"))),
			),
			jen.Qual(sasmPath, "Printk").Call(jen.Lit("Failed to read buffer, ret=%ld\n"), reg(3)),
			ins("return len", jen.Qual(sasmPath, "Label").Call(jen.Lit("out"), s("Ret", reg(7)))),
		)
}

// ---- kernel types ----------------------------------------------------------

func describeField(f model.Field) string {
	if f.Pointer {
		return fmt.Sprintf("a pointer at offset %d", f.Offset)
	}
	t := model.Type{Kind: model.Int, Size: f.Size, Signed: f.Signed}
	return fmt.Sprintf("%s at offset %d", t.Describe(), f.Offset)
}

// dataLit is the Data map literal: strings as []byte("..."), integers as
// their little-endian bytes with the value in a comment.
func dataLit(o *model.Ops) jen.Code {
	var kv []jen.Code
	for _, name := range slices.Sorted(maps.Keys(o.Data)) {
		b := o.Data[name]
		m := o.Member(name)
		if m != nil && m.Data.Kind == model.Array {
			kv = append(kv, jen.Lit(name).Op(":").Index().Byte().Call(jen.Lit(string(b))))
			continue
		}
		var bs []jen.Code
		var n uint64
		for i, c := range b {
			bs = append(bs, jen.Lit(int(c)))
			n |= uint64(c) << (8 * i)
		}
		kv = append(kv, jen.Comment(fmt.Sprintf("%s = %d, little-endian", name, n)).Line().
			Lit(name).Op(":").Index().Byte().Values(bs...))
	}
	return jen.Map(jen.String()).Index().Byte().Custom(multi("{", "}"), kv...)
}

// kernelBody is the default body of a callback of a kernel type: a call of
// the kernel's own implementation when the rules name one (a kfunc), else
// the sum of the integer arguments and, for each struct pointer argument,
// the first field the package describes of that struct, 0 when the
// pointer is NULL. No printk: kernel callbacks can run per packet.
func kernelBody(o *model.Ops, m model.Member) (string, []jen.Code) {
	s := func(sel string, args ...jen.Code) *jen.Statement { return jen.Id("s").Dot(sel).Call(args...) }
	if kf := m.Delegate; kf != "" {
		var items []jen.Code
		for i := len(m.Func.Params) - 1; i >= 0; i-- {
			p := m.Func.Params[i]
			c := fmt.Sprintf("r%d = %s", i+1, p.Name)
			if i == 0 {
				c += " (last: it overwrites the ctx in r1)"
			}
			items = append(items, ins(c, s("Arg", reg(i+1), jen.Lit(i))))
		}
		items = append(items,
			ins(fmt.Sprintf("r0 = %s(...): the kernel's own implementation, a kfunc", kf), jen.Qual(sasmPath, "Kfunc").Call(jen.Lit(kf))))
		ret := "return its result"
		if m.Func.Return.Kind == model.Void {
			ret = "return"
		}
		items = append(items, ins(ret, s("Ret", reg(0))))
		return fmt.Sprintf("it calls the kernel's %s (a kfunc) with its arguments.", kf), items
	}
	var items []jen.Code
	var parts []string
	items = append(items, insns(ins("r0 = 0: the sum", jen.Qual(ebpfAsm, "Mov").Dot("Imm").Call(reg(0), jen.Lit(0)))))
	for i, p := range m.Func.Params {
		switch {
		case p.Type.IsScalar():
			parts = append(parts, p.Name)
			items = append(items,
				ins(fmt.Sprintf("r2 = %s (%s)", p.Name, p.Type.Describe()), s("Arg", reg(2), jen.Lit(i))),
				insns(ins("r0 += "+p.Name, jen.Qual(ebpfAsm, "Add").Dot("Reg").Call(reg(0), reg(2)))))
		case p.Type.Kind == model.StructPtr:
			var fl *model.Field
			for k := range o.Fields {
				if o.Fields[k].Struct == p.Type.Struct && o.Fields[k].Err == "" {
					fl = &o.Fields[k]
					break
				}
			}
			if fl == nil {
				continue
			}
			parts = append(parts, p.Name+"->"+fl.Member)
			null := "(the verifier requires the check: " + p.Name + " is __nullable)"
			if !p.Nullable {
				null = "(not __nullable, but the check costs one instruction)"
			}
			items = append(items,
				ins(fmt.Sprintf("r2 = %s (%s)", p.Name, p.Type.Describe()), s("Arg", reg(2), jen.Lit(i))),
				ins("if "+p.Name+" != NULL "+null, jen.Qual(sasmPath, "IfNotNull").Call(reg(2), jen.Qual(sasmPath, "Seq").Call(
					jen.Line().Comment(fmt.Sprintf("r3 = %s", fl.Path)).Line().Id(fl.GoName()).Dot("Load").Call(reg(3), reg(2)),
					jen.Line().Add(insns(ins("r0 += "+p.Name+"->"+fl.Member, jen.Qual(ebpfAsm, "Add").Dot("Reg").Call(reg(0), reg(3))))).Op(",").Line(),
				))))
		}
	}
	what := "0"
	if len(parts) > 0 {
		what = strings.Join(parts, " + ")
	}
	doc := fmt.Sprintf("it returns %s, converted to %s.", what, m.Func.Return.Describe())
	switch m.Func.Return.Kind {
	case model.Void:
		doc = "it does nothing (r0 = 0)."
	case model.CharPtr, model.StructPtr, model.Ptr:
		doc = "it returns NULL."
	}
	if len(parts) > 0 && strings.Contains(what, "->") {
		doc += "\nA NULL struct pointer counts 0."
	}
	if rel, relDoc := releaseRefs(m, 7); rel != nil {
		// last, once the fields are read: the sum waits in r6, the ctx in r7
		items = append(items, insns(
			ins("r6 = the sum, kept across the release calls", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(6), reg(0))),
			ins("r7 = ctx", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(7), reg(1)))))
		items = append(items, rel...)
		items = append(items, insns(ins("r0 = the sum again", jen.Qual(ebpfAsm, "Mov").Dot("Reg").Call(reg(0), reg(6)))))
		doc += relDoc
	}
	items = append(items, ins("return "+what, s("Ret", reg(0))))
	return doc, items
}
