// Package header is the C header spec reader: it reads a C header into a
// model of the struct_ops type it declares.
//
// Parse runs modernc.org/cc/v4 (a C99 preprocessor, parser and type
// checker written in Go) over the header with a hand-built linux/amd64
// configuration: no host compiler, no host headers, no files are read. Layout
// (sizes, offsets) comes from cc/v4's x86-64 LP64 ABI tables.
//
// Includes: the kernel integer typedefs (u8..u64, s8..s64, __u8..__s64,
// int8_t..uint64_t, bool) are predefined by a small prelude, so a spec needs
// no #include. A system include (#include <...>) is served from memory as an
// empty file, so `#include <linux/types.h>` and friends are accepted and
// ignored; a quoted include (#include "x.h") is an error, since the header
// must be self-contained. When a header that Parse does not know was
// ignored and the parse then fails, the error says so.
package header

import (
	"bytes"
	"fmt"
	"github.com/structops/structops-gen/gen/model"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/cc/v4"
)

const (
	// maxHeaderBytes bounds the input; a spec is a few kilobytes.
	maxHeaderBytes = 1 << 20
	// hdrExpansionLimit bounds macro expansion work (see cc.Config).
	hdrExpansionLimit = 1 << 17
)

// hdrPreludeName is the source name of the predefined prelude.
const hdrPreludeName = "<structops-prelude>"

// hdrEndName and hdrEndSentinel form the source parsed after the user's
// header (see Parse).
const (
	hdrEndName     = "<structops-end>"
	hdrEndSentinel = "int __structops_end;\n"
)

// hdrSysDir is the in-memory directory that serves system includes.
const hdrSysDir = "/structops-sysinclude"

// hdrPrelude declares what the kernel's <linux/types.h> would: the fixed
// width and kernel integer names, x86-64 definitions.
const hdrPrelude = `int __predefined_declarator;
#define __x86_64__ 1
#define __linux__ 1
#define __KERNEL__ 1
#define __STDC__ 1
#define __STDC_VERSION__ 201112L
#define true 1
#define false 0
#define NULL ((void *)0)
typedef _Bool bool;
typedef signed char __s8;
typedef unsigned char __u8;
typedef signed short __s16;
typedef unsigned short __u16;
typedef signed int __s32;
typedef unsigned int __u32;
typedef signed long long __s64;
typedef unsigned long long __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef s8 int8_t;
typedef u8 uint8_t;
typedef s16 int16_t;
typedef u16 uint16_t;
typedef s32 int32_t;
typedef u32 uint32_t;
typedef s64 int64_t;
typedef u64 uint64_t;
`

// hdrKnownIncludes are the system headers whose content the prelude covers.
var hdrKnownIncludes = map[string]bool{
	"linux/types.h": true, "asm/types.h": true, "asm-generic/int-ll64.h": true,
	"linux/stddef.h": true, "stddef.h": true, "stdint.h": true, "stdbool.h": true,
	"linux/compiler.h": true, "linux/compiler_types.h": true,
}

// Parse reads the C header src (named filename in positions and
// messages) and returns the model of the struct_ops type opsName declared in
// it. With opsName == "" the header must declare exactly one ops struct (a
// struct whose members are all function pointers), or exactly one struct.
//
// Every error is a *model.Error: "file:line:col: member NAME: problem: fix".
func Parse(filename string, src []byte, opsName string) (ops *model.Ops, err error) {
	if filename == "" {
		filename = "<header>"
	}
	// locate explains a panic of cc/v4 where it knows the cause (set once
	// the configuration exists).
	var locate func() error
	defer func() {
		if r := recover(); r != nil {
			ops = nil
			if locate != nil {
				if err = hdrLocatePanic(locate); err != nil {
					return
				}
			}
			err = &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrSyntax,
				Msg: fmt.Sprintf("internal error in the C front end (%v): simplify the header and report it", r)}
		}
	}()
	if err := hdrCheckText(filename, src); err != nil {
		return nil, err
	}
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))

	abi, err := cc.NewABI("linux", "amd64")
	if err != nil {
		return nil, &model.Error{Pos: model.Pos{File: filename}, Err: err, Msg: fmt.Sprintf("c front end: %v", err)}
	}
	sys := &hdrSysFS{}
	cfg := &cc.Config{
		ABI:             abi,
		FS:              sys,
		FSOnly:          true,
		IncludePaths:    []string{""},
		SysIncludePaths: []string{hdrSysDir},
		DefaultSizeT:    cc.ULong,
		DefaultPtrdiffT: cc.Long,
		DefaultWcharT:   cc.Int,
		Header:          true,
		ExpansionLimit:  hdrExpansionLimit,
	}
	// cc/v4's parser can loop forever when the input ends inside a
	// declarator (e.g. "int (*" at EOF: typeQualifierList retries the EOF
	// token). A separate sentinel source after the user's file keeps EOF out
	// of reach: it starts with a keyword and an identifier, which end those
	// loops, and being its own file no unterminated comment or #if swallows
	// it. The preprocessor can still stop early (include not found), so the
	// parser only runs on input the preprocessor alone accepted.
	sources := func() []cc.Source {
		return []cc.Source{
			{Name: hdrPreludeName, Value: hdrPrelude},
			{Name: filename, Value: src},
			{Name: hdrEndName, Value: hdrEndSentinel},
		}
	}
	locate = func() error { return hdrBadParamSpecifiers(filename, src, cfg, sources()) }
	if err := cc.Preprocess(cfg, sources(), io.Discard); err != nil {
		return nil, hdrSyntaxError(filename, src, err, sys.unknown)
	}
	ast, err := cc.Translate(cfg, sources())
	if err != nil {
		return nil, hdrSyntaxError(filename, src, err, sys.unknown)
	}

	st, err := hdrChooseStruct(filename, ast, opsName)
	if err != nil {
		return nil, err
	}
	o, err := hdrBuildOps(filename, abi, st)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// hdrCheckText rejects inputs that are no C text at all.
func hdrCheckText(filename string, src []byte) error {
	if len(bytes.TrimSpace(src)) == 0 {
		return &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNotCHeader,
			Msg: "empty file: not a C header (declare the ops struct, e.g. struct foo_ops { int (*run)(int arg); };)"}
	}
	if len(src) > maxHeaderBytes {
		return &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNotCHeader,
			Msg: fmt.Sprintf("not a C header: %d bytes, more than the %d a spec may have", len(src), maxHeaderBytes)}
	}
	at := func(off int, what string) error {
		line := 1 + bytes.Count(src[:off], []byte("\n"))
		col := 1 + off - (bytes.LastIndexByte(src[:off], '\n') + 1)
		return &model.Error{Pos: model.Pos{File: filename, Line: line, Col: col}, Err: model.ErrNotCHeader,
			Msg: fmt.Sprintf("not a C header: %s (is this a binary file?)", what)}
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return at(i, "NUL byte")
	}
	if !utf8.Valid(src) {
		for off := 0; off < len(src); {
			r, n := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && n == 1 {
				return at(off, "invalid UTF-8")
			}
			off += n
		}
	}
	return nil
}

// hdrCCPos matches the "file:line:col: " prefix of a cc/v4 message.
var hdrCCPos = regexp.MustCompile(`^(.*?):(\d+):(\d+): (.*)$`)

// hdrCCOrigin matches the debugging origin cc/v4 appends to some messages.
var hdrCCOrigin = regexp.MustCompile(`\s*\(\w+\.go:\d+:\w*:?\)\s*$`)

// hdrSyntaxError turns the first message of a cc/v4 error into a HeaderError.
func hdrSyntaxError(filename string, src []byte, err error, unknown []string) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(hdrCCOrigin.ReplaceAllString(msg, ""))
	pos := model.Pos{File: filename}
	if m := hdrCCPos.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		msg = m[4]
		switch m[1] {
		case filename:
			pos.Line, pos.Col = line, col
		case hdrEndName:
			// The parser ran into the sentinel: the header ends early.
			pos = hdrEndPos(filename, src)
			msg = "unexpected end of file"
			if _, exp, ok := strings.Cut(m[4], ", expected "); ok {
				msg += ", expected " + exp
			}
		default:
			msg = fmt.Sprintf("%s (at %s:%s:%s)", msg, m[1], m[2], m[3])
		}
	} else if m1, rest, ok := strings.Cut(msg, ": "); ok && (m1 == filename || m1 == "-" || strings.HasPrefix(m1, "<")) {
		msg = rest
	}
	if strings.HasPrefix(msg, "TODO ") && strings.Contains(msg, "missed/failed type check") {
		// cc/v4's words for an impossible specifier list such as
		// "struct a { ... } int x;" or "int int x".
		msg = "invalid combination of type specifiers"
		if kw, role := hdrKeywordName(src, pos); kw != "" {
			return hdrKeywordError(pos, err, msg, kw, role)
		}
		msg += " (a C keyword used as a name, or a ';' missing after a struct definition?)"
	}
	if m := hdrUnexpectedKeyword.FindStringSubmatch(msg); m != nil || strings.HasPrefix(msg, "invalid specifier(s) for") {
		// a C keyword where a name goes: int (*default)(int a),
		// int (*run)(int inline)
		if kw, role := hdrKeywordName(src, pos); kw != "" {
			return hdrKeywordError(pos, err, msg, kw, role)
		}
	}
	fix := ""
	switch {
	case msg == "invalid argument":
		msg = "invalid #include argument"
		fix = ": write #include <linux/types.h>"
	case strings.HasPrefix(msg, "include file not found: \""):
		fix = ": a spec must be self-contained (paste the declarations it needs into it)"
	case strings.HasPrefix(msg, "include file not found: <"):
		fix = ": use a plain system header name such as <linux/types.h>"
	case len(unknown) > 0:
		fix = fmt.Sprintf(" (note: <%s> is not read: only the kernel integer types are predefined; declare other types in the header)",
			strings.Join(unknown, ">, <"))
	case strings.HasSuffix(msg, "expected ';'"):
		fix = ": end each member declaration with ';', e.g. int (*run)(int arg);"
	case msg == "comment not terminated":
		fix = ": close it with */"
	case strings.HasPrefix(msg, "unexpected end of file"):
		fix = ": the header ends inside a declaration: finish it and close the struct with };"
	case strings.HasPrefix(msg, "invalid combination"):
	default:
		fix = ": " + hdrMustContain
	}
	return &model.Error{Pos: pos, Err: fmt.Errorf("%w: %w", model.ErrSyntax, err), Msg: "syntax error: " + msg + fix}
}

// hdrMustContain says what a header spec is, for syntax errors.
const hdrMustContain = "a spec header holds C declarations of the ops struct, e.g. struct foo_ops { int (*run)(int arg); };"

// hdrUnexpectedKeyword matches cc/v4's message for an unexpected keyword
// (it quotes keywords and punctuators, and names other tokens).
var hdrUnexpectedKeyword = regexp.MustCompile(`^unexpected '([A-Za-z_]\w*)'`)

// hdrGNUKeywords are the GNU spellings cc/v4 treats as keywords.
var hdrGNUKeywords = map[string]bool{
	"__asm": true, "__asm__": true, "__typeof": true, "__typeof__": true, "__inline": true, "__inline__": true,
	"__attribute": true, "__attribute__": true, "__extension__": true, "__restrict": true, "__restrict__": true,
	"__const": true, "__const__": true, "__volatile": true, "__volatile__": true, "__signed": true,
	"__signed__": true, "__alignof": true, "__alignof__": true, "__label__": true, "__auto_type": true,
	"__int128": true, "__builtin_va_list": true, "_Float16": true, "_Float32": true, "_Float64": true,
	"_Float128": true, "_Decimal32": true, "_Decimal64": true, "_Decimal128": true,
}

// hdrKeywordError is the error for a C keyword used as a name.
func hdrKeywordError(pos model.Pos, err error, msg, kw, role string) error {
	return &model.Error{Pos: pos, Err: fmt.Errorf("%w: %w", model.ErrSyntax, err),
		Msg: fmt.Sprintf("syntax error: %s: '%s' is a C keyword: rename the %s", msg, kw, role)}
}

// hdrKeywordName finds a C keyword used as a name at pos: the last word
// before the next ',', ')', ';', '[' or ':' when it is a keyword. role is
// "member" when the word follows "(*" or stands outside parentheses, else
// "parameter".
func hdrKeywordName(src []byte, pos model.Pos) (kw, role string) {
	if pos.Line < 1 || pos.Col < 1 {
		return "", ""
	}
	off := 0
	for line := 1; line < pos.Line; line++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return "", ""
		}
		off += i + 1
	}
	off += pos.Col - 1
	if off > len(src) {
		return "", ""
	}
	end := bytes.IndexAny(src[off:], ",);[:{}")
	if end < 0 {
		return "", ""
	}
	words := regexp.MustCompile(`[A-Za-z_]\w*`).FindAllIndex(src[off:off+end], -1)
	if len(words) == 0 {
		return "", ""
	}
	w := words[len(words)-1]
	kw = string(src[off+w[0] : off+w[1]])
	if !model.IsCKeyword(kw) && !hdrGNUKeywords[kw] {
		return "", ""
	}
	before := src[:off+w[0]]
	if start := bytes.LastIndexAny(before, ";{}"); start >= 0 {
		before = before[start+1:]
	}
	if bytes.HasSuffix(bytes.Join(bytes.Fields(before), nil), []byte("(*")) ||
		bytes.Count(before, []byte("(")) == bytes.Count(before, []byte(")")) {
		return kw, "member"
	}
	return kw, "parameter"
}

// hdrLocatePanic runs locate, turning a second panic into nil.
func hdrLocatePanic(locate func() error) (err error) {
	defer func() {
		if recover() != nil {
			err = nil
		}
	}()
	return locate()
}

// hdrBadParamSpecifiers finds what makes cc/v4's type checker panic (seen
// in v4.31.0): an unnamed parameter whose type specifiers do not combine,
// such as "int int" or "u32 bool" (a C keyword meant as the parameter's
// name). It parses the header again without type checking; nil when it
// finds no such parameter.
func hdrBadParamSpecifiers(filename string, src []byte, cfg *cc.Config, sources []cc.Source) error {
	ast, err := cc.Parse(cfg, sources)
	if err != nil || ast == nil {
		return nil
	}
	var found error
	pdType := reflect.TypeOf(&cc.ParameterDeclaration{})
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if found != nil {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			if v.Type() == pdType {
				if pd := v.Interface().(*cc.ParameterDeclaration); pd.Case == cc.ParameterDeclarationAbstract {
					if e := hdrParamSpecifiersError(filename, src, pd); e != nil {
						found = e
						return
					}
				}
			}
			walk(v.Elem())
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(ast.TranslationUnit))
	return found
}

// hdrParamSpecifiersError reports an unnamed parameter of the user's file
// whose type specifiers do not make a C type.
func hdrParamSpecifiersError(filename string, src []byte, pd *cc.ParameterDeclaration) error {
	var specs []*cc.TypeSpecifier
	for ds := pd.DeclarationSpecifiers; ds != nil; ds = ds.DeclarationSpecifiers {
		if ds.TypeSpecifier != nil {
			specs = append(specs, ds.TypeSpecifier)
		}
	}
	if len(specs) < 2 || hdrSpecifiersCombine(specs) {
		return nil
	}
	last := specs[len(specs)-1]
	pos := hdrTokPos(last.Token)
	if pos.File != filename {
		return nil
	}
	var words []string
	for _, t := range specs {
		words = append(words, t.Token.SrcStr())
	}
	msg := fmt.Sprintf("syntax error: '%s' is not a type", strings.Join(words, " "))
	if kw := last.Token.SrcStr(); model.IsCKeyword(kw) || hdrGNUKeywords[kw] {
		msg += fmt.Sprintf(": if '%s' names the parameter, it is a C keyword: rename the parameter", kw)
	} else {
		msg += ": name the parameter after its type, e.g. (int arg)"
	}
	return &model.Error{Pos: pos, Err: model.ErrSyntax, Msg: msg}
}

// hdrSpecifiersCombine reports whether a list of type specifiers makes a C
// type (C11 6.7.2: "unsigned long int", "long long", "signed char", ...).
func hdrSpecifiersCombine(specs []*cc.TypeSpecifier) bool {
	n := map[cc.TypeSpecifierCase]int{}
	for _, t := range specs {
		n[t.Case]++
	}
	sign := n[cc.TypeSpecifierSigned] + n[cc.TypeSpecifierUnsigned]
	total := len(specs)
	switch {
	case sign > 1 || n[cc.TypeSpecifierInt] > 1 || n[cc.TypeSpecifierShort] > 1 || n[cc.TypeSpecifierLong] > 2:
		return false
	case n[cc.TypeSpecifierChar] == 1:
		return total == 1+sign
	case n[cc.TypeSpecifierShort] == 1:
		return total == 1+n[cc.TypeSpecifierInt]+sign
	case n[cc.TypeSpecifierDouble] == 1:
		return total == 1+n[cc.TypeSpecifierLong]+n[cc.TypeSpecifierComplex] && n[cc.TypeSpecifierLong] <= 1
	case n[cc.TypeSpecifierFloat] == 1:
		return total == 1+n[cc.TypeSpecifierComplex]
	}
	return total == n[cc.TypeSpecifierLong]+n[cc.TypeSpecifierInt]+sign
}

// hdrEndPos is the position just after the last character of src.
func hdrEndPos(filename string, src []byte) model.Pos {
	src = bytes.TrimRight(src, " \t\r\n")
	line := 1 + bytes.Count(src, []byte("\n"))
	col := 1 + len(src) - (bytes.LastIndexByte(src, '\n') + 1)
	return model.Pos{File: filename, Line: line, Col: col}
}

// hdrStruct is one struct defined in the user's header.
type hdrStruct struct {
	name string
	spec *cc.StructOrUnionSpecifier
	typ  *cc.StructType
	pos  model.Pos
	ops  bool // non-empty and every member is a function pointer
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
			h.ops = typ.NumFields() > 0
			for i := 0; i < typ.NumFields(); i++ {
				f := typ.FieldByIndex(i)
				if f == nil || f.IsBitfield() || f.Name() == "" || !hdrIsFuncPtr(f.Type()) {
					h.ops = false
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
				Msg: fmt.Sprintf("ops name %q is not a C identifier: pass the struct's tag to --ops, e.g. --ops foo_ops", opsName)}
		}
		for i := range all {
			if all[i].name == opsName {
				return &all[i], nil
			}
		}
		msg := fmt.Sprintf("no struct %s is defined in the header", opsName)
		if len(names) > 0 {
			msg += fmt.Sprintf(" (it defines %s): choose one of them with --ops", strings.Join(names, ", "))
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
		return nil, &model.Error{Err: model.ErrNoOps, Msg: fmt.Sprintf("%s declares %d ops structs (%s): choose one with --ops",
			filename, len(ops), strings.Join(opsNames, ", "))}
	case len(all) == 1:
		return &all[0], nil // not all callbacks: report what is wrong with it
	case len(all) == 0:
		return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps,
			Msg: "no struct is defined in the header: define the ops struct, e.g. struct foo_ops { int (*run)(int arg); };"}
	}
	return nil, &model.Error{Pos: model.Pos{File: filename}, Err: model.ErrNoOps,
		Msg: fmt.Sprintf("none of the %d structs (%s) has only function pointer members: choose the ops struct with --ops",
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

const hdrOnlyCallbacks = "a new-subsystem spec has only function pointer members"

// hdrBuildOps validates the chosen struct and builds the model.
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
			return nil, &model.Error{Pos: m.pos, Err: model.ErrUnsupported,
				Msg: fmt.Sprintf("%s is not supported: %s (declare each callback as a named member)", what, hdrOnlyCallbacks)}
		}
		if err := model.CheckName(m.name, "member"); err != nil {
			return nil, errf(model.ErrName, "%s", err)
		}
		f := s.typ.FieldByName(m.name)
		if f == nil {
			return nil, errf(model.ErrUnsupported, "member not found in the struct layout: simplify its declaration")
		}
		if f.IsBitfield() || m.sdr.ConstantExpression != nil {
			return nil, errf(model.ErrUnsupported, "bitfields are not supported: %s (remove it, or make it a callback: RET (*%s)(PARAMS))", hdrOnlyCallbacks, m.name)
		}
		if prev, ok := goNames[model.GoName(m.name)]; ok {
			if prev.name == m.name {
				return nil, errf(model.ErrName, "duplicate member name (first declared at %s): rename one of them", prev.pos)
			}
			return nil, errf(model.ErrName, "Go name %s clashes with member %s (%s): rename one of them",
				model.GoName(m.name), prev.name, prev.pos)
		}
		goNames[model.GoName(m.name)] = m
		ft := f.Type()
		if !hdrIsFuncPtr(ft) {
			return nil, errf(model.ErrUnsupported, "%s", hdrDataMemberMsg(m.name, ft))
		}
		fn, _ := ft.(*cc.PointerType).Elem().(*cc.FunctionType)
		if fn == nil {
			return nil, errf(model.ErrUnsupported, "not a function pointer: declare it as RET (*%s)(PARAMS)", m.name)
		}
		mf, err := hdrFunc(m, fn, errf)
		if err != nil {
			return nil, err
		}
		if f.Offset() < 0 || ft.Size() != 8 {
			return nil, errf(model.ErrUnsupported, "unexpected layout (offset %d, size %d): simplify its declaration", f.Offset(), ft.Size())
		}
		ops.Members = append(ops.Members, model.Member{Name: m.name, Offset: int(f.Offset()), Size: int(ft.Size()), Func: mf, Pos: m.pos})
	}
	slices.SortStableFunc(ops.Members, func(a, b model.Member) int { return a.Offset - b.Offset })
	return ops, nil
}

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

func hdrDataMemberMsg(name string, t cc.Type) string {
	fix := fmt.Sprintf("%s (remove it, or make it a callback: RET (*%s)(PARAMS))", hdrOnlyCallbacks, name)
	switch t.Kind() {
	case cc.Union:
		return fmt.Sprintf("union members (%s) are not supported: %s", hdrTypeString(t), fix)
	case cc.Struct:
		return fmt.Sprintf("struct members (%s) are not supported: %s", hdrTypeString(t), fix)
	case cc.Array:
		return fmt.Sprintf("array members (%s) are not supported: %s", hdrTypeString(t), fix)
	}
	return fmt.Sprintf("data member of type %s is not supported: %s (declare it as a callback, e.g. int (*%s)(void))",
		hdrTypeString(t), hdrOnlyCallbacks, name)
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
		return nil, errf(model.ErrUnsupported, "variadic callbacks are not supported: BPF programs take a fixed argument list (replace ... with named parameters)")
	}
	ps := fn.Parameters()
	if len(ps) == 0 && fn.MaxArgs() < 0 {
		return nil, errf(model.ErrUnsupported, "() leaves the parameters unspecified in C: write (void) for a callback without arguments")
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
	for i, p := range ps {
		name := p.Name()
		label := fmt.Sprintf("param %d", i+1)
		if name != "" {
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
			return &model.Error{Pos: pos, Member: m.name, Err: cat, Msg: label + ": " + fmt.Sprintf(format, args...)}
		}
		t := p.Type()
		if t.Kind() == cc.Void {
			return nil, perrf(model.ErrUnsupported, "void is not a parameter type: write (void) alone for a callback without arguments")
		}
		typ, why := hdrType(t, true, false)
		if why != "" {
			return nil, perrf(model.ErrUnsupported, "%s", why)
		}
		if name == "" {
			return nil, perrf(model.ErrName, "%s has no name: name every parameter (the generated C and BPF code refer to them)", typ.C)
		}
		pm := model.Param{Name: name, Type: typ}
		pm.Name, pm.Nullable, pm.Ref = model.ParseStubName(name)
		switch {
		case pm.Nullable && !typ.IsPointer():
			return nil, perrf(model.ErrUnsupported, "__nullable applies only to pointer parameters: drop the suffix")
		case pm.Ref && typ.Kind != model.StructPtr:
			return nil, perrf(model.ErrUnsupported, "__ref applies only to struct pointer parameters: drop the suffix")
		}
		if err := model.CheckName(pm.Name, "parameter"); err != nil {
			return nil, perrf(model.ErrName, "%s", err)
		}
		g := model.GoName(pm.Name)
		if prev, ok := seen[g]; ok {
			if prev == pm.Name {
				return nil, perrf(model.ErrName, "duplicate parameter name: rename one of them")
			}
			return nil, perrf(model.ErrName, "Go name %s clashes with parameter %s: rename one of them", g, prev)
		}
		seen[g] = pm.Name
		out.Params = append(out.Params, pm)
	}
	return out, nil
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
		return model.Type{Kind: model.Int, Size: int(t.Size()), Signed: signed, C: hdrScalarSpelling(t)}, ""
	case cc.Float, cc.Double, cc.LongDouble, cc.Float16, cc.Float32, cc.Float32x, cc.Float64, cc.Float64x,
		cc.Float128, cc.Float128x, cc.Decimal32, cc.Decimal64, cc.Decimal128,
		cc.ComplexFloat, cc.ComplexDouble, cc.ComplexLongDouble:
		return model.Type{}, fmt.Sprintf("%s is not supported: BPF has no floating point (use an integer type such as u64)", spell)
	case cc.Int128, cc.UInt128:
		return model.Type{}, fmt.Sprintf("%s is not supported: BPF registers are 64 bits (use u64)", spell)
	case cc.Enum:
		return model.Type{}, fmt.Sprintf("%s is not supported: use its integer type (int or u32)", spell)
	case cc.Struct, cc.Union:
		return model.Type{}, fmt.Sprintf("%s by value is not supported: BPF programs get scalars and pointers (use %s *)", spell, spell)
	case cc.Ptr:
		e := t.(*cc.PointerType).Elem()
		const supported = "supported pointers are const char * (a kernel string) and struct pointers (struct foo *)"
		isConst := constHint || e.Attributes() != nil && e.Attributes().IsConst()
		switch e.Kind() {
		case cc.Char:
			if !isConst {
				return model.Type{}, fmt.Sprintf("%s is not supported: use const char * (a read-only kernel string); %s", spell, supported)
			}
			return model.Type{Kind: model.CharPtr, Size: 8, C: "const char *"}, ""
		case cc.Struct:
			st, _ := e.(*cc.StructType)
			tag := ""
			if st != nil {
				tag = hdrTag(st.Tag())
			}
			if tag == "" {
				return model.Type{}, fmt.Sprintf("a pointer to an anonymous struct is not supported: give the struct a tag (struct foo *)")
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
	return model.Type{}, fmt.Sprintf("%s is not supported: use an integer type, bool, const char * or a struct pointer", spell)
}

// hdrScalarSpelling is the C spelling of an integer or bool type: the
// typedef name when it is a predefined one (u32, uint8_t, bool), else the
// canonical spelling of the underlying type (user typedefs are resolved, since
// the generated code does not carry them).
func hdrScalarSpelling(t cc.Type) string {
	if d := t.Typedef(); d != nil && d.Position().Filename == hdrPreludeName {
		return d.Name()
	}
	if s, ok := hdrIntSpelling[t.Kind()]; ok {
		return s
	}
	return t.String()
}

// hdrSysFS serves every system include as an empty file and records the
// names the prelude does not cover.
type hdrSysFS struct{ unknown []string }

func (s *hdrSysFS) Open(name string) (fs.File, error) {
	rel, ok := strings.CutPrefix(path.Clean(name), hdrSysDir+"/")
	if !ok || rel == "" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if !hdrKnownIncludes[rel] && !slices.Contains(s.unknown, rel) {
		s.unknown = append(s.unknown, rel)
	}
	return &hdrEmptyFile{name: path.Base(rel)}, nil
}

type hdrEmptyFile struct{ name string }

func (f *hdrEmptyFile) Stat() (fs.FileInfo, error) { return hdrEmptyInfo{f.name}, nil }
func (f *hdrEmptyFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (f *hdrEmptyFile) Close() error               { return nil }

type hdrEmptyInfo struct{ name string }

func (i hdrEmptyInfo) Name() string       { return i.name }
func (i hdrEmptyInfo) Size() int64        { return 0 }
func (i hdrEmptyInfo) Mode() fs.FileMode  { return 0o444 }
func (i hdrEmptyInfo) ModTime() time.Time { return time.Time{} }
func (i hdrEmptyInfo) IsDir() bool        { return false }
func (i hdrEmptyInfo) Sys() any           { return nil }
