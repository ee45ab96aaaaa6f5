package header

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// How the reader turns what cc/v4 reports (or panics on) into one located
// *model.Error that says what is wrong and the fix.

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

// hdrSyntaxError turns the first message of a cc/v4 error into a *model.Error.
func hdrSyntaxError(filename string, src []byte, err error, sys *hdrFS) error {
	unknown := sys.unknown
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
		case hdrPreludeName:
			msg = fmt.Sprintf("%s (at %s:%s:%s)", msg, m[1], m[2], m[3])
		default:
			// a file the spec includes
			pos = model.Pos{File: m[1], Line: line, Col: col}
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
	if strings.HasPrefix(msg, "assertion failed") {
		// the spec's own _Static_assert: its message says what is wrong
		return &model.Error{Pos: pos, Err: fmt.Errorf("%w: %w", model.ErrSyntax, err), Msg: msg}
	}
	fix := ""
	switch {
	case msg == "invalid argument":
		msg = "invalid #include argument"
		fix = ": write #include <linux/types.h>"
	case strings.HasPrefix(msg, "include file not found: \""):
		dirs := append([]string{filepath.Dir(pos.File)}, sys.dirs...)
		fix = fmt.Sprintf(" (looked in %s): pass the directory that holds it with -I DIR", strings.Join(dirs, ", "))
	case strings.HasPrefix(msg, "include file not found: <"):
		fix = ": use a plain system header name such as <linux/types.h>"
	case len(unknown) > 0:
		fix = fmt.Sprintf(" (note: <%s> is not read: the reader knows only the common kernel types and macros; declare other types in the spec)",
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
