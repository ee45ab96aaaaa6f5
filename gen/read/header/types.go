package header

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// Mapping C types (cc/v4) to the model's types.

// hdrSpecHasConst reports whether a specifier list has the const qualifier.
func hdrSpecHasConst(l *cc.SpecifierQualifierList) bool {
	for ; l != nil; l = l.SpecifierQualifierList {
		if q := l.TypeQualifier; q != nil && q.Case == cc.TypeQualifierConst {
			return true
		}
	}
	return false
}

// hdrSpecType is the type named by a member's specifier list, if known.
func hdrSpecType(l *cc.SpecifierQualifierList) cc.Type {
	for ; l != nil; l = l.SpecifierQualifierList {
		if ts := l.TypeSpecifier; ts != nil && ts.StructOrUnionSpecifier != nil {
			return ts.StructOrUnionSpecifier.Type()
		}
	}
	return nil
}

// hdrDataMemberMsg says why a data member of type t is not supported, or
// "" when it is: a struct_ops map value is plain bytes the kernel copies,
// so any type with a layout will do but floating point.
func hdrDataMemberMsg(t cc.Type) string {
	switch t.Kind() {
	case cc.Float, cc.Double, cc.LongDouble, cc.Float16, cc.Float32, cc.Float32x, cc.Float64, cc.Float64x,
		cc.Float128, cc.Float128x, cc.Decimal32, cc.Decimal64, cc.Decimal128,
		cc.ComplexFloat, cc.ComplexDouble, cc.ComplexLongDouble:
		return fmt.Sprintf("data member of type %s is not supported: the kernel has no floating point (use an integer type such as u64)", hdrTypeString(t))
	}
	if t.Size() <= 0 {
		return fmt.Sprintf("data member of type %s has no size: define the type, or hold a pointer", hdrTypeString(t))
	}
	return ""
}

// hdrTypeString spells t for a message.
func hdrTypeString(t cc.Type) string {
	if d := t.Typedef(); d != nil {
		return d.Name()
	}
	switch x := t.(type) {
	case *cc.PointerType:
		e := x.Elem()
		s := hdrTypeString(e)
		if e.Attributes() != nil && e.Attributes().IsConst() && !strings.HasPrefix(s, "const ") {
			s = "const " + s
		}
		if strings.HasSuffix(s, "*") {
			return s + "*"
		}
		return s + " *"
	case *cc.StructType:
		if tag := hdrTag(x.Tag()); tag != "" {
			return "struct " + tag
		}
		return "anonymous struct"
	case *cc.UnionType:
		if tag := hdrTag(x.Tag()); tag != "" {
			return "union " + tag
		}
		return "anonymous union"
	case *cc.ArrayType:
		return fmt.Sprintf("%s[%d]", hdrTypeString(x.Elem()), x.Len())
	case *cc.FunctionType:
		return "function"
	case *cc.EnumType:
		if tag := hdrTag(x.Tag()); tag != "" {
			return "enum " + tag
		}
		return "anonymous enum"
	}
	if s, ok := hdrIntSpelling[t.Kind()]; ok {
		return s
	}
	return t.String()
}

// hdrIntSpelling spells the integer kinds (when no typedef name is used).
var hdrIntSpelling = map[cc.Kind]string{
	cc.Bool: "_Bool", cc.Char: "char", cc.SChar: "signed char", cc.UChar: "unsigned char",
	cc.Short: "short", cc.UShort: "unsigned short", cc.Int: "int", cc.UInt: "unsigned int",
	cc.Long: "long", cc.ULong: "unsigned long", cc.LongLong: "long long", cc.ULongLong: "unsigned long long",
}

// hdrFunc builds the model of one callback.
func hdrFunc(m hdrMember, fn *cc.FunctionType, errf func(error, string, ...any) error) (*model.Func, error) {
	if fn.IsVariadic() {
		return nil, errf(model.ErrUnsupported, "variadic %ss are not supported: BPF programs take a fixed argument list (replace ... with named parameters)", m.what())
	}
	ps := fn.Parameters()
	if len(ps) == 0 && fn.MaxArgs() < 0 {
		return nil, errf(model.ErrUnsupported, "() leaves the parameters unspecified in C: write (void) for a %s without arguments", m.what())
	}
	if len(ps) == 1 && ps[0].Type().Kind() == cc.Void && ps[0].Name() == "" {
		ps = nil
	}
	if len(ps) > model.MaxArgs {
		return nil, errf(model.ErrLimit, "%d parameters, more than the %d a BPF struct_ops callback may take (MAX_BPF_FUNC_ARGS, the x86-64 trampoline limit): pass a struct pointer instead",
			len(ps), model.MaxArgs)
	}
	// cc/v4 drops the qualifiers of a struct member's specifiers from the
	// return type of a function pointer written out in the member (const
	// char *(*name)(...)); read them from the source.
	retConst := m.decl != nil && m.decl.DirectDeclarator != nil &&
		m.decl.DirectDeclarator.Case == cc.DirectDeclaratorFuncParam && hdrSpecHasConst(m.spec)
	ret, why := hdrType(fn.Result(), false, retConst)
	if why != "" {
		return nil, errf(model.ErrUnsupported, "return type %s", why)
	}
	out := &model.Func{Return: ret}
	pdecls := hdrParamDecls(m.decl, len(ps))
	seen := map[string]string{}
	names := hdrParamNames(ps)
	var perrs []error // every parameter's problem
	for i, p := range ps {
		name := names[i]
		label := fmt.Sprintf("param %d", i+1)
		if p.Name() != "" {
			label = "param " + name
		}
		pos := m.pos
		if pdecls != nil {
			pp := pdecls[i].Position()
			pos = model.Pos{File: pp.Filename, Line: pp.Line, Col: pp.Column}
		}
		if p.Declarator != nil {
			if t := p.Declarator.NameTok(); t.Position().Line > 0 {
				pos = hdrTokPos(t)
			}
		}
		perrf := func(cat error, format string, args ...any) error {
			e := &model.Error{Pos: pos, Member: m.name, Err: cat, Msg: label + ": " + fmt.Sprintf(format, args...)}
			if m.kfunc {
				e.Member, e.Kfunc = "", m.name
			}
			return e
		}
		t := p.Type()
		if t.Kind() == cc.Void {
			perrs = append(perrs, perrf(model.ErrUnsupported, "void is not a parameter type: write (void) alone for a callback without arguments"))
			continue
		}
		typ, why := hdrType(t, true, false)
		if why != "" {
			perrs = append(perrs, perrf(model.ErrUnsupported, "%s", why))
			continue
		}
		pm := model.Param{Name: name, Type: typ}
		pm.Name, pm.Nullable, pm.Ref = model.ParseStubName(name)
		switch {
		case pm.Nullable && !typ.IsPointer():
			perrs = append(perrs, perrf(model.ErrUnsupported, "__nullable applies only to pointer parameters: drop the suffix"))
			continue
		case pm.Ref && typ.Kind != model.StructPtr:
			perrs = append(perrs, perrf(model.ErrUnsupported, "__ref applies only to struct pointer parameters: drop the suffix"))
			continue
		}
		if err := model.CheckName(pm.Name, "parameter"); err != nil {
			perrs = append(perrs, perrf(model.ErrName, "%s", err))
			continue
		}
		g := model.GoName(pm.Name)
		if prev, ok := seen[g]; ok {
			if prev == pm.Name {
				perrs = append(perrs, perrf(model.ErrName, "duplicate parameter name: rename one of them"))
				continue
			}
			perrs = append(perrs, perrf(model.ErrName, "Go name %s clashes with parameter %s: rename one of them", g, prev))
			continue
		}
		seen[g] = pm.Name
		out.Params = append(out.Params, pm)
	}
	if len(perrs) > 0 {
		return nil, errors.Join(perrs...)
	}
	return out, nil
}

// hdrParamNames names the parameters: as declared, an unnamed one argN
// with N its 0-based position (the BTF reader's name for a stub
// parameter without a name), argN_unnamed when the Go name of argN is
// taken by a named one.
func hdrParamNames(ps []*cc.Parameter) []string {
	out := make([]string, len(ps))
	taken := map[string]bool{}
	for _, p := range ps {
		if n, _, _ := model.ParseStubName(p.Name()); n != "" {
			taken[model.GoName(n)] = true
		}
	}
	for i, p := range ps {
		out[i] = p.Name()
		if out[i] != "" {
			continue
		}
		out[i] = fmt.Sprintf("arg%d", i)
		for k := 0; taken[model.GoName(out[i])]; k++ {
			out[i] = fmt.Sprintf("arg%d_unnamed", i)
			if k > 0 {
				out[i] += fmt.Sprint(k)
			}
		}
		taken[model.GoName(out[i])] = true
	}
	return out
}

// hdrParamDecls finds the n parameter declarations of a member declared as
// RET (*name)(PARAMS), for their positions; nil for other shapes.
func hdrParamDecls(d *cc.Declarator, n int) []*cc.ParameterDeclaration {
	if d == nil || d.DirectDeclarator == nil {
		return nil
	}
	dd := d.DirectDeclarator
	if dd.Case != cc.DirectDeclaratorFuncParam || dd.ParameterTypeList == nil {
		return nil
	}
	var out []*cc.ParameterDeclaration
	for l := dd.ParameterTypeList.ParameterList; l != nil; l = l.ParameterList {
		out = append(out, l.ParameterDeclaration)
	}
	if len(out) != n || slices.Contains(out, nil) {
		return nil
	}
	return out
}

// hdrType maps a C parameter or return type to the model, or says why it is
// not supported.
func hdrType(t cc.Type, param, constHint bool) (model.Type, string) {
	spell := hdrTypeString(t)
	switch k := t.Kind(); k {
	case cc.Void:
		if param {
			return model.Type{}, "void is not a parameter type"
		}
		return model.Type{Kind: model.Void, C: "void"}, ""
	case cc.Bool:
		return model.Type{Kind: model.Bool, Size: 1, C: hdrScalarSpelling(t)}, ""
	case cc.Char, cc.SChar, cc.UChar, cc.Short, cc.UShort, cc.Int, cc.UInt,
		cc.Long, cc.ULong, cc.LongLong, cc.ULongLong:
		signed := false
		switch k {
		case cc.Char:
			// plain char is unsigned in the kernel: it builds with
			// -funsigned-char since 6.2 (and its BTF says so)
			signed = false
		case cc.SChar, cc.Short, cc.Int, cc.Long, cc.LongLong:
			signed = true
		}
		c := hdrScalarSpelling(t)
		typ := model.Type{Kind: model.Int, Size: int(t.Size()), Signed: signed, C: c, Bitwise: model.IsBitwise(c)}
		if d := userTypedef(t); d != nil {
			typ.Typedef = d.Name() // spelled so once the module defines it (hdrSpellNames)
		}
		return typ, ""
	case cc.Float, cc.Double, cc.LongDouble, cc.Float16, cc.Float32, cc.Float32x, cc.Float64, cc.Float64x,
		cc.Float128, cc.Float128x, cc.Decimal32, cc.Decimal64, cc.Decimal128,
		cc.ComplexFloat, cc.ComplexDouble, cc.ComplexLongDouble:
		return model.Type{}, fmt.Sprintf("%s is not supported: BPF has no floating point (use an integer type such as u64)", spell)
	case cc.Int128, cc.UInt128:
		return model.Type{}, fmt.Sprintf("%s is not supported: BPF registers are 64 bits (use u64)", spell)
	case cc.Enum:
		return hdrEnumType(t), ""
	case cc.Struct, cc.Union:
		return hdrRecordType(t, param)
	case cc.Ptr:
		e := t.(*cc.PointerType).Elem()
		const supported = "supported pointers are const char * (a kernel string), struct pointers (struct foo *) " +
			"and pointers to void or to an integer type (opaque to the program)"
		isConst := constHint || e.Attributes() != nil && e.Attributes().IsConst()
		switch e.Kind() {
		case cc.Char:
			if isConst {
				return model.Type{Kind: model.CharPtr, Size: 8, C: "const char *"}, ""
			}
			return hdrOpaquePtr(e, false), ""
		case cc.Void, cc.Bool, cc.SChar, cc.UChar, cc.Short, cc.UShort, cc.Int, cc.UInt,
			cc.Long, cc.ULong, cc.LongLong, cc.ULongLong, cc.Enum:
			return hdrOpaquePtr(e, isConst), ""
		case cc.Struct:
			st, _ := e.(*cc.StructType)
			tag := ""
			if st != nil {
				tag = hdrTag(st.Tag())
			}
			if tag == "" {
				// a typedef'd anonymous struct (typedef struct { ... } T;):
				// named by its typedef, which the module defines in full
				d := userTypedef(e)
				if d == nil {
					return model.Type{}, "a pointer to an anonymous struct is not supported: give the struct a tag (struct foo *) or a typedef name"
				}
				c := d.Name() + " *"
				if isConst {
					c = "const " + c
				}
				return model.Type{Kind: model.StructPtr, Size: 8, C: c, Struct: d.Name()}, ""
			}
			c := "struct " + tag + " *"
			if isConst {
				c = "const " + c
			}
			return model.Type{Kind: model.StructPtr, Size: 8, C: c, Struct: tag}, ""
		case cc.Function:
			return model.Type{}, "function pointers are not supported as parameter or return types: " + supported
		}
		return model.Type{}, fmt.Sprintf("%s is not supported: %s", spell, supported)
	}
	return model.Type{}, fmt.Sprintf("%s is not supported: use an integer type, bool, an enum, const char *, a struct pointer or void *", spell)
}

// hdrEnumType is the model of an enum type: an integer of the type GCC
// gives it (cc/v4 differs: it makes enum { A = 0, B = 64 } an int).
// GCC: unsigned when no enumerator is negative, else signed; 4 bytes
// when every value fits (0..UINT_MAX, or INT_MIN..INT_MAX), else 8 (a
// GNU extension, BTF_KIND_ENUM64). The enum's name is kept for BTF.
func hdrEnumType(t cc.Type) model.Type {
	out := model.Type{Kind: model.Int, Size: 4, C: "unsigned int"}
	et, _ := t.(*cc.EnumType)
	if et != nil {
		lo, hi := et.Min(), et.Max()
		out.Signed = lo < 0
		switch {
		case !out.Signed && hi > math.MaxUint32:
			out.Size, out.C = 8, "unsigned long"
		case out.Signed && (lo < math.MinInt32 || hi > math.MaxInt32):
			out.Size, out.C = 8, "long"
		case out.Signed:
			out.C = "int"
		}
		out.Enum = hdrTag(et.Tag())
	}
	if d := t.Typedef(); d != nil && out.Enum == "" {
		out.Enum = d.Name()
	}
	return out
}

// hdrOpaquePtr is the model of a pointer to void or to a scalar: an
// address the program cannot read through (the verifier treats it as a
// scalar), spelled with the element's C spelling.
func hdrOpaquePtr(elem cc.Type, isConst bool) model.Type {
	c := "void *"
	switch elem.Kind() {
	case cc.Void:
	case cc.Enum:
		c = hdrEnumType(elem).C + " *"
	default:
		c = hdrScalarSpelling(elem) + " *"
	}
	if isConst {
		c = "const " + c
	}
	return model.Type{Kind: model.Ptr, Size: 8, C: c}
}

// hdrScalarSpelling is the C spelling of an integer or bool type: the
// typedef name when it is a predefined one of <linux/types.h> (u32,
// uint8_t, bool, size_t), else the
// canonical spelling of the underlying type (user typedefs are resolved, since
// the generated code does not carry them).
func hdrScalarSpelling(t cc.Type) string {
	if d := t.Typedef(); d != nil && d.Position().Filename == hdrPreludeName && hdrTypesH[d.Name()] {
		return d.Name()
	}
	if s, ok := hdrIntSpelling[t.Kind()]; ok {
		return s
	}
	return t.String()
}

// hdrSpellNames spells the callbacks' and kfuncs' enum and integer
// typedef types by their names once the module emits their definitions
// (o.Types), so that the module's BTF names them as the spec does; one
// without a definition keeps its integer spelling.
func hdrSpellNames(o *model.Ops) {
	spell := func(t *model.Type) {
		if t.Kind != model.Int {
			return
		}
		var d *model.TypeDef
		switch {
		case t.Enum != "":
			if d = o.TypeDef("enum " + t.Enum); d == nil {
				d = o.TypeDef(t.Enum)
			}
		case t.Typedef != "":
			d = o.TypeDef(t.Typedef)
		}
		if d != nil {
			t.C, t.Def = d.Ref(), d
		}
	}
	for i := range o.Members {
		if f := o.Members[i].Func; f != nil {
			spell(&f.Return)
			for j := range f.Params {
				spell(&f.Params[j].Type)
			}
		}
	}
	for i := range o.Kfuncs {
		f := &o.Kfuncs[i].Func
		spell(&f.Return)
		for j := range f.Params {
			spell(&f.Params[j].Type)
		}
	}
}

// hdrRecordType is the model of a struct or union passed by value: a
// parameter of at most 16 bytes, which the kernel passes in two registers
// (btf_distill_func_proto); never a return value, which it refuses.
func hdrRecordType(t cc.Type, param bool) (model.Type, string) {
	spell := hdrTypeString(t)
	if !param {
		return model.Type{}, fmt.Sprintf("%s by value is not supported: the kernel refuses a struct_ops callback that returns a struct (btf_distill_func_proto): return a pointer or an integer", spell)
	}
	if t.IsIncomplete() {
		return model.Type{}, hdrIncompleteError(t).(*model.Error).Msg
	}
	if t.Size() < 1 || t.Size() > model.MaxByValue {
		return model.Type{}, fmt.Sprintf("%s by value (%d bytes) is not supported: the kernel passes a struct of at most %d bytes by value to BPF (btf_distill_func_proto): pass %s *",
			spell, t.Size(), model.MaxByValue, spell)
	}
	c := ""
	if d := userTypedef(t); d != nil {
		c = d.Name()
	} else if tag := tagOf(t); tag != "" {
		c = map[cc.Kind]string{cc.Struct: "struct ", cc.Union: "union "}[t.Kind()] + tag
	}
	if c == "" {
		return model.Type{}, fmt.Sprintf("%s by value is not supported: give it a tag or a typedef name", spell)
	}
	return model.Type{Kind: model.Opaque, Size: int(t.Size()), C: c}, ""
}

// hdrIncompleteError is the error for a struct or union held by value
// that the spec does not define (cc/v4 lays it out as 0 bytes; the
// module's kernel headers may define it, with a layout of their own).
func hdrIncompleteError(t cc.Type) error {
	spell := hdrTypeString(t)
	var pos model.Pos
	switch x := t.(type) {
	case *cc.StructType:
		pos = hdrTokPos(x.Tag())
	case *cc.UnionType:
		pos = hdrTokPos(x.Tag())
	}
	return &model.Error{Pos: pos, Err: model.ErrUnsupported,
		Msg: fmt.Sprintf("%s is used by value but not defined: a kernel struct's layout depends on the kernel's "+
			"configuration and is not read: define it in the spec, or hold a pointer to it", spell)}
}
