package model

import (
	_ "embed"
	"errors"
	"fmt"
	"go/token"
	"strconv"
	"strings"
)

// Kernel limits a struct_ops type must stay within.
const (
	// MaxMembers is BPF_STRUCT_OPS_MAX_NR_MEMBERS.
	MaxMembers = 64
	// MaxArgs is MAX_BPF_FUNC_ARGS: the most arguments the x86-64 BPF
	// trampoline passes to a struct_ops program (6 in registers before 6.6).
	MaxArgs = 12
	// MaxRegArgs is the most arguments a callback of a generated module
	// takes on every supported kernel: six travel in registers. Arguments
	// 7 to 12 go on the stack, which the x86-64 struct_ops trampoline of
	// Linux 6.12 hands to BPF one slot off (measured in the VM: a
	// 12-argument callback saw a7..a12 as a8..a12 and a stray slot); on
	// 7.3 they arrive right (TestStackArgsSeries2InVM). So a module with
	// such a callback requires StackArgsSince.
	MaxRegArgs = 6
	// MaxByValue is the largest struct or union the kernel passes to a
	// BPF program by value (btf_distill_func_proto: two registers).
	MaxByValue = 16
)

// StackArgsSince is the oldest kernel a generated module whose callbacks
// take stack arguments builds and loads for: the first series measured
// to pass them right (7.3; 6.12 does not, the releases between are not
// measured).
var StackArgsSince = [3]int{7, 3, 0}

// StackArgs lists the callbacks of a generated module whose arguments
// take more than MaxRegArgs slots (Func.Slots), as "member (N
// arguments)"; nil for kernel types, whose kernel decides.
func (o *Ops) StackArgs() []string {
	if o.Kernel {
		return nil
	}
	var out []string
	for _, m := range o.Callbacks() {
		if n := m.Func.Slots(); n > MaxRegArgs {
			out = append(out, fmt.Sprintf("%s (%d arguments)", m.Name, n))
		}
	}
	return out
}

// Slots is how many 8-byte registers or stack slots the arguments take
// on x86-64: one each, two for a struct of 9 to 16 bytes by value.
func (f *Func) Slots() int {
	n := 0
	for _, p := range f.Params {
		n += max(1, (p.Type.Size+7)/8)
	}
	return n
}

// Validate checks that the model is something every emitter can render and
// the kernel can register: names, limits, types, layout. It returns all
// problems joined, the first one first. It first stores the derived names
// on the model (Finish), which the Go name checks read.
func Validate(o *Ops) error {
	o.Finish()
	var errs []error
	bad := func(m *Member, format string, args ...any) {
		e := &Error{Pos: o.Pos, Msg: fmt.Sprintf(format, args...), Err: ErrLimit}
		if m != nil {
			e.Pos, e.Member = m.Pos, m.Name
		}
		errs = append(errs, e)
	}
	if !IsIdent(o.Name) {
		bad(nil, "ops name %q is not a C identifier", o.Name)
	}
	if len(o.Members) == 0 {
		bad(nil, "struct %s has no members", o.Name)
	}
	if len(o.Members) > MaxMembers {
		bad(nil, "struct %s has %d members; the kernel allows at most %d (BPF_STRUCT_OPS_MAX_NR_MEMBERS)", o.Name, len(o.Members), MaxMembers)
	}
	if len(o.Callbacks()) == 0 && len(o.Members) > 0 {
		bad(nil, "struct %s has no function-pointer members: nothing for BPF to implement", o.Name)
	}
	seen := map[string]string{}
	end := 0
	for i := range o.Members {
		m := &o.Members[i]
		checkName(o, m, m.Name, "member", seen, bad)
		if m.Offset < end {
			bad(m, "offset %d overlaps the previous member (ends at %d)", m.Offset, end)
		}
		end = m.Offset + m.Size
		if end > o.Size {
			bad(m, "ends at byte %d, past the struct's size %d", end, o.Size)
		}
		switch {
		case m.Func != nil && m.Data != nil, m.Func == nil && m.Data == nil:
			bad(m, "must be either a callback or a data member")
		case m.Func != nil:
			if m.Size != 8 || m.Offset%8 != 0 {
				bad(m, "a function pointer must be 8 bytes at an 8-byte aligned offset (got %d at %d)", m.Size, m.Offset)
			}
			validateFunc(o, m, bad)
		}
	}
	if err := CheckInstances(o.Instances); err != nil && o.Instances != 0 {
		errs = append(errs, err)
	} else if o.Kernel && o.Instances > 1 {
		errs = append(errs, &Error{Err: ErrInstances, Subject: fmt.Sprintf("%d instances", o.Instances), Input: strconv.Itoa(o.Instances),
			Msg: fmt.Sprintf("struct %s is a kernel type: its kernel decides how many implementations attach; several instances are for generated modules", o.Name)})
	}
	if o.Kernel {
		validateKernel(o, bad)
	}
	validateKfuncs(o, func(err error) { errs = append(errs, err) })
	if len(errs) == 0 {
		// only for a model whose names are sound one by one
		validateGoNames(o, bad)
	}
	o.validated = len(errs) == 0
	return errors.Join(errs...)
}

func validateFunc(o *Ops, m *Member, bad func(*Member, string, ...any)) {
	f := m.Func
	switch {
	case len(f.Params) > MaxArgs:
		fix := "pass a struct pointer instead"
		if o.Kernel {
			fix = "BPF cannot implement this callback: pick another ops type"
		}
		bad(m, "%d arguments; a struct_ops callback takes at most %d (MAX_BPF_FUNC_ARGS): %s", len(f.Params), MaxArgs, fix)
	}
	switch f.Return.Kind {
	case Void, Bool, Int, CharPtr, StructPtr, Ptr:
	default:
		bad(m, "returns %s: a callback returns void, bool, an integer or a pointer", f.Return.Describe())
	}
	if why := scalarSize(f.Return); why != "" {
		bad(m, "returns %s", why)
	}
	if !o.Kernel && (f.Return.Kind == CharPtr || f.Return.Kind == Ptr) {
		bad(m, "returns %s: Linux 6.15 and later refuse to register a struct_ops type with a callback that returns a pointer "+
			"to anything but a struct (bpf_struct_ops_desc_init: \"returns non-struct pointer\"; seen on 7.3), so the module "+
			"would not load there: return a struct pointer or an integer", f.Return.Describe())
	}
	seen := map[string]string{}
	for _, p := range f.Params {
		checkName(o, m, p.Name, "parameter", seen, bad)
		switch p.Type.Kind {
		case Bool, Int, CharPtr, StructPtr, Ptr:
		case Opaque:
			if p.Type.Size < 1 || p.Type.Size > MaxByValue {
				bad(m, "parameter %s is %s by value, %d bytes: the kernel passes a struct of at most %d bytes by value to BPF (btf_distill_func_proto): pass a pointer",
					p.Name, p.Type.Describe(), p.Type.Size, MaxByValue)
			}
		default:
			bad(m, "parameter %s has type %s: parameters are bool, integers, const char *, pointers or structs of at most %d bytes", p.Name, p.Type.Describe(), MaxByValue)
		}
		if p.Nullable && !p.Type.IsPointer() {
			bad(m, "parameter %s is marked __nullable but is not a pointer", p.Name)
		}
		if why := scalarSize(p.Type); why != "" {
			bad(m, "parameter %s is %s", p.Name, why)
		}
		if p.Ref {
			validateRef(o, m, p, bad)
		}
	}
}

// CheckInstances is the one range check of how many implementations a
// generated module accepts at once: 1 to MaxInstances.
func CheckInstances(n int) error {
	if n < 1 || n > MaxInstances {
		return &Error{Err: ErrInstances, Subject: fmt.Sprintf("%d instances", n), Input: strconv.Itoa(n),
			Msg: fmt.Sprintf("want 1 to %d implementations at once", MaxInstances)}
	}
	return nil
}

// scalarSize says what is wrong with the size of an integer, bool or
// pointer type ("" when nothing is): BPF loads and returns 1, 2, 4 and
// 8 bytes; other sizes come only from corrupt or exotic BTF.
func scalarSize(t Type) string {
	ok := true
	switch t.Kind {
	case Int:
		ok = t.Size == 1 || t.Size == 2 || t.Size == 4 || t.Size == 8
	case Bool:
		ok = t.Size == 1
	case CharPtr, StructPtr, Ptr:
		ok = t.Size == 8
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("a %d-byte %s: BPF reads 1, 2, 4 or 8 bytes (8 for pointers): is the BTF corrupt? regenerate it", t.Size, t.Describe())
}

// validateRef checks a __ref argument: the body must release the
// reference (so a kfunc must exist for its struct), and for a generated
// module the trigger must be able to take one to hand over.
func validateRef(o *Ops, m *Member, p Param, bad func(*Member, string, ...any)) {
	switch {
	case p.Type.Kind != StructPtr:
		bad(m, "parameter %s is marked __ref but is not a struct pointer", p.Name)
	case o.Kernel && o.Implements(m.Name) && p.RefRelease() == "":
		bad(m, "parameter %s is __ref (struct %s), and the default body knows no kfunc that releases one: leave %s out of the callbacks to implement",
			p.Name, p.Type.Struct, m.Name)
	case o.Kernel:
	case p.RefRelease() == "":
		bad(m, "parameter %s__ref points to struct %s: a generated module hands BPF references only to struct task_struct "+
			"(the caller's task) and struct cgroup (its cgroup), which the bodies release with bpf_task_release and "+
			"bpf_cgroup_release: use one of them or drop __ref", p.Name, p.Type.Struct)
	case m.Func.Return.IsPointer():
		bad(m, "returns %s and takes %s__ref: a program may return the reference, which the generated trigger cannot "+
			"release: return an integer or drop __ref", m.Func.Return.Describe(), p.Name)
	}
}

// A GoDecl is one top-level identifier the generated Go package declares.
type GoDecl struct {
	Name   string
	Member *Member // the member it is generated for; nil for the package's own
	Kfunc  string  // the kfunc it is generated for, or ""
	What   string  // "var RunSig in ops.go, the signature of member run"
}

// GoDecls lists the top-level identifiers the generated ops package
// (ops.go and callbacks.go) declares, in the order the files declare them,
// duplicates included. It follows opsFile and callbacksFile in golang.go;
// TestGoDeclsMatchRendered keeps the two in step.
func (o *Ops) GoDecls() []GoDecl {
	var out []GoDecl
	if c := o.Counts; c != nil {
		out = append(out, GoDecl{Name: c.Var, What: "var " + c.Var + " in ops.go, the call counts"})
	}
	out = append(out, GoDecl{Name: "Ops", What: "var Ops in ops.go, the type's layout"})
	for _, f := range o.Fields {
		out = append(out, GoDecl{Name: f.GoName(), What: fmt.Sprintf("var %s in ops.go, the descriptor of field %s", f.GoName(), f.Path)})
	}
	impl := map[string]bool{}
	for _, m := range o.ImplementedCallbacks() {
		impl[m.Name] = true
	}
	var funcs []GoDecl
	for i := range o.Members {
		m := &o.Members[i]
		if m.Func == nil {
			continue
		}
		out = append(out, GoDecl{Name: m.SigName, Member: m, What: fmt.Sprintf("var %s in ops.go, the signature of member %s", m.SigName, m.Name)})
		if impl[m.Name] {
			funcs = append(funcs, GoDecl{Name: m.GoName, Member: m, What: fmt.Sprintf("func %s in callbacks.go, the program of member %s", m.GoName, m.Name)})
		}
	}
	for _, k := range o.Kfuncs {
		out = append(out,
			GoDecl{Name: k.SigName, Kfunc: k.Name, What: fmt.Sprintf("var %s in ops.go, the signature of kfunc %s", k.SigName, k.Name)},
			GoDecl{Name: k.GoName, Kfunc: k.Name, What: fmt.Sprintf("func %s in ops.go, the call of kfunc %s", k.GoName, k.Name)})
	}
	out = append(out,
		GoDecl{Name: "Programs", What: "func Programs in ops.go, the program table"},
		GoDecl{Name: "Load", What: "func Load in ops.go"})
	for _, n := range o.BodyDecls {
		out = append(out, GoDecl{Name: n, What: fmt.Sprintf("%s in callbacks.go, shared by the default bodies", n)})
	}
	return append(out, funcs...)
}

// validateGoNames checks that the identifiers the generated Go package
// declares (ops.go and callbacks.go share one package scope) are unique and
// that the package name is one Go accepts. Names a generator derives from
// members can meet each other (x and x_sig: the program X and the
// signature XSig of x, and the program XSig of x_sig) or the package's own
// names (a member called load, programs or ops).
func validateGoNames(o *Ops, bad func(*Member, string, ...any)) {
	pkg := o.GoPackage
	switch {
	case token.IsKeyword(pkg):
		bad(nil, "struct %s: its Go package name %s is a Go keyword: rename the struct", o.Name, pkg)
	case pkg == "main":
		bad(nil, "struct %s: its Go package would be package main, which the generated loader cannot import: rename the struct", o.Name)
	case pkg == "module" && !o.Kernel:
		bad(nil, "struct %s: its Go package would go into module/, the directory of the module's C (Go refuses .c files without cgo): rename the struct", o.Name)
	}
	decls := map[string]GoDecl{}
	for _, d := range o.GoDecls() {
		prev, ok := decls[d.Name]
		if !ok {
			decls[d.Name] = d
			continue
		}
		m := d.Member
		if m == nil {
			m = prev.Member
		}
		fix := "rename the member"
		switch {
		case o.Kernel && d.Member != nil && strings.HasPrefix(d.What, "func"):
			fix = "leave member " + d.Member.Name + " out of the callbacks to implement"
		case d.Kfunc != "" || prev.Kfunc != "":
			fix = "rename the kfunc"
		case o.Kernel:
			fix = "this kernel type's Go package cannot be generated as is: please report it"
		case prev.Member != nil && d.Member != nil && prev.Member != d.Member:
			fix = "rename one of the members"
		}
		first := prev.What
		if prev.Member != nil && prev.Member != d.Member && prev.Member.Pos.String() != "" {
			first += " (" + prev.Member.Pos.String() + ")"
		}
		bad(m, "the generated Go would declare %s twice (%s; %s), and the package would not compile: %s", d.Name, first, d.What, fix)
	}
}
