package header

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// Finding the ops struct in the translated header and building its model.

// hdrStruct is one struct defined in the user's header.
type hdrStruct struct {
	name string
	spec *cc.StructOrUnionSpecifier
	typ  *cc.StructType
	pos  model.Pos
	ops  bool // has a function pointer member
}

// hdrStructs lists the structs with a body defined at file scope of filename
// (also inside typedefs and declarations), in source order.
func hdrStructs(filename string, ast *cc.AST) []hdrStruct {
	var out []hdrStruct
	for tu := ast.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed == nil || ed.Case != cc.ExternalDeclarationDecl || ed.Declaration == nil {
			continue
		}
		for ds := ed.Declaration.DeclarationSpecifiers; ds != nil; ds = ds.DeclarationSpecifiers {
			ts := ds.TypeSpecifier
			if ts == nil || ts.Case != cc.TypeSpecifierStructOrUnion || ts.StructOrUnionSpecifier == nil {
				continue
			}
			s := ts.StructOrUnionSpecifier
			if s.Case != cc.StructOrUnionSpecifierDef || s.StructOrUnion == nil || s.StructOrUnion.Case != cc.StructOrUnionStruct {
				continue
			}
			p := s.Position()
			if p.Filename != filename {
				continue
			}
			typ, _ := s.Type().(*cc.StructType)
			if typ == nil {
				continue
			}
			h := hdrStruct{name: s.Token.SrcStr(), spec: s, typ: typ, pos: hdrTokPos(s.Token)}
			if h.name == "" {
				continue // anonymous struct: cannot be named by --ops or BTF
			}
			for i := 0; i < typ.NumFields(); i++ {
				if f := typ.FieldByIndex(i); f != nil && hdrIsFuncPtr(f.Type()) {
					h.ops = true
					break
				}
			}
			out = append(out, h)
		}
	}
	return out
}

func hdrTokPos(t cc.Token) model.Pos {
	p := t.Position()
	return model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
}

func hdrTag(t cc.Token) string { return t.SrcStr() }

func hdrIsFuncPtr(t cc.Type) bool {
	p, ok := t.(*cc.PointerType)
	return ok && p.Elem() != nil && p.Elem().Kind() == cc.Function
}

// hdrChooseStruct picks the ops struct: opsName, or the only ops struct, or
// the only struct.
func hdrChooseStruct(filename string, ast *cc.AST, opsName string) (*hdrStruct, error) {
	all := hdrStructs(filename, ast)
	var names, opsNames []string
	var ops []*hdrStruct
	for i := range all {
		names = append(names, all[i].name)
		if all[i].ops {
			ops = append(ops, &all[i])
			opsNames = append(opsNames, all[i].name)
		}
	}
	if opsName != "" {
		if !model.IsIdent(opsName) {
			return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps,
				Msg: fmt.Sprintf("ops name %q is not a C identifier: name the struct by its tag, e.g. foo_ops", opsName)}
		}
		for i := range all {
			if all[i].name == opsName {
				return &all[i], nil
			}
		}
		msg := fmt.Sprintf("no struct %s is defined in the header", opsName)
		if len(names) > 0 {
			msg += fmt.Sprintf(" (it defines %s): choose one of them by name", strings.Join(names, ", "))
		} else {
			msg += ": define it with its callbacks, e.g. struct " + opsName + " { int (*run)(int arg); };"
		}
		return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps, Msg: msg}
	}
	switch {
	case len(ops) == 1:
		return ops[0], nil
	case len(ops) > 1:
		// The format the CLI documents: "spec.h declares 3 ops structs (...)".
		return nil, &model.Error{Err: model.ErrNoOps, Msg: fmt.Sprintf("%s declares %d ops structs (%s): choose one by name",
			filename, len(ops), strings.Join(opsNames, ", "))}
	case len(all) == 1:
		return &all[0], nil // not all callbacks: report what is wrong with it
	case len(all) == 0:
		return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps,
			Msg: "no struct is defined in the header: define the ops struct, e.g. struct foo_ops { int (*run)(int arg); };"}
	}
	return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps,
		Msg: fmt.Sprintf("none of the %d structs (%s) has only function pointer members: choose the ops struct by name",
			len(all), strings.Join(names, ", "))}
}

// hdrMember is one declared member of the chosen struct, in source order.
type hdrMember struct {
	name string
	pos  model.Pos
	decl *cc.Declarator        // nil for an anonymous member
	sd   *cc.StructDeclaration // the declaration it belongs to
	sdr  *cc.StructDeclarator  // nil for an anonymous member
	spec *cc.SpecifierQualifierList
	// kfunc: a kfunc prototype, not a member
	kfunc bool
}

// what names the kind of function m declares, for messages.
func (m hdrMember) what() string {
	if m.kfunc {
		return "kfunc"
	}
	return "callback"
}

func hdrMembers(s *hdrStruct) []hdrMember {
	var out []hdrMember
	for l := s.spec.StructDeclarationList; l != nil; l = l.StructDeclarationList {
		sd := l.StructDeclaration
		if sd == nil || sd.Case != cc.StructDeclarationDecl {
			continue // _Static_assert
		}
		if sd.StructDeclaratorList == nil {
			p := sd.Position()
			out = append(out, hdrMember{sd: sd, spec: sd.SpecifierQualifierList,
				pos: model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}})
			continue
		}
		for dl := sd.StructDeclaratorList; dl != nil; dl = dl.StructDeclaratorList {
			sdr := dl.StructDeclarator
			if sdr == nil {
				continue
			}
			m := hdrMember{sd: sd, sdr: sdr, decl: sdr.Declarator, spec: sd.SpecifierQualifierList}
			if sdr.Declarator != nil {
				m.name = sdr.Declarator.Name()
				m.pos = hdrTokPos(sdr.Declarator.NameTok())
			} else {
				p := sdr.Position()
				m.pos = model.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
			}
			out = append(out, m)
		}
	}
	return out
}

const hdrOnlyCallbacks = "the kernel refuses them in a struct_ops type (bpf_struct_ops_desc_init)"

// hdrBuildOps validates the chosen struct and builds the model. A member
// with problems is left out and its problems are returned with the model
// of the other members; a struct that cannot be read at all gives a nil
// model.
func hdrBuildOps(filename string, abi *cc.ABI, s *hdrStruct) (*model.Ops, error) {
	ops := &model.Ops{Name: s.name, Size: int(s.typ.Size()), Source: "header " + filename, Pos: s.pos}
	members := hdrMembers(s)
	if len(members) == 0 {
		return nil, &model.Error{Pos: s.pos, Err: model.ErrUnsupported,
			Msg: fmt.Sprintf("struct %s has no members: declare its callbacks, e.g. int (*run)(int arg);", s.name)}
	}
	if len(members) > model.MaxMembers {
		m := members[model.MaxMembers]
		return nil, &model.Error{Pos: m.pos, Member: m.name, Err: model.ErrLimit,
			Msg: fmt.Sprintf("struct %s has %d members, more than the %d the kernel allows (BPF_STRUCT_OPS_MAX_NR_MEMBERS): split it into two ops types",
				s.name, len(members), model.MaxMembers)}
	}
	goNames := map[string]hdrMember{}
	var errs []error // every member's problem: the member is skipped
	for _, m := range members {
		errf := func(cat error, format string, args ...any) error {
			return &model.Error{Pos: m.pos, Member: m.name, Err: cat, Msg: fmt.Sprintf(format, args...)}
		}
		if m.decl == nil {
			what := "anonymous member"
			if m.sdr != nil {
				what = "unnamed bitfield"
			} else if t := hdrSpecType(m.spec); t != nil {
				switch t.Kind() {
				case cc.Union:
					what = "anonymous union member"
				case cc.Struct:
					what = "anonymous struct member"
				}
			}
			errs = append(errs, &model.Error{Pos: m.pos, Err: model.ErrUnsupported,
				Msg: fmt.Sprintf("%s is not supported: %s (name the member)", what, hdrOnlyCallbacks)})
			continue
		}
		if err := model.CheckName(m.name, "member"); err != nil {
			errs = append(errs, errf(model.ErrName, "%s", err))
			continue
		}
		f := s.typ.FieldByName(m.name)
		if f == nil {
			errs = append(errs, errf(model.ErrUnsupported, "member not found in the struct layout: simplify its declaration"))
			continue
		}
		if f.IsBitfield() || m.sdr.ConstantExpression != nil {
			errs = append(errs, errf(model.ErrUnsupported, "bitfields are not supported: %s (make %s a whole integer)", hdrOnlyCallbacks, m.name))
			continue
		}
		if prev, ok := goNames[model.GoName(m.name)]; ok {
			if prev.name == m.name {
				errs = append(errs, errf(model.ErrName, "duplicate member name (first declared at %s): rename one of them", prev.pos))
				continue
			}
			errs = append(errs, errf(model.ErrName, "Go name %s clashes with member %s (%s): rename one of them",
				model.GoName(m.name), prev.name, prev.pos))
			continue
		}
		goNames[model.GoName(m.name)] = m
		ft := f.Type()
		if hdrUsesUnknown(ft) {
			continue // reported as an unknown type
		}
		if ft.Kind() == cc.Function { // C has no function members; cc/v4 lets them through
			errs = append(errs, errf(model.ErrUnsupported, "a function, not a function pointer: declare it as RET (*%s)(PARAMS)", m.name))
			continue
		}
		if !hdrIsFuncPtr(ft) {
			// a data member: its type is read with the definitions
			// (hdrCollectTypes), the model's rules decide who sets it
			if why := hdrDataMemberMsg(ft); why != "" {
				errs = append(errs, errf(model.ErrUnsupported, "%s", why))
				continue
			}
			ops.Members = append(ops.Members, model.Member{Name: m.name, Offset: int(f.Offset()), Size: int(ft.Size()),
				Data: &model.Type{}, Pos: m.pos})
			continue
		}
		fn, _ := ft.(*cc.PointerType).Elem().(*cc.FunctionType)
		if fn == nil {
			errs = append(errs, errf(model.ErrUnsupported, "not a function pointer: declare it as RET (*%s)(PARAMS)", m.name))
			continue
		}
		mf, err := hdrFunc(m, fn, errf)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if f.Offset() < 0 || ft.Size() != 8 {
			errs = append(errs, errf(model.ErrUnsupported, "unexpected layout (offset %d, size %d): simplify its declaration", f.Offset(), ft.Size()))
			continue
		}
		ops.Members = append(ops.Members, model.Member{Name: m.name, Offset: int(f.Offset()), Size: int(ft.Size()), Func: mf, Pos: m.pos})
	}
	slices.SortStableFunc(ops.Members, func(a, b model.Member) int { return a.Offset - b.Offset })
	return ops, errors.Join(errs...)
}
