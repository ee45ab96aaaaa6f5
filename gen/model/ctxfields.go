package model

import "strings"

// The fields of the context structs: the structs a spec defines and its
// callbacks take by pointer. Programs read them through the generated
// field descriptors (Ops.Fields), the trigger fills their integer fields
// from a "{v1 v2 ...}" group, and the default body adds those to its sum.

// Leaf is one scalar field of a context struct, at any depth.
type Leaf struct {
	// Member is the path below the struct ("index", "range.start"); the
	// fields of anonymous members are named as C names them ("retval").
	Member string
	Offset int // bytes from the start of the struct
	Type   Type
}

// Leaves lists the integer, bool and enum fields of record d in
// declaration order, descending into nested structs and unions; with
// first, a union contributes its first member only (the trigger's and the
// default body's fields), else all of them (the field descriptors).
// Bitfields, pointers and arrays are left out.
func Leaves(d *TypeDef, first bool) []Leaf {
	var out []Leaf
	var walk func(d *TypeDef, prefix string, off, depth int)
	walk = func(d *TypeDef, prefix string, off, depth int) {
		if depth > 16 {
			return
		}
		for i, f := range d.Fields {
			if first && d.Kind == DefUnion && i > 0 {
				break
			}
			path := prefix
			if f.Name != "" {
				path += f.Name
			}
			t := f.Type
			switch {
			case f.Bits > 0:
			case t.IsScalar():
				out = append(out, Leaf{Member: path, Offset: off + f.Offset, Type: t})
			case t.Kind == Opaque:
				if in := t.Def.Resolve(); in != nil && in.IsRecord() {
					next := path
					if f.Name != "" {
						next += "."
					}
					walk(in, next, off+f.Offset, depth+1)
				}
			}
		}
	}
	walk(d, "", 0, 0)
	return out
}

// contextFields are the field descriptors of the context structs the
// callbacks take, in parameter order (each struct once): one per leaf.
func contextFields(o *Ops) []Field {
	var out []Field
	seen := map[string]bool{}
	for _, m := range o.Callbacks() {
		for _, p := range m.Func.Params {
			d, name := p.Type.ContextStruct(), p.Type.Struct
			if d == nil || seen[name] {
				continue
			}
			seen[name] = true
			for _, l := range Leaves(d, false) {
				out = append(out, Field{Path: name + "." + l.Member, Struct: name, Member: l.Member,
					Offset: l.Offset, Size: l.Type.Size, Signed: l.Type.Signed})
			}
		}
	}
	return out
}

// FieldGoName is the Go name of the descriptor of field member of struct
// st (as Field.GoName).
func FieldGoName(st, member string) string {
	return GoName(strings.ReplaceAll(st+"."+member, ".", "_"))
}

// ContextStruct returns the definition of the struct a parameter of type
// t points to when it is a context struct: a struct the spec defines,
// tagged (struct foo *) or a typedef of an anonymous struct (typedef
// struct { ... } foo_t; foo_t *), which the trigger fills from "{...}"
// and whose fields have descriptors; else nil. t.Struct names it: the
// tag, or the typedef, which is how the module's BTF names it too.
func (t Type) ContextStruct() *TypeDef {
	d := t.DefinedStruct()
	if d == nil || d.Kind != DefStruct || t.Struct == "" {
		return nil
	}
	if d.Name != "" || t.Def.Kind == DefTypedef && t.Def.Name == t.Struct {
		return d
	}
	return nil
}

// ValueStruct returns the definition of a struct the spec defines that a
// parameter of type t passes by value (at most 16 bytes), when the
// program can read each of its fields (Leaves, first union members) with
// sasm's ArgField, at an offset that is a multiple of its size; else nil.
// The trigger fills it from "{...}" and the default body adds its fields.
func (t Type) ValueStruct() *TypeDef {
	if t.Kind != Opaque || t.Size < 1 || t.Size > 16 {
		return nil
	}
	d := t.Def.Resolve()
	if d == nil || d.Kind != DefStruct {
		return nil
	}
	for _, l := range Leaves(d, true) {
		if s := l.Type.Size; s != 1 && s != 2 && s != 4 && s != 8 || l.Offset%s != 0 {
			return nil
		}
	}
	return d
}

// GroupStruct returns the definition of the struct a parameter of type t
// is or points to when the trigger fills it from "{v1 v2 ...}" and the
// default body adds its fields: a context struct (ContextStruct) or a
// struct by value (ValueStruct); else nil.
func (t Type) GroupStruct() *TypeDef {
	if d := t.ContextStruct(); d != nil {
		return d
	}
	return t.ValueStruct()
}

// Pointee spells the struct a context struct pointer t points to in C:
// "struct foo" for a tagged struct, the typedef's name for a typedef of
// an anonymous struct.
func (t Type) Pointee() string {
	if t.Def != nil && t.Def.Kind == DefTypedef && t.Def.Name == t.Struct {
		return t.Struct
	}
	return "struct " + t.Struct
}
