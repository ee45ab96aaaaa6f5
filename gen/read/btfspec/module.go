package btfspec

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
)

// A module's BTF is a whole spec: the ops struct, the callbacks' prototypes,
// the CFI stubs' parameter names and the definitions of the types the
// module itself defines. ReadModule reads it as a new subsystem, so that
// the module can be generated again.

// knownByValue are the kernel structs a generated header may hold by
// value: <linux/types.h>, which it includes, defines them.
var knownByValue = map[string]bool{
	"struct list_head": true, "struct hlist_head": true, "struct hlist_node": true,
	"struct callback_head": true, "atomic_t": true, "atomic64_t": true,
}

// ReadModule builds the model of struct name from a module's BTF as a new
// subsystem (Kernel false), with the definitions of the structs, unions,
// enums and typedefs the module's own (split) BTF defines and the ops
// struct reaches: the model a module is generated from. Every problem is
// reported at once, one line each.
func ReadModule(f *File, name string) (*model.Ops, error) {
	first := firstOwnID(f.Spec)
	if f.Module == "" || first == 0 {
		return nil, fmt.Errorf("%s: not a module's BTF: a module is generated again from the BTF of a .ko "+
			"(or /sys/kernel/btf/<module>); the kernel's own types are read without --emit-module", f.Path)
	}
	o, err := Read(f, name)
	if o == nil {
		return nil, err
	}
	var st *btf.Struct
	if err := f.Spec.TypeByName(name, &st); err != nil {
		return nil, fmt.Errorf("%s: struct %s: %w", f.Path, name, err)
	}
	c := &btfDefs{spec: f.Spec, first: first, ops: st, byType: map[btf.Type]*model.TypeDef{}}
	if err != nil {
		c.errs = append(c.errs, err) // the callbacks' problems
	}
	for i, m := range st.Members {
		mem := &o.Members[i]
		c.where = fmt.Sprintf("%s: struct %s: member %s", f.Path, name, mem.Name)
		if fp, ok := funcProto(m.Type); ok {
			if mem.Func == nil {
				continue // refused above
			}
			mem.Func.Return = c.typeOf(fp.Return, 0)
			for j, p := range fp.Params {
				mem.Func.Params[j].Type = c.typeOf(p.Type, 0)
			}
			markBitwise(&mem.Func.Return)
			for j := range mem.Func.Params {
				markBitwise(&mem.Func.Params[j].Type)
			}
			continue
		}
		if m.BitfieldSize > 0 {
			c.errs = append(c.errs, fmt.Errorf("%s: a bitfield in the ops struct: the kernel copies "+
				"whole members: make it a plain integer", c.where))
			continue
		}
		t := c.typeOf(m.Type, 0)
		markBitwise(&t)
		mem.Data = &t
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	o.Types = c.out
	o.LinkTypes()
	o.Kernel, o.KernelModule, o.FromBTF = false, "", true
	// the file's name, not its path: a module generated again from its
	// own build reads the same
	o.Source = "BTF of " + filepath.Base(f.Path)
	return o, nil
}

// firstOwnID is the first type ID of split BTF (the types its module
// defines; the base's come before), or 0 for BTF that stands alone.
func firstOwnID(spec *btf.Spec) btf.TypeID {
	for t, err := range spec.All() {
		if err != nil {
			return 0
		}
		id, err := spec.TypeID(t)
		if err != nil {
			return 0
		}
		return id
	}
	return 0
}

func markBitwise(t *model.Type) {
	if t.Kind == model.Int && model.IsBitwise(t.C) {
		t.Bitwise = true
	}
}

// btfDefs collects the definitions reachable from the ops struct, in the
// order the header reader does (gen/read/header), so that a module and
// the spec it was generated from read back alike: a struct's by-value and
// pointed-to definitions before it, a typedef of a tagged record before
// the record.
type btfDefs struct {
	spec   *btf.Spec
	first  btf.TypeID
	ops    *btf.Struct
	where  string // the member being walked, for errors
	byType map[btf.Type]*model.TypeDef
	out    []*model.TypeDef
	errs   []error
	// named are the anonymous structs and unions the module's typedefs
	// name: the module's own even when split BTF's dedup maps one to an
	// identical anonymous type of the base (typedef struct { u64 a, b; }
	// x_t; meets many in vmlinux)
	named map[btf.Type]bool
}

// own reports whether the module's split BTF defines t: not the base, not
// the ops struct (the module emits it by itself), and not a kernel
// typedef (a distilled base, pahole's .BTF.base, leaves those to the
// split BTF).
func (c *btfDefs) own(t btf.Type) bool {
	if t == btf.Type(c.ops) {
		return false
	}
	if td, ok := t.(*btf.Typedef); ok && model.IsKernelTypedef(td.Name) {
		return false
	}
	id, err := c.spec.TypeID(t)
	return err == nil && id >= c.first
}

// typeOf maps a BTF type to the model, collecting the module's
// definitions it names.
func (c *btfDefs) typeOf(t btf.Type, depth int) model.Type {
	if depth > maxTypeDepth {
		return model.Type{Kind: model.Opaque, C: "void"}
	}
	if td, ok := unqual(t).(*btf.Typedef); ok && c.own(td) {
		mt := c.typedef(td, depth)
		if q := cSpell(t); q != td.Name && strings.HasSuffix(q, " "+td.Name) {
			mt.C = q // const x_t
		}
		return mt
	}
	return c.underlying(t, depth)
}

// underlying is typeOf for the type a typedef names, looking through
// the kernel's typedefs.
func (c *btfDefs) underlying(t btf.Type, depth int) model.Type {
	mt := btfTypeDepth(t, depth)
	switch u := btf.UnderlyingType(t).(type) {
	case *btf.Enum:
		if c.own(u) {
			mt.Def = c.enum(u)
			if u.Name == "" && !isTypedef(t) {
				mt.C = ""
			}
		}
	case *btf.Struct, *btf.Union:
		if c.own(u) || c.named[u] {
			mt.Def = c.record(u, depth)
			if u.TypeName() == "" && !isTypedef(t) {
				mt.C = ""
			}
		} else if !knownByValue[cSpell(unqual(t))] {
			c.errs = append(c.errs, fmt.Errorf("%s: %s is a kernel type used by value: its header is not known: "+
				"hold a pointer to it", c.where, cSpell(unqual(t))))
		}
	case *btf.Array:
		e := c.typeOf(u.Type, depth+1)
		mt.Elem = &e
	case *btf.Pointer:
		target := unqual(u.Target)
		if _, ok := btf.UnderlyingType(target).(*btf.FuncProto); ok {
			return mt
		}
		var et model.Type
		if c.own(target) {
			et = c.typeOf(u.Target, depth+1) // collects what it points to
		}
		switch tt := btf.UnderlyingType(target).(type) {
		case *btf.Struct:
			mt.Def = et.Def // a typedef'd anonymous struct: named by its typedef
		case *btf.Union:
			mt.Struct, mt.Def = tt.Name, et.Def
		}
	}
	return mt
}

func isTypedef(t btf.Type) bool {
	_, ok := unqual(t).(*btf.Typedef)
	return ok
}

// typedef collects the module's typedef td.
func (c *btfDefs) typedef(td *btf.Typedef, depth int) model.Type {
	def := c.byType[td]
	if def == nil {
		def = &model.TypeDef{Kind: model.DefTypedef, Name: td.Name, Size: sizeof(td), Align: alignof(td, 0)}
		c.byType[td] = def
		switch u := btf.UnderlyingType(td.Type).(type) {
		case *btf.Struct, *btf.Union:
			if u.TypeName() != "" {
				// typedef struct x x_t: emitted before struct x, which
				// may use x_t
				c.out = append(c.out, def)
				target := c.typeOf(td.Type, depth+1)
				def.Target = &target
				break
			}
			if c.named == nil {
				c.named = map[btf.Type]bool{}
			}
			c.named[u] = true
			target := c.typeOf(td.Type, depth+1)
			def.Target = &target
			c.out = append(c.out, def)
		default:
			target := c.typeOf(td.Type, depth+1)
			def.Target = &target
			c.out = append(c.out, def)
		}
	}
	mt := btfTypeDepth(td, depth)
	mt.C, mt.Def = td.Name, def
	return mt
}

// enum collects the module's enum e (written inline when anonymous).
func (c *btfDefs) enum(e *btf.Enum) *model.TypeDef {
	if d := c.byType[e]; d != nil {
		return d
	}
	d := &model.TypeDef{Kind: model.DefEnum, Name: e.Name, Size: max(int(e.Size), 4), Signed: e.Signed}
	d.Align = d.Size
	for _, v := range e.Values {
		d.Enumerators = append(d.Enumerators, model.Enumerator{Name: v.Name, Value: v.Value})
	}
	c.byType[e] = d
	if e.Name != "" {
		c.out = append(c.out, d)
	}
	return d
}

// record collects the module's struct or union t: what its fields hold
// and point to first, then itself (when named).
func (c *btfDefs) record(t btf.Type, depth int) *model.TypeDef {
	if d := c.byType[t]; d != nil {
		return d
	}
	var members []btf.Member
	d := &model.TypeDef{Kind: model.DefStruct, Size: sizeof(t), Align: alignof(t, 0)}
	switch u := t.(type) {
	case *btf.Struct:
		d.Name, members = u.Name, u.Members
	case *btf.Union:
		d.Kind, d.Name, members = model.DefUnion, u.Name, u.Members
	}
	c.byType[t] = d // before the fields: a pointer to itself is no dependency
	where := c.where
	defer func() { c.where = where }()
	end := 0 // bits
	for _, m := range members {
		c.where = fmt.Sprintf("%s: %s: field %s", where, strings.TrimSpace(d.Kind.String()+" "+d.Name), m.Name)
		fd := model.FieldDef{Name: m.Name, Offset: int(m.Offset) / 8}
		fd.Type = c.typeOf(m.Type, depth+1)
		if m.BitfieldSize > 0 {
			unit := max(sizeof(m.Type), 1) * 8
			fd.Offset = int(m.Offset) / unit * unit / 8
			fd.BitOffset, fd.Bits = int(m.Offset)-fd.Offset*8, int(m.BitfieldSize)
			end = max(end, int(m.Offset)+fd.Bits)
			d.Fields = append(d.Fields, fd)
			continue
		}
		if d.Kind == model.DefStruct {
			al := max(alignof(m.Type, 0), 1)
			if natural := ((end+7)/8 + al - 1) / al * al; fd.Offset != natural || int(m.Offset)%8 != 0 {
				d.Packed = true
			}
			end = int(m.Offset) + 8*sizeof(m.Type)
		}
		d.Fields = append(d.Fields, fd)
	}
	if d.Name != "" {
		c.out = append(c.out, d)
	}
	return d
}

// alignof is the natural alignment of t on x86-64, as GCC lays it out.
func alignof(t btf.Type, depth int) int {
	if depth > maxTypeDepth {
		return 1
	}
	switch u := btf.UnderlyingType(t).(type) {
	case *btf.Int:
		return min(max(int(u.Size), 1), 16)
	case *btf.Enum:
		return max(int(u.Size), 1)
	case *btf.Pointer:
		return 8
	case *btf.Array:
		return alignof(u.Type, depth+1)
	case *btf.Struct:
		return membersAlign(u.Members, depth)
	case *btf.Union:
		return membersAlign(u.Members, depth)
	}
	return 1
}

func membersAlign(ms []btf.Member, depth int) int {
	a := 1
	for _, m := range ms {
		a = max(a, alignof(m.Type, depth+1))
	}
	return a
}
