// Package model is the one model of a struct_ops type that the spec readers
// (gen/read/...) produce and the emitters (gen/emit/...) read: the ops
// struct, its members and their types, the kernel's rules for its own
// types, the one validation pass, and every name derived from the spec.
//
// The pipeline is spec (built-in, C header or BTF) -> Ops -> Validate
// (once) -> emitters -> output (a sorted file set, written atomically).
package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/structops/structops-gen/internal/kernelrules"
)

// Kind classifies a C type as far as a struct_ops callback cares.
type Kind int

// The kinds of type a callback may take or return.
const (
	Void      Kind = iota // void (returns only)
	Bool                  // bool / _Bool
	Int                   // char and the integer types, 1 to 8 bytes
	CharPtr               // const char * (a NUL-terminated kernel string)
	StructPtr             // struct X * (a pointer to a kernel struct)
	Array                 // char name[16] and other fixed arrays (data members only)
	Ptr                   // any other pointer (int *, void *, union x *): kernel types only
	Opaque                // a struct or union by value, a bitfield: kernel types' data members only
)

var kindNames = [...]string{"void", "bool", "int", "const char *", "struct pointer", "array", "pointer", "opaque"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Type is one C type as the generator needs it: its class, width and
// signedness, and how to spell it in C.
type Type struct {
	Kind   Kind
	Size   int    // bytes: 0 for void, 8 for pointers, elem size * len for arrays
	Signed bool   // Int only
	C      string // the C spelling used in emitted C, e.g. "int", "u32", "const char *"
	Struct string // StructPtr: the struct's tag name
	Elem   *Type  // Array: element type
	Len    int    // Array: element count
	// Enum names the C enum (its tag, or the typedef of an anonymous
	// enum) of an Int whose C type is an enum; its Size and Signed follow
	// GCC's choice of the enum's integer type.
	Enum string
	// Typedef names the spec's typedef of an Int (typedef u32 handle_t;),
	// which the C spells it by once the module defines it.
	Typedef string
	// Bitwise: the C type is a __bitwise typedef (gfp_t, __be32): the
	// module converts an integer to it with a __force cast (sparse).
	Bitwise bool
	// Def is the spec's definition of the type when the spec defines it:
	// the struct a StructPtr points to, the struct, union or typedef an
	// Opaque value is, the enum or typedef an Int is. Nil for the
	// kernel's own types and plain scalars.
	Def *TypeDef
}

// IsScalar reports whether values of t are passed as a number a BPF program
// can do arithmetic on (bool and the integers).
func (t Type) IsScalar() bool { return t.Kind == Bool || t.Kind == Int }

// IsPointer reports whether t is passed as a pointer.
func (t Type) IsPointer() bool { return t.Kind == CharPtr || t.Kind == StructPtr || t.Kind == Ptr }

// Same reports whether a and b describe the same ABI type, ignoring spelling.
func (t Type) Same(o Type) bool {
	if t.Kind != o.Kind || t.Size != o.Size || t.Signed != o.Signed || t.Struct != o.Struct || t.Len != o.Len {
		return false
	}
	if (t.Elem == nil) != (o.Elem == nil) {
		return false
	}
	if t.Def != nil && o.Def != nil && t.Def.Name != "" && t.Def.Ref() != o.Def.Ref() {
		return false
	}
	return t.Elem == nil || t.Elem.Same(*o.Elem)
}

// Describe is a short ABI description, e.g. "s32", "u8", "bool", "const char *".
func (t Type) Describe() string {
	switch t.Kind {
	case Int:
		if t.Signed {
			return fmt.Sprintf("s%d", t.Size*8)
		}
		return fmt.Sprintf("u%d", t.Size*8)
	case StructPtr:
		return "struct " + t.Struct + " *"
	case Array:
		return fmt.Sprintf("%s[%d]", t.Elem.Describe(), t.Len)
	case Ptr, Opaque:
		if t.C != "" {
			return t.C
		}
	}
	return t.Kind.String()
}

// Decl returns a C declaration of name with type t ("int a", "const char *buf",
// "char name[16]").
func (t Type) Decl(name string) string {
	if t.Kind == Array {
		return t.Elem.Decl(fmt.Sprintf("%s[%d]", name, t.Len))
	}
	if strings.HasSuffix(t.C, "*") {
		return t.C + name
	}
	return t.C + " " + name
}

// Param is one callback parameter.
type Param struct {
	Name string
	Type Type
	// Nullable marks a pointer argument the kernel may pass as NULL; the CFI
	// stub names it <name>__nullable so the verifier forces a NULL check.
	Nullable bool
	// Ref marks a struct pointer argument that hands the program a
	// reference (Linux 6.15+): the CFI stub names it <name>__ref, and the
	// verifier refuses a program that neither releases it nor returns it.
	Ref bool
	// Local is the generated trigger's local variable that holds the
	// argument (see finishCMember), or "" (set by Finish, callbacks of
	// generated modules).
	Local string
}

// StubName is the parameter's name on the CFI stub, with the suffix that
// carries its kernel semantics (__nullable, __ref).
func (p Param) StubName() string {
	switch {
	case p.Nullable:
		return p.Name + "__nullable"
	case p.Ref:
		return p.Name + "__ref"
	}
	return p.Name
}

// ParseStubName is StubName's inverse, the one parser of the suffixes: it
// splits a stub's parameter name into the parameter's name and the marks
// the suffix carries (x__nullable, x__ref).
func ParseStubName(s string) (name string, nullable, ref bool) {
	if name, ok := strings.CutSuffix(s, "__nullable"); ok {
		return name, true, false
	}
	if name, ok := strings.CutSuffix(s, "__ref"); ok {
		return name, false, true
	}
	return s, false, false
}

// refReleases are the structs a __ref argument may point to in a generated
// module, with the kfunc a program releases the reference with.
var refReleases = map[string]string{"task_struct": "bpf_task_release", "cgroup": "bpf_cgroup_release"}

// RefRelease returns the kfunc that releases a __ref argument of this
// parameter's struct type, or "".
func (p Param) RefRelease() string {
	if !p.Ref || p.Type.Kind != StructPtr {
		return ""
	}
	return refReleases[p.Type.Struct]
}

// Refs lists the __ref arguments of the callbacks as "member.param".
func (o *Ops) Refs() []string {
	var refs []string
	for _, m := range o.Callbacks() {
		for _, p := range m.Func.Params {
			if p.Ref {
				refs = append(refs, m.Name+"."+p.Name)
			}
		}
	}
	return refs
}

// Func is a callback signature.
type Func struct {
	Return Type
	Params []Param
}

// Pos is a position in a spec file; zero for the built-in spec and BTF.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Member is one member of the ops struct: a callback (Func != nil) or a data
// member (Data != nil).
type Member struct {
	Name   string
	Offset int // bytes from the start of the struct
	Size   int // bytes
	Func   *Func
	Data   *Type
	Pos    Pos

	// Derived by Finish (callbacks only):

	// GoName is the Go identifier of the callback's program (test_1 ->
	// Test1), SigName that of its signature (Test1Sig).
	GoName, SigName string
	// Delegate is the kfunc a kernel type's default body calls (the
	// kernel's own implementation), or "".
	Delegate string
	// Body names the default body of a kernel type's callback that the
	// rules give it (kernelrules.Type.Bodies, e.g. "scx_select_cpu_dfl"),
	// or "".
	Body string
	// MacroName: the name is a function-like macro of the kernel headers
	// (min, max, swap): the module calls the member as (ops->min)(...),
	// which the preprocessor leaves alone.
	MacroName bool
	// Sleepable: the kernel lets this callback sleep, so its program is
	// loaded with BPF_F_SLEEPABLE (kernelrules.Type.Sleepable).
	Sleepable bool
	// CFIStub is the generated module's CFI stub (<ops>__<member>),
	// Caller the trigger's function that calls the member; "" for kernel
	// types.
	CFIStub, Caller string
}

// Ops is the model of one struct_ops type: everything every emitter needs.
type Ops struct {
	Name    string // the struct's tag, e.g. "bpf_testmod_ops"
	Size    int    // sizeof(struct Name)
	Members []Member
	// Kernel is true when the type already exists in the kernel or a module
	// (read from BTF): no module is generated, only programs and a loader.
	Kernel bool
	// KernelModule names the module a Kernel type comes from ("" for
	// vmlinux types); the loader checks it is loaded.
	KernelModule string
	// Source names where the spec came from, for messages and file headers.
	Source string
	Pos    Pos
	// Implemented lists the callbacks that get a program (see Select); nil
	// means all of them.
	Implemented []string
	// Data holds the values of data members set with --set (kernel types),
	// as the kernel reads them: little-endian integers, unpadded strings.
	Data map[string][]byte
	// Fields are the kernel struct fields the generated package describes
	// for the bodies (kernel types).
	Fields []Field
	// Enums are the values of the kernel enums the data rules name
	// (kernelrules.Data.Enum, e.g. scx_ops_flags), by enum and value
	// name, read from the same BTF as the type (kernel types).
	Enums map[string]map[string]uint64
	// Instances is how many implementations the generated module accepts
	// at once (generated modules only); 0 means 1.
	Instances int
	// Types are the definitions of the structs, unions, enums and typedefs
	// the spec defines and the ops struct reaches (through callback
	// parameters and returns, data members, and their members), in the
	// order the module's header emits them: each after everything it
	// holds by value. Anonymous nested records are not listed: they hang
	// off their member's Type.Def.
	Types []*TypeDef
	// Kfuncs are the kernel functions the generated module exports to the
	// type's programs (declared __bpf_kfunc in a header spec).
	Kfuncs []Kfunc
	// Notes are what the reader tells the user that is no error (the
	// CONFIG_ options a header tests, which are not set).
	Notes []string
	// HZ is the value of the kernel's HZ the spec was read with (its
	// constants may depend on it), 0 when the spec does not use HZ; the
	// module refuses to build for a kernel with another HZ.
	HZ int
	// Tutorial marks the built-in spec: its module keeps the tutorial's
	// trigger text and its programs the tutorial's bodies. Only the
	// built-in reader sets it; a header of the same layout is not the
	// tutorial.
	Tutorial bool
	// FromBTF marks a new subsystem read from a module's BTF to emit its
	// module again (--emit-module): BTF does not record what the original
	// init_member copied, so the data members follow the generator's rules,
	// and the module's comment says so.
	FromBTF bool

	// Derived by Finish:

	// GoPackage is the Go package name of the type (bpf_testmod_ops ->
	// bpftestmodops).
	GoPackage string
	// DemoCalls are the trigger lines the loader's default mode writes (see
	// demoCalls).
	DemoCalls []string
	// BodyDecls are the top-level names the default bodies of the
	// implemented callbacks share in callbacks.go (see bodyDecls).
	BodyDecls []string
	// Counts is how the default bodies count their calls (see callCounts);
	// nil for the tutorial's spec, whose bodies keep the tutorial's size.
	Counts *CallCounts
	// C are the names of the generated module's C, Inputs what its
	// trigger passes for arguments that take no plain word (cnames.go).
	C      CNames
	Inputs TriggerInputs

	validated bool // Validate found no problem
}

// Finish computes every name and decision derived from the spec and
// stores it on the model's nodes, once: emitters read them and derive
// nothing. Validate calls it; a model built by hand and rendered without
// Validate (tests) calls it itself.
func (o *Ops) Finish() {
	o.GoPackage = GoPackage(o.Name)
	if !o.Kernel {
		o.Fields = contextFields(o)
	}
	o.DemoCalls = demoCalls(o)
	o.finishKfuncs()
	for i := range o.Members {
		m := &o.Members[i]
		if m.Func == nil {
			continue
		}
		m.GoName, m.SigName = GoName(m.Name), GoName(m.Name)+"Sig"
		m.Delegate = o.delegate(m.Name)
		m.Body, m.Sleepable = o.kernelBody(m.Name)
		m.MacroName = !o.Kernel && IsFunctionMacro(m.Name)
		o.finishCMember(m)
	}
	o.C, o.Inputs = cNames(o), triggerInputs(o)
	o.BodyDecls = bodyDecls(o)
	o.Counts = callCounts(o)
}

// CallCounts is the call counting of a generated stack: ops.go declares
// the counts (sasm.NewCallCounts, or sasm.NewGlobalCallCounts when Global)
// as Var, sets Ops.Counts to it, and each default body starts with
// Var.Count("<member>"); the loader's --stats prints the counts.
type CallCounts struct {
	// Var is the Go variable in ops.go ("Calls", or another name when a
	// callback's names take that one).
	Var string
	// Map is the kernel's name of the counts map.
	Map string
	// Global: one value shared by all CPUs, reached without a helper, for
	// kernel types whose programs may call no helper (bpf_dummy_ops);
	// otherwise a per-CPU array.
	Global bool
	// Members are the implemented callbacks in struct order: slot i counts
	// Members[i].
	Members []string
}

// callCounts decides how the default bodies of o count their calls: not
// at all for the tutorial's spec; in one shared value for a kernel type
// whose rules say its programs call no helper; per CPU otherwise.
func callCounts(o *Ops) *CallCounts {
	if o.Tutorial {
		return nil
	}
	c := &CallCounts{Map: "calls"}
	if o.Name == c.Map {
		c.Map = "call_counts" // the struct_ops map is called after the type
	}
	if o.Kernel {
		r, _ := kernelrules.For(o.Name)
		c.Global = r.NoHelpers
	}
	taken := map[string]bool{"Ops": true, "Programs": true, "Load": true}
	for _, n := range o.BodyDecls {
		taken[n] = true
	}
	for _, f := range o.Fields {
		taken[f.GoName()] = true
	}
	for _, m := range o.Callbacks() {
		taken[m.GoName], taken[m.SigName] = true, true
		if o.Implements(m.Name) {
			c.Members = append(c.Members, m.Name)
		}
	}
	if len(c.Members) == 0 {
		return nil
	}
	for i := 0; ; i++ {
		switch i {
		case 0:
			c.Var = "Calls"
		case 1:
			c.Var = "CallCounts"
		default:
			c.Var = "CallCounts" + strconv.Itoa(i)
		}
		if !taken[c.Var] {
			return c
		}
	}
}

// Validated reports whether Validate accepted the model.
func (o *Ops) Validated() bool { return o.validated }

// MaxInstances is the most implementations a generated module accepts at
// once (--instances).
const MaxInstances = 16

// NumInstances is how many implementations the module accepts: at least 1.
func (o *Ops) NumInstances() int { return max(o.Instances, 1) }

// Callbacks returns the function-pointer members, in struct order.
func (o *Ops) Callbacks() []Member {
	var out []Member
	for _, m := range o.Members {
		if m.Func != nil {
			out = append(out, m)
		}
	}
	return out
}

// Member returns the member called name, or nil.
func (o *Ops) Member(name string) *Member {
	for i := range o.Members {
		if o.Members[i].Name == name {
			return &o.Members[i]
		}
	}
	return nil
}

// BaseName is the ops name without its "_ops" suffix: the module is
// <base>.ko and its trigger /proc/<base>_trigger.
func (o *Ops) BaseName() string {
	if b, ok := strings.CutSuffix(o.Name, "_ops"); ok && b != "" {
		return b
	}
	return o.Name
}

// ModuleName is the module that defines the type at run time: the
// generated module, or for a Kernel type its module ("" for vmlinux).
func (o *Ops) ModuleName() string {
	if o.Kernel {
		return o.KernelModule
	}
	return o.BaseName()
}

// demoCalls are the trigger lines the loader's default mode writes for a
// generated module other than the tutorial's: one call of every callback
// with small arguments (integers 1, 2, ... by position, bools 1, strings
// "hello"; a context struct or a struct by value "{1 2 ...}", other struct pointers no word). Nil for the tutorial's spec,
// whose module keeps the tutorial's trigger text, and for kernel types.
func demoCalls(o *Ops) []string {
	if o.Kernel || o.Tutorial {
		return nil
	}
	var lines []string
	for _, m := range o.Callbacks() {
		words := []string{m.Name}
		for j, p := range m.Func.Params {
			switch p.Type.Kind {
			case Int:
				words = append(words, strconv.Itoa(j+1))
			case Bool:
				words = append(words, "1")
			case CharPtr:
				words = append(words, "hello")
			case StructPtr, Opaque:
				if d := p.Type.GroupStruct(); d != nil {
					// a context struct or a struct by value: its integer
					// fields 1, 2, ... in order
					var vs []string
					for q, l := range Leaves(d, true) {
						if l.Type.Kind == Bool {
							vs = append(vs, "1")
						} else {
							vs = append(vs, strconv.Itoa(q+1))
						}
					}
					words = append(words, "{"+strings.Join(vs, " ")+"}")
				}
			}
		}
		lines = append(lines, strings.Join(words, " "))
	}
	return lines
}

// TriggerPath is the proc file the generated module creates.
func (o *Ops) TriggerPath() string { return "/proc/" + o.BaseName() + "_trigger" }

// Equal reports the first difference between two models' ABI (names, types,
// sizes and offsets; not spellings, positions or sources), or "" when they
// describe the same struct.
func (o *Ops) Equal(p *Ops) string {
	if o.Name != p.Name {
		return fmt.Sprintf("name %q != %q", o.Name, p.Name)
	}
	if o.Size != p.Size {
		return fmt.Sprintf("size %d != %d", o.Size, p.Size)
	}
	if len(o.Members) != len(p.Members) {
		return fmt.Sprintf("%d members != %d", len(o.Members), len(p.Members))
	}
	for i, a := range o.Members {
		b := p.Members[i]
		switch {
		case a.Name != b.Name:
			return fmt.Sprintf("member %d: name %q != %q", i, a.Name, b.Name)
		case a.Offset != b.Offset || a.Size != b.Size:
			return fmt.Sprintf("member %s: offset/size %d/%d != %d/%d", a.Name, a.Offset, a.Size, b.Offset, b.Size)
		case (a.Func == nil) != (b.Func == nil):
			return fmt.Sprintf("member %s: callback vs data", a.Name)
		case a.Data != nil && !a.Data.Same(*b.Data):
			return fmt.Sprintf("member %s: %s != %s", a.Name, a.Data.Describe(), b.Data.Describe())
		case a.Func != nil:
			if !a.Func.Return.Same(b.Func.Return) {
				return fmt.Sprintf("member %s: returns %s != %s", a.Name, a.Func.Return.Describe(), b.Func.Return.Describe())
			}
			if len(a.Func.Params) != len(b.Func.Params) {
				return fmt.Sprintf("member %s: %d params != %d", a.Name, len(a.Func.Params), len(b.Func.Params))
			}
			for j, pa := range a.Func.Params {
				pb := b.Func.Params[j]
				if pa.Name != pb.Name || !pa.Type.Same(pb.Type) {
					return fmt.Sprintf("member %s: param %d: %s %s != %s %s", a.Name, j,
						pa.Type.Describe(), pa.Name, pb.Type.Describe(), pb.Name)
				}
			}
		}
	}
	return typesEqual(o.Types, p.Types)
}

// Signature renders a callback as C: "int test_2(int a, int b)".
func (m Member) Signature() string { return m.cDecl(m.Name) }

// Decl is the member's declaration inside the struct: "int (*test_2)(int
// a, int b)" for a callback, "char name[16]" for a data member.
func (m Member) Decl() string { return m.cDecl("(*" + m.Name + ")") }

// cDecl declares the member as a function called name ("test_2", or
// "(*test_2)" for the function pointer); data members as themselves.
func (m Member) cDecl(name string) string {
	if m.Func == nil {
		return m.Data.Decl(m.Name)
	}
	var ps []string
	for _, p := range m.Func.Params {
		ps = append(ps, p.Type.Decl(p.Name))
	}
	if len(ps) == 0 {
		ps = []string{"void"}
	}
	return fmt.Sprintf("%s(%s)", m.Func.Return.Decl(name), strings.Join(ps, ", "))
}
