package header

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// Kfuncs: a function prototype marked __bpf_kfunc declares a kfunc the
// module exports to the type's programs; __kf_trusted_args, __kf_ret_null
// and __kf_sleepable before its name add the kernel's flags. The prelude
// defines the markers as empty macros, so the C front end sees a plain
// prototype; the reader finds them in the text before each prototype's
// name, with comments and preprocessor lines blanked out.

// hdrMarkerRe matches the kfunc marker and every __kf_ word.
var hdrMarkerRe = regexp.MustCompile(`\b(__bpf_kfunc|__kf_\w+)\b`)

// hdrMarker is one marker in the blanked source.
type hdrMarker struct {
	off  int
	word string
}

// hdrBlank returns src with comments, string and character literals and
// preprocessor lines replaced by spaces (newlines kept), so that offsets
// still match src.
func hdrBlank(src []byte) []byte {
	b := bytes.Clone(src)
	blank := func(i, j int) {
		for ; i < j && i < len(b); i++ {
			if b[i] != '\n' {
				b[i] = ' '
			}
		}
	}
	lineStart := true
	for i := 0; i < len(b); {
		switch {
		case lineStart && b[i] == '#':
			j := i
			for j < len(b) && (b[j] != '\n' || j > 0 && b[j-1] == '\\') {
				j++
			}
			blank(i, j)
			i = j
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			j := bytes.Index(b[i+2:], []byte("*/"))
			end := len(b)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			blank(i, end)
			i = end
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			j := bytes.IndexByte(b[i:], '\n')
			end := len(b)
			if j >= 0 {
				end = i + j
			}
			blank(i, end)
			i = end
		case b[i] == '"' || b[i] == '\'':
			q := b[i]
			j := i + 1
			for j < len(b) && b[j] != q && b[j] != '\n' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			blank(i, min(j+1, len(b)))
			i = j + 1
		default:
			if b[i] == '\n' {
				lineStart = true
			} else if b[i] != ' ' && b[i] != '\t' {
				lineStart = false
			}
			i++
		}
	}
	return b
}

// hdrMarkers lists the markers of src in order.
func hdrMarkers(blank []byte) []hdrMarker {
	var out []hdrMarker
	for _, m := range hdrMarkerRe.FindAllIndex(blank, -1) {
		out = append(out, hdrMarker{off: m[0], word: string(blank[m[0]:m[1]])})
	}
	return out
}

// hdrOffPos is the position of byte off of src.
func hdrOffPos(filename string, src []byte, off int) model.Pos {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := 1 + off - (bytes.LastIndexByte(src[:off], '\n') + 1)
	return model.Pos{File: filename, Line: line, Col: col}
}

// hdrPosOff is the byte offset of a position in src, -1 if outside.
func hdrPosOff(src []byte, p model.Pos) int {
	off := 0
	for line := 1; line < p.Line; line++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	off += p.Col - 1
	if off < 0 || off > len(src) {
		return -1
	}
	return off
}

// hdrFlagList lists the flag markers, for messages.
func hdrFlagList() string {
	return strings.Join(slices.Sorted(func(yield func(string) bool) {
		for k := range model.KfuncMarkers {
			if !yield(k) {
				return
			}
		}
	}), ", ")
}

// hdrCheckMarkers refuses a __kf_ word that is no flag marker before the C
// front end sees it (it would be an undeclared identifier there).
func hdrCheckMarkers(filename string, src []byte) error {
	var errs []error
	for _, m := range hdrMarkers(hdrBlank(src)) {
		if m.word == model.KfuncMarker || model.KfuncMarkers[m.word] != "" {
			continue
		}
		msg := fmt.Sprintf("unknown kfunc flag %s: the flags are %s", m.word, hdrFlagList())
		if c := model.Closest(m.word, slices.Collect(func(yield func(string) bool) {
			for k := range model.KfuncMarkers {
				if !yield(k) {
					return
				}
			}
		})); c != "" {
			msg += " (did you mean " + c + "?)"
		}
		errs = append(errs, &model.Error{Pos: hdrOffPos(filename, src, m.off), Err: model.ErrUnsupported, Msg: msg})
	}
	return errors.Join(errs...)
}

// hdrKfuncs reads the kfunc prototypes of the user's file: every file-scope
// function declaration must be one (marked __bpf_kfunc), every marker must
// belong to one, and no function may be defined (its body belongs in the
// module's kfuncs file).
func hdrKfuncs(filename string, src []byte, ast *cc.AST, o *model.Ops) ([]model.Kfunc, error) {
	blank := hdrBlank(src)
	markers := hdrMarkers(blank)
	used := make([]bool, len(markers))
	var out []model.Kfunc
	var errs []error
	bodies := o.KfuncsFile()
	for tu := ast.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed == nil {
			continue
		}
		var decls []*cc.Declarator
		switch {
		case ed.Case == cc.ExternalDeclarationFuncDef && ed.FunctionDefinition != nil && ed.FunctionDefinition.Declarator != nil:
			d := ed.FunctionDefinition.Declarator
			if pos := hdrTokPos(d.NameTok()); pos.File == filename {
				if end := hdrPosOff(src, pos); end >= 0 {
					start := bytes.LastIndexAny(blank[:end], ";}") + 1
					for i, m := range markers {
						used[i] = used[i] || m.off >= start && m.off < end
					}
				}
				errs = append(errs, &model.Error{Pos: pos, Kfunc: d.Name(), Err: model.ErrUnsupported,
					Msg: fmt.Sprintf("a function definition: a spec declares a kfunc by its prototype, marked %s and ending in ';', and the body goes in %s",
						model.KfuncMarker, bodies)})
			}
			continue
		case ed.Case == cc.ExternalDeclarationDecl && ed.Declaration != nil:
			for l := ed.Declaration.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
				if l.InitDeclarator != nil && l.InitDeclarator.Declarator != nil {
					decls = append(decls, l.InitDeclarator.Declarator)
				}
			}
		}
		for _, d := range decls {
			if d.IsTypename() || d.Type() == nil || d.Type().Kind() != cc.Function {
				continue
			}
			pos := hdrTokPos(d.NameTok())
			if pos.File != filename {
				continue
			}
			name := d.Name()
			end := hdrPosOff(src, pos)
			if end < 0 {
				continue
			}
			start := bytes.LastIndexAny(blank[:end], ";}") + 1
			k := model.Kfunc{Name: name, Pos: pos}
			marked := false
			for i, m := range markers {
				if m.off < start || m.off >= end {
					continue
				}
				used[i] = true
				if m.word == model.KfuncMarker {
					marked = true
				} else {
					k.Flags.Set(m.word)
				}
			}
			if !marked {
				errs = append(errs, &model.Error{Pos: pos, Kfunc: name, Err: model.ErrUnsupported,
					Msg: fmt.Sprintf("a function prototype not marked %s: mark it (%s u32 %s(u32 arg);) to export it to the programs as a kfunc, or remove it",
						model.KfuncMarker, model.KfuncMarker, name)})
				continue
			}
			fn, _ := d.Type().(*cc.FunctionType)
			if fn == nil {
				continue
			}
			m := hdrMember{name: name, pos: pos, decl: d, kfunc: true}
			errf := func(cat error, format string, args ...any) error {
				return &model.Error{Pos: pos, Kfunc: name, Err: cat, Msg: fmt.Sprintf(format, args...)}
			}
			f, err := hdrFunc(m, fn, errf)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			k.Func = *f
			out = append(out, k)
		}
	}
	for i, m := range markers {
		if !used[i] {
			errs = append(errs, &model.Error{Pos: hdrOffPos(filename, src, m.off), Err: model.ErrUnsupported,
				Msg: fmt.Sprintf("%s marks no function prototype: write it before a kfunc's name, e.g. %s u32 depth(u32 queue);", m.word,
					strings.Join(slices.Compact([]string{model.KfuncMarker, m.word}), " "))})
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		pa, pb := a.(*model.Error).Pos, b.(*model.Error).Pos
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return pa.Col - pb.Col
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
