package header

import (
	"strings"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// The definitions the spec makes and the ops struct reaches (context
// structs, their unions and enums, typedefs): read into model.Types so the
// module emits them in full and they are in its BTF.

// hdrSpecFile reports whether a source name is the spec or a file it
// includes by a quoted include, not the prelude or a system header.
func hdrSpecFile(name string) bool {
	return name != "" && name != hdrPreludeName && name != hdrEndName && !strings.HasPrefix(name, hdrSysDir)
}

// hdrDefs collects the definitions reachable from the ops struct.
type hdrDefs struct {
	// defined holds "struct x", "union y" for the records with a body in
	// a spec file (also nested in other definitions).
	defined map[string]bool
	// constDecls are the members declared with const in their
	// specifiers (cc/v4 drops that qualifier from the field's type).
	constDecls map[*cc.Declarator]bool
	byRef      map[string]*model.TypeDef
	out        []*model.TypeDef
	errs       []error
	// inField: the type being walked is a field's, held by value (not a
	// parameter's, nor one a pointer points to)
	inField bool
}

// field is typeOf for the type of a struct's field.
func (c *hdrDefs) field(t cc.Type, depth int) model.Type {
	saved := c.inField
	c.inField = true
	defer func() { c.inField = saved }()
	return c.typeOf(t, depth)
}

// pointee is typeOf for the type a pointer points to.
func (c *hdrDefs) pointee(t cc.Type, depth int) model.Type {
	saved := c.inField
	c.inField = false
	defer func() { c.inField = saved }()
	return c.typeOf(t, depth)
}

// hdrDefinedRecords lists the tagged structs and unions defined with a body
// in spec files, at file scope and nested in other definitions.
func hdrDefinedRecords(ast *cc.AST) (map[string]bool, map[*cc.Declarator]bool) {
	out, consts := map[string]bool{}, map[*cc.Declarator]bool{}
	var spec func(s *cc.StructOrUnionSpecifier)
	spec = func(s *cc.StructOrUnionSpecifier) {
		if s == nil || s.Case != cc.StructOrUnionSpecifierDef || !hdrSpecFile(s.Position().Filename) {
			return
		}
		if tag := s.Token.SrcStr(); tag != "" && s.StructOrUnion != nil {
			kw := "struct "
			if s.StructOrUnion.Case == cc.StructOrUnionUnion {
				kw = "union "
			}
			out[kw+tag] = true
		}
		for l := s.StructDeclarationList; l != nil; l = l.StructDeclarationList {
			if sd := l.StructDeclaration; sd != nil {
				if hdrSpecHasConst(sd.SpecifierQualifierList) {
					for dl := sd.StructDeclaratorList; dl != nil; dl = dl.StructDeclaratorList {
						if dl.StructDeclarator != nil && dl.StructDeclarator.Declarator != nil {
							consts[dl.StructDeclarator.Declarator] = true
						}
					}
				}
				for q := sd.SpecifierQualifierList; q != nil; q = q.SpecifierQualifierList {
					if ts := q.TypeSpecifier; ts != nil {
						spec(ts.StructOrUnionSpecifier)
					}
				}
			}
		}
	}
	for tu := ast.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed == nil || ed.Case != cc.ExternalDeclarationDecl || ed.Declaration == nil {
			continue
		}
		for ds := ed.Declaration.DeclarationSpecifiers; ds != nil; ds = ds.DeclarationSpecifiers {
			if ts := ds.TypeSpecifier; ts != nil {
				spec(ts.StructOrUnionSpecifier)
			}
		}
	}
	return out, consts
}

// hdrCollectTypes fills ops.Types with the definitions the ops struct st
// reaches, in emission order, and links the callbacks' struct pointer
// types to them.
func hdrCollectTypes(ast *cc.AST, st *hdrStruct, ops *model.Ops) error {
	c := &hdrDefs{byRef: map[string]*model.TypeDef{}}
	c.defined, c.constDecls = hdrDefinedRecords(ast)
	c.defined["struct "+st.name] = false // the ops struct is emitted by itself
	for i := 0; i < st.typ.NumFields(); i++ {
		f := st.typ.FieldByIndex(i)
		if f == nil {
			continue
		}
		t := f.Type()
		if p, ok := t.(*cc.PointerType); ok {
			if fn, ok := p.Elem().(*cc.FunctionType); ok {
				c.typeOf(fn.Result(), 0)
				for _, p := range fn.Parameters() {
					c.typeOf(p.Type(), 0)
				}
				continue
			}
		}
		mt := c.typeOf(t, 0)
		if m := ops.Member(f.Name()); m != nil && m.Data != nil {
			*m.Data = mt
		}
	}
	ops.Types = c.out
	ops.LinkTypes()
	if len(c.errs) > 0 {
		return c.errs[0]
	}
	return nil
}

// isDefined reports whether the spec defines the record or enum t.
func (c *hdrDefs) isDefined(t cc.Type) bool {
	switch x := t.(type) {
	case *cc.StructType:
		return c.defined["struct "+hdrTag(x.Tag())]
	case *cc.UnionType:
		return c.defined["union "+hdrTag(x.Tag())]
	case *cc.EnumType:
		es := x.Enumerators()
		return len(es) > 0 && hdrSpecFile(es[0].Position().Filename)
	}
	return false
}

// userTypedef returns the spec's typedef naming t, or nil.
func userTypedef(t cc.Type) *cc.Declarator {
	if d := t.Typedef(); d != nil && hdrSpecFile(d.Position().Filename) {
		return d
	}
	return nil
}

// typeOf maps a C type used in a definition (or by a callback) to the
// model, collecting the definitions it names; by-value definitions are
// emitted before the caller appends its own.
func (c *hdrDefs) typeOf(t cc.Type, depth int) model.Type {
	if depth > 32 {
		return model.Type{Kind: model.Opaque, Size: int(t.Size()), C: "void"}
	}
	if d := userTypedef(t); d != nil {
		return c.typedef(d, t, depth)
	}
	return c.underlying(t, depth)
}

// underlying is typeOf for t itself, not the spec's typedef that names it.
func (c *hdrDefs) underlying(t cc.Type, depth int) model.Type {
	spell := hdrScalarSpelling(t)
	switch k := t.Kind(); k {
	case cc.Void:
		return model.Type{Kind: model.Void, C: "void"}
	case cc.Bool:
		return model.Type{Kind: model.Bool, Size: 1, C: spell}
	case cc.Char, cc.SChar, cc.UChar, cc.Short, cc.UShort, cc.Int, cc.UInt,
		cc.Long, cc.ULong, cc.LongLong, cc.ULongLong:
		signed := k == cc.SChar || k == cc.Short || k == cc.Int || k == cc.Long || k == cc.LongLong
		return model.Type{Kind: model.Int, Size: int(t.Size()), Signed: signed, C: spell}
	case cc.Enum:
		et := t.(*cc.EnumType)
		mt := model.Type{Kind: model.Int, Size: int(t.Size()), Signed: et.Min() < 0, C: hdrRecordSpelling(t)}
		if c.isDefined(t) {
			mt.Def = c.enum(et)
			mt.Size, mt.Signed = mt.Def.Size, mt.Def.Signed
		}
		return mt
	case cc.Struct, cc.Union:
		mt := model.Type{Kind: model.Opaque, Size: int(t.Size()), C: hdrRecordSpelling(t)}
		if c.isDefined(t) || tagOf(t) == "" && hdrAnonFields(t) {
			mt.Def = c.record(t, depth)
		} else if t.IsIncomplete() && c.inField {
			// a field of the spec's struct (a parameter's is hdrType's)
			c.errs = append(c.errs, hdrIncompleteError(t))
		}
		return mt
	case cc.Array:
		at := t.(*cc.ArrayType)
		e := c.typeOf(at.Elem(), depth+1)
		return model.Type{Kind: model.Array, Size: int(t.Size()), Elem: &e, Len: int(at.Len()), C: hdrTypeString(t)}
	case cc.Ptr:
		e := t.(*cc.PointerType).Elem()
		isConst := e.Attributes() != nil && e.Attributes().IsConst()
		switch e.Kind() {
		case cc.Char:
			if isConst {
				return model.Type{Kind: model.CharPtr, Size: 8, C: "const char *"}
			}
		case cc.Struct, cc.Union:
			if tag := tagOf(e); tag != "" || userTypedef(e) != nil {
				et := c.pointee(e, depth+1) // collects the definition, if the spec has one
				mt := model.Type{Kind: model.StructPtr, Size: 8, Struct: tag, Def: et.Def}
				mt.C = hdrTypeString(t)
				if isConst && !strings.HasPrefix(mt.C, "const ") {
					mt.C = "const " + mt.C
				}
				if e.Kind() == cc.Union || tag == "" {
					mt.Kind = model.Ptr
				}
				return mt
			}
		case cc.Function:
			return model.Type{Kind: model.Ptr, Size: 8, C: "void *"}
		}
		c.pointee(e, depth+1) // collects what it points to
		mt := model.Type{Kind: model.Ptr, Size: 8, C: hdrTypeString(t)}
		if isConst && !strings.HasPrefix(mt.C, "const ") {
			mt.C = "const " + mt.C
		}
		return mt
	}
	return model.Type{Kind: model.Opaque, Size: int(t.Size()), C: hdrTypeString(t)}
}

// hdrRecordSpelling spells a struct, union or enum type by its tag, not a
// typedef naming it ("" for an anonymous one, which is written inline).
func hdrRecordSpelling(t cc.Type) string {
	tag := tagOf(t)
	if tag == "" {
		return ""
	}
	switch t.Kind() {
	case cc.Struct:
		return "struct " + tag
	case cc.Union:
		return "union " + tag
	}
	return "enum " + tag
}

// tagOf is the tag of a struct, union or enum type, or "".
func tagOf(t cc.Type) string {
	switch x := t.(type) {
	case *cc.StructType:
		return hdrTag(x.Tag())
	case *cc.UnionType:
		return hdrTag(x.Tag())
	case *cc.EnumType:
		return hdrTag(x.Tag())
	}
	return ""
}

// hdrAnonFields reports whether the anonymous record t is written in a
// spec file (its first member's declarator is there), not the prelude.
func hdrAnonFields(t cc.Type) bool {
	f := hdrFieldByIndex(t, 0)
	if f == nil {
		return false
	}
	return f.Declarator() == nil || hdrSpecFile(f.Declarator().Position().Filename)
}

func hdrFieldByIndex(t cc.Type, i int) *cc.Field {
	switch x := t.(type) {
	case *cc.StructType:
		return x.FieldByIndex(i)
	case *cc.UnionType:
		return x.FieldByIndex(i)
	}
	return nil
}

func hdrNumFields(t cc.Type) int {
	switch x := t.(type) {
	case *cc.StructType:
		return x.NumFields()
	case *cc.UnionType:
		return x.NumFields()
	}
	return 0
}

// typedef collects the spec's typedef d (of type t).
func (c *hdrDefs) typedef(d *cc.Declarator, t cc.Type, depth int) model.Type {
	name := d.Name()
	def := c.byRef[name]
	if def == nil {
		p := d.Position()
		def = &model.TypeDef{Kind: model.DefTypedef, Name: name, Size: int(t.Size()), Align: t.Align(),
			Pos: model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}}
		c.byRef[name] = def
		if tagOf(t) != "" && (t.Kind() == cc.Struct || t.Kind() == cc.Union) {
			// typedef struct x x_t; needs only the tag: emitted first, so
			// struct x may use x_t
			c.out = append(c.out, def)
			target := c.underlying(t, depth+1)
			def.Target = &target
		} else {
			target := c.underlying(t, depth+1)
			def.Target = &target
			c.out = append(c.out, def)
		}
	}
	mt := c.underlying(t, depth+1)
	mt.C, mt.Def = name, def
	if mt.Kind == model.Opaque || mt.Kind == model.StructPtr || mt.Kind == model.Array {
		mt.C = name
	}
	return mt
}

// enum collects the spec's enum et.
func (c *hdrDefs) enum(et *cc.EnumType) *model.TypeDef {
	tag := hdrTag(et.Tag())
	ref := "enum " + tag
	if tag != "" {
		if d := c.byRef[ref]; d != nil {
			return d
		}
	}
	d := &model.TypeDef{Kind: model.DefEnum, Name: tag, Size: int(et.Size()), Align: et.Align(), Signed: et.Min() < 0}
	if d.Size < 4 {
		d.Size, d.Align = 4, 4
	}
	for _, e := range et.Enumerators() {
		var v uint64
		switch x := e.Value().(type) {
		case cc.Int64Value:
			v = uint64(x)
		case cc.UInt64Value:
			v = uint64(x)
		}
		d.Enumerators = append(d.Enumerators, model.Enumerator{Name: e.Token.SrcStr(), Value: v})
	}
	if es := et.Enumerators(); len(es) > 0 {
		p := es[0].Position()
		d.Pos = model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
	}
	if tag != "" {
		c.byRef[ref] = d
		c.out = append(c.out, d)
	}
	return d
}

// record collects a struct or union: its by-value dependencies first, then
// itself (when named), then what its pointers reach.
func (c *hdrDefs) record(t cc.Type, depth int) *model.TypeDef {
	kind, kw := model.DefStruct, "struct "
	if t.Kind() == cc.Union {
		kind, kw = model.DefUnion, "union "
	}
	tag := tagOf(t)
	if tag != "" {
		if d := c.byRef[kw+tag]; d != nil {
			return d
		}
	}
	d := &model.TypeDef{Kind: kind, Name: tag, Size: int(t.Size()), Align: t.Align()}
	if tag != "" {
		c.byRef[kw+tag] = d // before the fields: a pointer to itself is no dependency
	}
	end := 0 // bits
	for i := 0; i < hdrNumFields(t); i++ {
		f := hdrFieldByIndex(t, i)
		if f == nil {
			continue
		}
		fd := model.FieldDef{Name: f.Name(), Offset: int(f.Offset())}
		if f.Declarator() != nil && i == 0 {
			p := f.Declarator().Position()
			d.Pos = model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
		}
		if f.IsBitfield() {
			fd.Bits, fd.BitOffset = int(f.ValueBits()), f.OffsetBits()
			end = max(end, fd.Offset*8+fd.BitOffset+fd.Bits)
			fd.Type = c.field(f.Type(), depth+1)
			if fd.Type.Kind == model.Int || fd.Type.Kind == model.Bool {
				fd.Type.Size = int(f.AccessBytes())
			}
			d.Fields = append(d.Fields, fd)
			continue
		}
		fd.Type = c.field(f.Type(), depth+1)
		if c.constDecls[f.Declarator()] {
			hdrConst(&fd.Type)
		}
		al := max(f.Type().Align(), 1)
		if kind == model.DefStruct {
			if natural := ((end+7)/8 + al - 1) / al * al; fd.Offset != natural {
				d.Packed = true
			}
			end = 8 * (fd.Offset + int(f.Type().Size()))
		}
		d.Fields = append(d.Fields, fd)
	}
	if tag != "" {
		c.out = append(c.out, d)
	}
	return d
}

// hdrConst qualifies the base type of t const, as const in a member's
// specifiers does: the pointee of a pointer, the element of an array.
func hdrConst(t *model.Type) {
	if t.Kind == model.Array && t.Elem != nil {
		e := *t.Elem
		hdrConst(&e)
		t.Elem = &e
		return
	}
	if t.Kind == model.Ptr && t.C == "char *" {
		// const char *: a kernel string, as the BTF reader reads it
		t.Kind = model.CharPtr
	}
	if t.C != "" && !strings.HasPrefix(t.C, "const ") {
		t.C = "const " + t.C
	}
}
