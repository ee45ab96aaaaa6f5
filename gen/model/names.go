package model

import (
	_ "embed"
	"fmt"
	"go/token"
	"strings"
	"sync"
)

// The one identifier checker: every name a spec gives (the ops struct, its
// members and parameters) goes through CheckName (C identifier, C and Go
// keywords) and, for a generated module, moduleNameProblem (reserved names
// and the kernel's macros); Go declaration clashes are validateGoNames'.

// cKeywords are the C keywords (C11, C23 and GNU) a member or parameter
// may not be named.
var cKeywords = map[string]bool{
	"auto": true, "break": true, "case": true, "char": true, "const": true, "continue": true,
	"default": true, "do": true, "double": true, "else": true, "enum": true, "extern": true,
	"float": true, "for": true, "goto": true, "if": true, "inline": true, "int": true, "long": true,
	"register": true, "restrict": true, "return": true, "short": true, "signed": true, "sizeof": true,
	"static": true, "struct": true, "switch": true, "typedef": true, "union": true, "unsigned": true,
	"void": true, "volatile": true, "while": true, "_Alignas": true, "_Alignof": true, "_Atomic": true,
	"_Bool": true, "_Complex": true, "_Generic": true, "_Imaginary": true, "_Noreturn": true,
	"_Static_assert": true, "_Thread_local": true, "alignas": true, "alignof": true, "bool": true,
	"constexpr": true, "false": true, "nullptr": true, "static_assert": true, "thread_local": true,
	"true": true, "typeof": true, "typeof_unqual": true, "asm": true,
}

// IsIdent reports whether s is an ASCII C identifier.
func IsIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// CheckName checks a member or parameter name (what says which): a portable
// C identifier, no C keyword and, for a member, no Go keyword. The error is an *Error of kind
// ErrName without a position; clashes after GoName are Validate's.
func CheckName(name, what string) error {
	msg := ""
	switch {
	case name == "":
		msg = fmt.Sprintf("%s has no name", what)
	case !IsIdent(name):
		msg = fmt.Sprintf("%s name %q is not a portable C identifier (letters, digits and _ only): rename it", what, name)
	case cKeywords[name]:
		msg = fmt.Sprintf("%s name %s is a C keyword: rename it", what, name)
	case token.IsKeyword(name) && what != "parameter":
		// a parameter's name appears in the generated Go only in
		// comments and strings (a kfunc's Go parameters escape it)
		msg = fmt.Sprintf("%s name %s is a Go keyword: rename it (the generated Go code uses it as an identifier)", what, name)
	default:
		return nil
	}
	return &Error{Msg: msg, Err: ErrName}
}

// checkName rejects names that are not C identifiers, are C or Go keywords,
// or clash with another name after conversion to a Go identifier. For a
// generated module (not a kernel type) it also rejects the names the
// module's C would not compile with: reserved identifiers and the kernel's
// macros.
func checkName(o *Ops, m *Member, name, what string, seen map[string]string, bad func(*Member, string, ...any)) {
	if err := CheckName(name, what); err != nil {
		bad(m, "%s", err.(*Error).Msg)
		if !IsIdent(name) {
			return
		}
	} else if !o.Kernel {
		if msg := moduleNameProblem(name, what == "member"); msg != "" {
			bad(m, "%s name %q %s", what, name, msg)
		}
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

// kernelMacrosText lists the macros the generated module's #includes define:
// one name a line, "name(" for a function-like macro. See the file's header
// for how it is made (TestKernelMacros keeps it current).
//
//go:embed kernel_macros.txt
var kernelMacrosText string

// kernelMacros maps a macro name to whether it is function-like.
var kernelMacros = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(kernelMacrosText, "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		name, fn := strings.CutSuffix(line, "(")
		out[name] = fn
	}
	return out
})

// moduleNameProblem says why a member (or parameter) name would break the
// generated module's C, or "". The module calls a member as
// ops->name(...), so a function-like macro of that name expands there; an
// object-like macro expands wherever the name appears.
func moduleNameProblem(name string, member bool) string {
	const fix = ": rename the " // + what
	what := "parameter"
	if member {
		what = "member"
	}
	switch {
	case reservedName(name):
		return "is reserved in C (names starting with __ or _ and a capital letter belong to the compiler and the kernel's macros such as __user, __init)" + fix + what
	case strings.HasPrefix(name, "CONFIG_"):
		return "is a kernel configuration macro name (CONFIG_*)" + fix + what
	case len(name) > 1 && strings.ToUpper(name) == name && strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
		return "is all capitals, the kernel's spelling of its macros (NULL, BUG_ON, ARRAY_SIZE, PAGE_SIZE), which the module's C would expand" + fix + what + " in lower case"
	}
	fn, ok := kernelMacros()[name]
	switch {
	case !ok:
		return ""
	case !fn:
		return "is a macro of the kernel headers the module includes (#define " + name + " ...): the module would not compile" + fix + what
	}
	// a function-like macro expands only where its name is followed by
	// '(': the module calls such a member as (ops->name)(...)
	return ""
}

// IsFunctionMacro reports whether name is a function-like macro of the
// kernel headers a generated module includes (min, max, swap, prefetch).
func IsFunctionMacro(name string) bool { return kernelMacros()[name] }

// reservedName reports whether C reserves name for the implementation.
func reservedName(name string) bool {
	return strings.HasPrefix(name, "__") || len(name) > 1 && name[0] == '_' && name[1] >= 'A' && name[1] <= 'Z'
}

// moduleNameRule reports whether moduleNameProblem refuses name by rule,
// without looking it up in kernel_macros.txt.
func moduleNameRule(name string) bool {
	return reservedName(name) || strings.HasPrefix(name, "CONFIG_") ||
		len(name) > 1 && strings.ToUpper(name) == name && strings.ContainsAny(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
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

// GoPackage is the Go package name of an ops type: bpf_testmod_ops ->
// bpftestmodops.
func GoPackage(ops string) string {
	p := strings.ToLower(strings.ReplaceAll(ops, "_", ""))
	if p == "" || p[0] >= '0' && p[0] <= '9' {
		p = "ops" + p
	}
	return p
}

// Closest returns the name of names closest to name by edit distance, if
// it is close enough to suggest ("did you mean"), or "".
func Closest(name string, names []string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= len(name)/2+1 {
		return best
	}
	return ""
}

// EditDistance is the Levenshtein distance of a and b.
func EditDistance(a, b string) int { return editDistance(a, b) }

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// IsCKeyword reports whether s is a C keyword (C11, C23 or GNU).
func IsCKeyword(s string) bool { return cKeywords[s] }
