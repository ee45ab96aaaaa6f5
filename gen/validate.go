package gen

import (
	"errors"
	"fmt"
	"go/token"
	"regexp"
	"sort"
)

// Kernel limits a struct_ops type must stay within.
const (
	// MaxMembers is BPF_STRUCT_OPS_MAX_NR_MEMBERS.
	MaxMembers = 64
	// MaxArgs is MAX_BPF_FUNC_ARGS: the most arguments the x86-64 BPF
	// trampoline passes to a struct_ops program (6 in registers before 6.6).
	MaxArgs = 12
	// MaxModuleArgs is the most arguments a callback of a module-defined
	// type may take: the x86-64 struct_ops trampoline of Linux 6.12 reads
	// arguments 7 to 12 (the ones passed on the stack) one slot off, so a
	// program sees the wrong values (measured in the VM test: a 12-argument
	// callback saw a7..a12 as a8..a12 and a stray slot). Six arguments all
	// travel in registers.
	MaxModuleArgs = 6
)

var cIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// cKeywords are the C keywords a member or parameter cannot be named.
var cKeywords = map[string]bool{}

func init() {
	for _, k := range []string{"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
		"else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict",
		"return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned",
		"void", "volatile", "while", "_Bool", "bool", "true", "false"} {
		cKeywords[k] = true
	}
}

// ValidationError is one problem with a spec, located where the spec allows.
type ValidationError struct {
	Pos    Pos
	Member string
	Msg    string
}

func (e *ValidationError) Error() string {
	s := e.Msg
	if e.Member != "" {
		s = "member " + e.Member + ": " + s
	}
	if p := e.Pos.String(); p != "" {
		s = p + ": " + s
	}
	return s
}

// Validate checks that the model is something every emitter can render and
// the kernel can register: names, limits, types, layout. It returns all
// problems joined, the first one first.
func Validate(o *Ops) error {
	var errs []error
	bad := func(m *Member, format string, args ...any) {
		e := &ValidationError{Pos: o.Pos, Msg: fmt.Sprintf(format, args...)}
		if m != nil {
			e.Pos, e.Member = m.Pos, m.Name
		}
		errs = append(errs, e)
	}
	if !cIdent.MatchString(o.Name) {
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
		checkName(m, m.Name, "member", seen, bad)
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
		default:
			if !o.Kernel {
				bad(m, "data member %s in a new-subsystem spec: members must be function pointers", m.Data.Decl(m.Name))
			}
		}
	}
	switch {
	case o.Instances < 0 || o.Instances > MaxInstances:
		bad(nil, "--instances %d: want 1 to %d", o.Instances, MaxInstances)
	case o.Kernel && o.Instances > 1:
		bad(nil, "--instances %d: struct %s is a kernel type: --instances is for generated modules", o.Instances, o.Name)
	}
	if o.Kernel {
		validateKernel(o, bad)
	}
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
	case !o.Kernel && len(f.Params) > MaxModuleArgs:
		bad(m, "%d arguments; a new subsystem's callback takes at most %d: the x86-64 struct_ops trampoline "+
			"(Linux 6.12) hands arguments 7-12, passed on the stack, to BPF one slot off. "+
			"Pass a struct pointer instead", len(f.Params), MaxModuleArgs)
	}
	switch f.Return.Kind {
	case Void, Bool, Int, CharPtr, StructPtr:
	default:
		bad(m, "returns %s: a callback returns void, bool, an integer or a pointer", f.Return.Describe())
	}
	seen := map[string]string{}
	for _, p := range f.Params {
		checkName(m, p.Name, "parameter", seen, bad)
		switch p.Type.Kind {
		case Bool, Int, CharPtr, StructPtr:
		case Ptr:
			if !o.Kernel {
				bad(m, "parameter %s has type %s: parameters are bool, integers, const char * or struct pointers", p.Name, p.Type.Describe())
			}
		default:
			bad(m, "parameter %s has type %s: parameters are bool, integers, const char * or struct pointers", p.Name, p.Type.Describe())
		}
		if p.Nullable && !p.Type.IsPointer() {
			bad(m, "parameter %s is marked __nullable but is not a pointer", p.Name)
		}
	}
}

// checkName rejects names that are not C identifiers, are C or Go keywords,
// or clash with another name after conversion to a Go identifier.
func checkName(m *Member, name, what string, seen map[string]string, bad func(*Member, string, ...any)) {
	switch {
	case !cIdent.MatchString(name):
		bad(m, "%s name %q is not a C identifier", what, name)
		return
	case cKeywords[name]:
		bad(m, "%s name %q is a C keyword: rename it", what, name)
	case token.IsKeyword(name):
		bad(m, "%s name %q is a Go keyword and cannot name generated Go: rename it", what, name)
	}
	g := GoName(name)
	if prev, ok := seen[g]; ok {
		if prev == name {
			bad(m, "duplicate %s name %q", what, name)
		} else {
			bad(m, "%s names %q and %q both become %s in Go: rename one", what, prev, name, g)
		}
		return
	}
	seen[g] = name
}

// GoName converts a C identifier to an exported Go one: test_1 -> Test1,
// cong_avoid -> CongAvoid.
func GoName(s string) string {
	var out []byte
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	if len(out) == 0 || (out[0] >= '0' && out[0] <= '9') {
		out = append([]byte("X"), out...)
	}
	return string(out)
}

// sortedNames returns the member names in order, for messages.
func sortedNames(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
