package model

import (
	"fmt"
	"strings"
)

// The types a spec defines and its ops struct reaches (context structs,
// their unions and enums, typedefs): the module emits them in full, so
// they are in its BTF and programs can read their fields.

// DefKind is what a TypeDef defines.
type DefKind int

// The kinds of type definition.
const (
	DefStruct DefKind = iota
	DefUnion
	DefEnum
	DefTypedef
)

var defKindNames = [...]string{"struct", "union", "enum", "typedef"}

func (k DefKind) String() string {
	if int(k) < len(defKindNames) {
		return defKindNames[k]
	}
	return fmt.Sprintf("DefKind(%d)", int(k))
}

// TypeDef is one struct, union, enum or typedef the spec defines.
type TypeDef struct {
	Kind DefKind
	// Name is the tag (struct, union, enum) or the typedef's name; "" for
	// an anonymous struct or union, which is written inline where it is
	// used (a member, or a typedef's target).
	Name  string
	Size  int // bytes
	Align int // bytes
	// Packed: the recorded offsets differ from the natural layout, so the
	// definition carries __packed.
	Packed bool
	// Fields are a struct's or union's members, in declaration order.
	Fields []FieldDef
	// Enumerators are an enum's values, in declaration order; Signed is
	// the enum's signedness by GCC's rule (signed when a value is
	// negative).
	Enumerators []Enumerator
	Signed      bool
	// Target is a typedef's aliased type.
	Target *Type
	Pos    Pos
}

// FieldDef is one member of a struct or union TypeDef.
type FieldDef struct {
	// Name is "" for an anonymous struct or union member (its Type.Def
	// has no name and is written inline).
	Name   string
	Offset int // bytes from the start of the enclosing type
	// BitOffset and Bits describe a bitfield: its first bit counted from
	// Offset*8 and its width; Bits is 0 for an ordinary member.
	BitOffset, Bits int
	Type            Type
}

// Enumerator is one enumeration constant. Value holds the bits of the
// value (two's complement for a negative value of a signed enum).
type Enumerator struct {
	Name  string
	Value uint64
}

// Ref is how C names the type: "struct hidlike_ctx", "enum x", "DrvRange".
func (d *TypeDef) Ref() string {
	switch d.Kind {
	case DefTypedef:
		return d.Name
	default:
		return d.Kind.String() + " " + d.Name
	}
}

// IsRecord reports whether d is a struct or a union.
func (d *TypeDef) IsRecord() bool { return d.Kind == DefStruct || d.Kind == DefUnion }

// Resolve follows typedefs to the definition they name, or nil when the
// typedef aliases a type that is not a spec's definition (a scalar).
func (d *TypeDef) Resolve() *TypeDef {
	for i := 0; d != nil && d.Kind == DefTypedef; i++ {
		if d.Target == nil || i > 64 {
			return nil
		}
		d = d.Target.Def
	}
	return d
}

// EnumValue spells enumerator e's value as a C constant of enum d.
func (d *TypeDef) EnumValue(e Enumerator) string {
	if d.Signed {
		v := int64(e.Value)
		switch {
		case v < -1<<31:
			return fmt.Sprintf("%dLL", v)
		case v > 1<<31-1:
			return fmt.Sprintf("%dLL", v)
		}
		return fmt.Sprint(v)
	}
	if e.Value > 1<<31-1 {
		return fmt.Sprintf("%dULL", e.Value)
	}
	return fmt.Sprint(e.Value)
}

// TypeDef returns the definition called ref ("struct x", "enum y",
// "DrvRange"), or nil.
func (o *Ops) TypeDef(ref string) *TypeDef {
	for _, d := range o.Types {
		if d.Ref() == ref {
			return d
		}
	}
	return nil
}

// DefinedStruct returns the spec's definition of the struct or union a
// struct pointer of type t points to, or nil when the spec does not
// define it (a kernel struct).
func (t Type) DefinedStruct() *TypeDef {
	if t.Kind != StructPtr {
		return nil
	}
	if d := t.Def.Resolve(); d != nil && d.IsRecord() {
		return d
	}
	return nil
}

// typesEqual reports the first difference between two lists of
// definitions, or "".
func typesEqual(a, b []*TypeDef) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d type definitions (%s) != %d (%s)", len(a), defNames(a), len(b), defNames(b))
	}
	for i := range a {
		if d := defEqual(a[i], b[i], 0); d != "" {
			return d
		}
	}
	return ""
}

func defNames(ds []*TypeDef) string {
	var ns []string
	for _, d := range ds {
		ns = append(ns, d.Ref())
	}
	return strings.Join(ns, ", ")
}

// defEqual compares two definitions' ABI: kind, name, size, and their
// fields, enumerators or target (anonymous nested records recursively).
func defEqual(a, b *TypeDef, depth int) string {
	what := a.Ref()
	switch {
	case a.Kind != b.Kind || a.Name != b.Name:
		return fmt.Sprintf("type %s != %s", what, b.Ref())
	case a.Size != b.Size:
		return fmt.Sprintf("%s: size %d != %d", what, a.Size, b.Size)
	case len(a.Fields) != len(b.Fields):
		return fmt.Sprintf("%s: %d fields != %d", what, len(a.Fields), len(b.Fields))
	case len(a.Enumerators) != len(b.Enumerators):
		return fmt.Sprintf("%s: %d enumerators != %d", what, len(a.Enumerators), len(b.Enumerators))
	case a.Kind == DefEnum && a.Signed != b.Signed:
		return fmt.Sprintf("%s: signedness differs", what)
	case (a.Target == nil) != (b.Target == nil):
		return fmt.Sprintf("%s: typedef target differs", what)
	case a.Target != nil && !a.Target.Same(*b.Target):
		return fmt.Sprintf("%s: aliases %s != %s", what, a.Target.Describe(), b.Target.Describe())
	case a.Target != nil && anonDef(*a.Target) && anonDef(*b.Target) && depth < 16:
		if d := defEqual(a.Target.Def, b.Target.Def, depth+1); d != "" {
			return what + ": " + d
		}
	}
	for i, e := range a.Enumerators {
		if f := b.Enumerators[i]; e != f {
			return fmt.Sprintf("%s: enumerator %s = %d != %s = %d", what, e.Name, e.Value, f.Name, f.Value)
		}
	}
	for i, f := range a.Fields {
		g := b.Fields[i]
		switch {
		case f.Name != g.Name:
			return fmt.Sprintf("%s: field %d: name %q != %q", what, i, f.Name, g.Name)
		case f.Offset*8+f.BitOffset != g.Offset*8+g.BitOffset || f.Bits != g.Bits:
			return fmt.Sprintf("%s: field %s: bit offset/width %d/%d != %d/%d", what, f.Name,
				f.Offset*8+f.BitOffset, f.Bits, g.Offset*8+g.BitOffset, g.Bits)
		case f.Bits > 0 && (f.Type.Kind != g.Type.Kind || f.Type.Signed != g.Type.Signed):
			// a bitfield's width is Bits; the size of its declared type
			// (or the unit a compiler reads it with) is no part of the ABI
			return fmt.Sprintf("%s: bitfield %s: %s != %s", what, f.Name, f.Type.Describe(), g.Type.Describe())
		case f.Bits == 0 && !f.Type.Same(g.Type):
			return fmt.Sprintf("%s: field %s: %s != %s", what, f.Name, f.Type.Describe(), g.Type.Describe())
		}
		// anonymous records are compared in place (named ones have their
		// own entry in the list)
		if anonDef(f.Type) && anonDef(g.Type) && depth < 16 {
			if d := defEqual(f.Type.Def, g.Type.Def, depth+1); d != "" {
				return fmt.Sprintf("%s: field %d: %s", what, i, d)
			}
		}
	}
	return ""
}

// anonDef reports whether t is an anonymous struct or union, written
// inline where it is used.
func anonDef(t Type) bool { return t.Def != nil && t.Def.Name == "" }

// LinkTypes points the struct pointer and struct by value types of the
// callbacks' parameters and returns, and of the data members, at the
// spec's definitions (Def), by the struct's name. Readers call it once Types is filled.
func (o *Ops) LinkTypes() {
	link := func(t *Type) {
		if t.Kind == Opaque && t.Def == nil {
			// a struct by value, spelled "struct foo" or by its typedef
			t.Def = o.TypeDef(t.C)
			return
		}
		if t.Kind != StructPtr || t.Def != nil {
			return
		}
		for _, ref := range []string{"struct " + t.Struct, "union " + t.Struct, t.Struct} {
			if d := o.TypeDef(ref); d != nil {
				t.Def = d
				return
			}
		}
	}
	for i := range o.Members {
		m := &o.Members[i]
		if m.Data != nil {
			link(m.Data)
		}
		if m.Func != nil {
			link(&m.Func.Return)
			for j := range m.Func.Params {
				link(&m.Func.Params[j].Type)
			}
		}
	}
}

// bitwiseTypedefs are the kernel's common typedefs declared __bitwise
// (sparse): a module converts an integer to one with a __force cast.
var bitwiseTypedefs = map[string]bool{
	"gfp_t": true, "fmode_t": true, "slab_flags_t": true, "__poll_t": true, "__le16": true, "__be16": true,
	"__sum16": true, "__le32": true, "__be32": true, "__wsum": true, "__le64": true, "__be64": true,
}

// IsBitwise reports whether the kernel typedef name is declared
// __bitwise, which BTF does not record.
func IsBitwise(name string) bool { return bitwiseTypedefs[name] }

// kernelTypedefs are the kernel's typedefs a spec may use without
// defining them (<linux/types.h> and the common ones of the kernel's
// headers): a module's BTF may carry them as its own (pahole's distilled
// base keeps no typedef), but they are never a spec's definitions.
var kernelTypedefs = map[string]bool{
	"bool": true, "s8": true, "u8": true, "s16": true, "u16": true, "s32": true, "u32": true,
	"s64": true, "u64": true, "int8_t": true, "uint8_t": true, "int16_t": true, "uint16_t": true,
	"int32_t": true, "uint32_t": true, "int64_t": true, "uint64_t": true, "u_int8_t": true,
	"u_int16_t": true, "u_int32_t": true, "u_int64_t": true, "size_t": true, "uintptr_t": true,
	"ssize_t": true, "ptrdiff_t": true, "off_t": true, "loff_t": true, "pid_t": true, "clockid_t": true,
	"uid_t": true, "gid_t": true, "umode_t": true, "mode_t": true, "dev_t": true, "nlink_t": true,
	"gfp_t": true, "fmode_t": true, "slab_flags_t": true, "sector_t": true, "blkcnt_t": true,
	"phys_addr_t": true, "dma_addr_t": true, "resource_size_t": true, "irq_hw_number_t": true,
	"atomic_t": true, "atomic64_t": true, "atomic_long_t": true, "time64_t": true, "ktime_t": true,
}

// IsKernelTypedef reports whether name is a typedef of the kernel's
// headers: a common one, or one with the reserved "__" prefix (__u32,
// __be32, __kernel_size_t).
func IsKernelTypedef(name string) bool {
	return kernelTypedefs[name] || strings.HasPrefix(name, "__")
}
