package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/structops/structops-gen/internal/kernelrules"
)

// The kernel's rules of its own struct_ops types live in one table,
// internal/kernelrules, which the runtime (bpf) shares: the generator
// checks them at generation time so a missing callback or a bad name is
// reported with its member name, not as an EINVAL from the map update at
// load time.

// KernelRules are the rules of one kernel struct_ops type.
type KernelRules = kernelrules.Type

// DataRule is what the kernel accepts in one data member.
type DataRule = kernelrules.Data

// FieldRule is one field of a kernel struct the generated package exposes.
type FieldRule struct {
	kernelrules.Field
	// Optional: a rules table field, left out where the BTF lacks it
	// (only fields the user asks for must resolve).
	Optional bool
}

// RulesFor returns the kernel's rules of a type and whether it has any
// beyond the generic ones.
func RulesFor(ops string) (KernelRules, bool) { return kernelrules.For(ops) }

// settable reports whether data member m may be set, and why not.
func (o *Ops) settable(m *Member) (DataRule, error) {
	if m.Func != nil {
		return DataRule{}, fmt.Errorf("%s is a callback, not a data member: implement it in callbacks.go", m.Name)
	}
	if r, ok := kernelrules.For(o.Name); ok {
		if dr, ok := r.Data[m.Name]; ok {
			if str := m.Data.Kind == Array && m.Data.Elem.Kind == Int && m.Data.Elem.Size == 1; str != dr.String || !str && m.Data.Kind != Int {
				return DataRule{}, fmt.Errorf("%s.%s is %s here, not what the kernel's rules expect: regenerate from the running kernel's BTF", o.Name, m.Name, m.Data.Decl(m.Name))
			}
			return dr, nil
		}
		return DataRule{}, fmt.Errorf("%s.%s (%s) is owned by the kernel and must stay zero; settable: %s",
			o.Name, m.Name, m.Data.Decl(m.Name), strings.Join(slices.Sorted(maps.Keys(r.Data)), ", "))
	}
	switch init, why := m.DataInit(); init {
	case DataCopy:
		return DataRule{}, nil
	case DataString:
		return DataRule{String: true}, nil
	default:
		if !o.Kernel {
			return DataRule{}, fmt.Errorf("%s.%s (%s) is set by the kernel, not the loader: %s; settable: %s",
				o.Name, m.Name, m.Data.Decl(m.Name), why, strings.Join(o.settableNames(), ", "))
		}
	}
	return DataRule{}, fmt.Errorf("%s.%s (%s) is not an integer or a char array and cannot be set", o.Name, m.Name, m.Data.Decl(m.Name))
}

// settableNames lists the data members --set may set ("none" when none).
func (o *Ops) settableNames() []string {
	var data []string
	for _, mm := range o.Members {
		if mm.Data != nil {
			if r, ok := kernelrules.For(o.Name); ok && o.Kernel {
				if _, ok := r.Data[mm.Name]; !ok {
					continue
				}
			} else if init, _ := mm.DataInit(); init == DataKernel {
				continue
			}
			data = append(data, mm.Name)
		}
	}
	if len(data) == 0 {
		return []string{"none"}
	}
	return data
}

// setErr is an error of data member assignment input (as given: a name,
// name=value or the quoted assignment) of kind ErrSet; cause, when not
// nil, is what the value broke.
func setErr(input, msg string, cause error) error {
	kind := ErrSet
	if cause != nil {
		kind = fmt.Errorf("%w: %w", ErrSet, cause)
	}
	return &Error{Err: kind, Subject: "data member " + input, Input: input, Msg: msg}
}

// membersErr is an error of callback selection input, of kind ErrMembers.
func membersErr(input, msg string) error {
	return &Error{Err: ErrMembers, Subject: "callback " + input, Input: input, Msg: msg}
}

// Set parses one data member assignment "member=value" and stores the member's
// bytes, as the kernel reads them, in o.Data: a char array takes a string
// that fits with its NUL, an integer member a number (decimal, 0x hex)
// that fits its width and, where the kernel restricts it, its allowed bits.
func (o *Ops) Set(assign string) error {
	name, value, ok := strings.Cut(assign, "=")
	if !ok || name == "" {
		return setErr(strconv.Quote(assign), "want member=value, e.g. name=gocc", nil)
	}
	m := o.Member(name)
	if m == nil {
		return setErr(name, fmt.Sprintf("struct %s has no member %s; settable: %s", o.Name, name, strings.Join(o.settableNames(), ", ")), nil)
	}
	rule, err := o.settable(m)
	if err != nil {
		return setErr(name, err.Error(), err)
	}
	if rule.Enum != "" {
		values, ok := o.Enums[rule.Enum]
		if !ok {
			return setErr(name, fmt.Sprintf("the BTF has no enum %s, which holds the bits %s.%s allows: read a kernel's BTF with %s", rule.Enum, o.Name, name, o.Name), nil)
		}
		rule.Bits = rule.EnumBits(values)
	}
	b, err := encodeData(m, rule, value)
	if err != nil && rule.Enum != "" {
		err = fmt.Errorf("%w (the bits of enum %s in %s)", err, rule.Enum, o.Source)
	}
	if err != nil {
		return setErr(name+"="+value, err.Error(), err)
	}
	if o.Data == nil {
		o.Data = map[string][]byte{}
	}
	o.Data[name] = b
	return nil
}

func encodeData(m *Member, rule DataRule, value string) ([]byte, error) {
	t := m.Data
	if t.Kind == Array {
		if err := rule.CheckString(value, t.Size, t.Decl(m.Name)); err != nil {
			return nil, err
		}
		return []byte(value), nil
	}
	if t.Kind == Bool {
		b, err := strconv.ParseBool(value)
		if err != nil {
			return nil, fmt.Errorf("not a bool (0/1, true/false)")
		}
		if b {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	}
	bits := 8 * t.Size
	var u uint64
	if t.Signed {
		v, err := strconv.ParseInt(value, 0, bits)
		if err != nil {
			return nil, fmt.Errorf("not a %s: %w", t.Describe(), errors.Unwrap(err))
		}
		u = uint64(v)
	} else {
		v, err := strconv.ParseUint(value, 0, bits)
		if err != nil {
			return nil, fmt.Errorf("not a %s (0 to %d): %w", t.Describe(), ^uint64(0)>>(64-bits), errors.Unwrap(err))
		}
		u = v
	}
	if err := rule.CheckInt(u); err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, u)
	return b[:t.Size], nil
}

// Select sets the callbacks to implement. For a kernel type with rules and
// no explicit list, that is the required callbacks (the first of each
// group of alternatives); an explicit list is taken as it is and checked by
// Validate. For other types nil keeps every callback.
func (o *Ops) Select(members []string) error {
	if len(members) == 0 {
		if r, ok := kernelrules.For(o.Name); ok && o.Kernel {
			if r.Default != nil {
				for _, n := range r.Default {
					if o.Member(n) != nil {
						o.Implemented = append(o.Implemented, n)
					}
				}
				return nil
			}
			for _, g := range r.Required {
				o.Implemented = append(o.Implemented, g[0])
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, n := range members {
		m := o.Member(n)
		var cbs []string
		for _, c := range o.Callbacks() {
			cbs = append(cbs, c.Name)
		}
		switch {
		case m == nil:
			return membersErr(n, fmt.Sprintf("struct %s has no callback %s; callbacks: %s", o.Name, n, strings.Join(cbs, ", ")))
		case m.Func == nil:
			return membersErr(n, fmt.Sprintf("%s.%s is a data member: set it (%s=VALUE)", o.Name, n, n))
		case seen[n]:
			return membersErr(n, "listed twice")
		}
		seen[n] = true
		o.Implemented = append(o.Implemented, n)
	}
	return nil
}

// Implements reports whether callback name gets a program.
func (o *Ops) Implements(name string) bool {
	if o.Implemented == nil {
		return true
	}
	for _, n := range o.Implemented {
		if n == name {
			return true
		}
	}
	return false
}

// ImplementedCallbacks returns the callbacks that get a program, in struct
// order.
func (o *Ops) ImplementedCallbacks() []Member {
	var out []Member
	for _, m := range o.Callbacks() {
		if o.Implements(m.Name) {
			out = append(out, m)
		}
	}
	return out
}

// validateKernel checks a kernel type's selection and data against its
// rules.
func validateKernel(o *Ops, bad func(*Member, string, ...any)) {
	r, _ := kernelrules.For(o.Name)
	for _, g := range r.Required {
		found := false
		for _, n := range g {
			found = found || o.Implements(n)
		}
		if !found {
			what := g[0]
			if len(g) > 1 {
				what = "one of " + strings.Join(g, ", ")
			}
			bad(nil, "struct %s requires callback %s (%s): add it to the callbacks to implement", o.Name, what, r.Source)
		}
	}
	for _, n := range r.Unsupported {
		if o.Implements(n) && o.Member(n) != nil {
			bad(o.Member(n), "the kernel refuses a BPF implementation of %s.%s (the map update fails: %s): drop it from the callbacks to implement", o.Name, n, r.Source)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Data)) {
		if r.Data[name].Required && len(o.Data[name]) == 0 {
			bad(o.Member(name), "struct %s requires %s (%s): set %s=VALUE", o.Name, name, r.Data[name].Doc, name)
		}
	}
	for _, f := range o.Fields {
		if f.Err != "" {
			bad(nil, "field %s: %s", f.Path, f.Err)
		}
	}
}

// Field is one integer field of a kernel struct that the programs read (or
// write) through a struct pointer argument: resolved from BTF at generation
// time, emitted as constants, and checked again against the running
// kernel's BTF at load time.
type Field struct {
	Path     string // "tcp_sock.snd_cwnd": the struct, then the member path
	Struct   string
	Member   string // the path below the struct: "snd_cwnd", "inet_conn.icsk_ca_state"
	Offset   int    // bytes from the start of the struct
	Size     int    // 1, 2, 4 or 8
	Signed   bool
	Writable bool   // the type's btf_struct_access lets its programs write it
	Pointer  bool   // a pointer, loaded as a u64 (Size 8)
	Err      string // why it could not be resolved; Validate reports it
}

// GoName is the Go identifier of the field's descriptor: tcp_sock.snd_cwnd
// -> TcpSockSndCwnd.
func (f Field) GoName() string { return GoName(strings.ReplaceAll(f.Path, ".", "_")) }

// FieldPaths returns the field paths for o: the rules' and extra, deduplicated,
// with whether each is writable.
func FieldPaths(o *Ops, extra []string) []FieldRule {
	var out []FieldRule
	seen := map[string]bool{}
	r, _ := kernelrules.For(o.Name)
	for _, f := range r.Fields {
		seen[f.Path] = true
		out = append(out, FieldRule{Field: f, Optional: !f.Required})
	}
	for _, p := range extra {
		if !seen[p] {
			seen[p] = true
			out = append(out, FieldRule{Field: kernelrules.Field{Path: p}})
		}
	}
	return out
}

// EnumNames are the kernel enums the data rules of o name
// (kernelrules.Data.Enum), sorted: a reader fills Ops.Enums with them.
func EnumNames(o *Ops) []string {
	var names []string
	if r, ok := kernelrules.Members(o.Name); ok {
		for _, d := range r {
			if d.Enum != "" && !slices.Contains(names, d.Enum) {
				names = append(names, d.Enum)
			}
		}
	}
	slices.Sort(names)
	return names
}

// The names the sched_ext default bodies share in callbacks.go.
const (
	DeclSharedDSQ = "SharedDSQ" // const: the id of the shared dispatch queue
	DeclSliceDfl  = "SliceDfl"  // const: SCX_SLICE_DFL
	DeclDSQLocal  = "DSQLocal"  // var: SCX_DSQ_LOCAL as an ld_imm64 immediate
	DeclExitInfo  = "ExitInfo"  // var: the exit-info map (sasm.NewExitInfo)
)

// bodyDecls are the names the default bodies of the implemented callbacks
// declare once in callbacks.go, in the order it declares them.
func bodyDecls(o *Ops) []string {
	var consts, exit bool
	for _, m := range o.ImplementedCallbacks() {
		switch m.Body {
		case "":
		case "scx_exit_record":
			exit = true
		default:
			consts = true
		}
	}
	var out []string
	if consts {
		out = append(out, DeclSharedDSQ, DeclSliceDfl, DeclDSQLocal)
	}
	if exit {
		out = append(out, DeclExitInfo)
	}
	return out
}

// kernelBody is the default body the rules give callback member of a
// kernel type, and whether the kernel lets it sleep.
func (o *Ops) kernelBody(member string) (string, bool) {
	if !o.Kernel {
		return "", false
	}
	r, _ := kernelrules.For(o.Name)
	return r.Bodies[member], slices.Contains(r.Sleepable, member)
}

// delegate is the kfunc a default body of callback member calls (the
// kernel's own implementation), or "".
func (o *Ops) delegate(member string) string {
	if !o.Kernel {
		return ""
	}
	r, _ := kernelrules.For(o.Name)
	return r.Delegate[member]
}
