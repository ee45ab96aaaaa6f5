package header

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"modernc.org/cc/v4"

	"github.com/structops/structops-gen/gen/model"
)

// Reporting every problem of a header at once. cc/v4 stops at the first
// name it does not know: C's grammar depends on which names are types. The
// reader then names the unknown type (or macro), declares a placeholder
// for it in a source between the prelude and the spec, and parses again,
// so one run finds them all; the members that use a placeholder are left
// out of the model.

// hdrUnknownName is the source name of the placeholders.
const hdrUnknownName = "<structops-unknown>"

// hdrMaxUnknown bounds the parse rounds (each takes milliseconds).
const hdrMaxUnknown = 32

// hdrUnknown is one name the spec uses but neither declares nor gets from
// the prelude.
type hdrUnknown struct {
	name  string
	macro bool // in a constant expression (#define it), else a type
	pos   model.Pos
}

// hdrUnknownSource declares a placeholder for each unknown name: a type
// of 8 bytes, or a macro of value 1.
func hdrUnknownSource(us []hdrUnknown) string {
	var b strings.Builder
	for _, u := range us {
		if u.macro {
			fmt.Fprintf(&b, "#define %s 1\n", u.name)
		} else {
			fmt.Fprintf(&b, "typedef struct __structops_unknown_%s { long __structops_unknown; } %s;\n", u.name, u.name)
		}
	}
	return b.String()
}

// hdrUsesUnknown reports whether t involves a placeholder type.
func hdrUsesUnknown(t cc.Type) bool {
	for range 16 {
		if t == nil {
			return false
		}
		if d := t.Typedef(); d != nil && d.Position().Filename == hdrUnknownName {
			return true
		}
		switch x := t.(type) {
		case *cc.PointerType:
			t = x.Elem()
		case *cc.ArrayType:
			t = x.Elem()
		case *cc.FunctionType:
			if hdrUsesUnknown(x.Result()) {
				return true
			}
			for _, p := range x.Parameters() {
				if hdrUsesUnknown(p.Type()) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// hdrUndefined matches cc/v4's message for an unknown name in an expression.
var hdrUndefined = regexp.MustCompile(`^undefined: ([A-Za-z_]\w*)$`)

// hdrIdentBefore matches the last identifier of a text.
var hdrIdentBefore = regexp.MustCompile(`([A-Za-z_]\w*)[\s*,]*$`)

// hdrFindUnknown finds the unknown name a cc/v4 error is about: an
// undefined name in an expression, or the identifier just before the
// place the parser stopped, when it is neither a keyword nor a type the
// prelude or an earlier round declares.
func hdrFindUnknown(err error, filename string, src []byte, sys *hdrFS, known []hdrUnknown) (hdrUnknown, bool) {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	msg = strings.TrimSpace(hdrCCOrigin.ReplaceAllString(msg, ""))
	m := hdrCCPos.FindStringSubmatch(msg)
	if m == nil {
		return hdrUnknown{}, false
	}
	file := m[1]
	text := src
	if file != filename {
		if text = sys.read[file]; text == nil {
			return hdrUnknown{}, false
		}
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	seen := func(name string) bool {
		return slices.ContainsFunc(known, func(u hdrUnknown) bool { return u.name == name })
	}
	if u := hdrUndefined.FindStringSubmatch(m[4]); u != nil {
		if seen(u[1]) {
			return hdrUnknown{}, false
		}
		return hdrUnknown{name: u[1], macro: true, pos: model.Pos{File: file, Line: line, Col: col}}, true
	}
	if !strings.HasPrefix(m[4], "unexpected ") {
		return hdrUnknown{}, false
	}
	off := hdrOffset(text, line, col)
	if off < 0 {
		return hdrUnknown{}, false
	}
	before := text[:off]
	w := hdrIdentBefore.FindSubmatchIndex(before)
	if w == nil {
		return hdrUnknown{}, false
	}
	name := string(before[w[2]:w[3]])
	if model.IsCKeyword(name) || hdrGNUKeywords[name] || hdrTypesH[name] || seen(name) ||
		strings.Contains(hdrPrelude, " "+name+";\n") {
		return hdrUnknown{}, false
	}
	start := off - len(before) + w[2]
	l := 1 + bytes.Count(text[:start], []byte("\n"))
	c := 1 + start - (bytes.LastIndexByte(text[:start], '\n') + 1)
	return hdrUnknown{name: name, pos: model.Pos{File: file, Line: l, Col: c}}, true
}

// hdrMovedOn reports whether the parse error now comes from a later place
// than before, in the same file, or from another file: the placeholder let
// the parser past the name.
func hdrMovedOn(before, now error) bool {
	pos := func(err error) (string, int, int) {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		m := hdrCCPos.FindStringSubmatch(strings.TrimSpace(hdrCCOrigin.ReplaceAllString(msg, "")))
		if m == nil {
			return "", 0, 0
		}
		l, _ := strconv.Atoi(m[2])
		c, _ := strconv.Atoi(m[3])
		return m[1], l, c
	}
	f1, l1, c1 := pos(before)
	f2, l2, c2 := pos(now)
	return f1 != f2 || l2 > l1 || l2 == l1 && c2 > c1
}

// hdrOffset is the byte offset of line:col (1-based) in text, or -1.
func hdrOffset(text []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(text[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	if off+col-1 > len(text) {
		return -1
	}
	return off + col - 1
}

// hdrPreludeNames are the type and macro names the prelude declares, for
// suggestions.
func hdrPreludeNames(macro bool) []string {
	var out []string
	for _, line := range strings.Split(hdrPrelude, "\n") {
		switch {
		case macro && strings.HasPrefix(line, "#define "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "#define "), " ")
			name, _, _ = strings.Cut(name, "(")
			out = append(out, name)
		case !macro && strings.HasPrefix(line, "typedef ") && strings.HasSuffix(line, ";"):
			f := strings.Fields(strings.TrimSuffix(line, ";"))
			out = append(out, f[len(f)-1])
		}
	}
	return out
}

// hdrConfigSized are kernel types a spec cannot hold by value: their
// layout depends on the kernel's configuration.
var hdrConfigSized = map[string]bool{
	"spinlock_t": true, "raw_spinlock_t": true, "rwlock_t": true, "seqlock_t": true, "seqcount_t": true,
	"wait_queue_head_t": true, "mutex_t": true, "rw_semaphore_t": true,
}

// hdrUnknownErrors are the errors of the unknown names.
func hdrUnknownErrors(us []hdrUnknown, sys *hdrFS) []error {
	var out []error
	for _, u := range us {
		what, fix := "type", "declare it in the spec"
		if u.macro {
			what, fix = "macro", "#define it in the spec"
		}
		msg := fmt.Sprintf("unknown %s %s", what, u.name)
		if hdrConfigSized[u.name] {
			out = append(out, &model.Error{Pos: u.pos, Err: model.ErrUnsupported,
				Msg: msg + ": its size depends on the kernel configuration (lock debugging, PREEMPT_RT): the spec cannot lay it out; hold a pointer instead"})
			continue
		}
		if len(sys.unknown) > 0 {
			msg += fmt.Sprintf(" (<%s> is not read: the reader knows only the common kernel types and macros): %s",
				strings.Join(sys.unknown, ">, <"), fix)
		} else {
			msg += ": " + fix
		}
		if s := model.Closest(u.name, hdrPreludeNames(u.macro)); s != "" && model.EditDistance(s, u.name) <= max(1, len(u.name)/3) {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		out = append(out, &model.Error{Pos: u.pos, Err: model.ErrSyntax, Msg: msg})
	}
	return out
}

// hdrJoin joins errors (flattening joined ones) in the order of their
// positions in each file, the spec's files first in the order met.
func hdrJoin(errs ...error) error {
	var flat []error
	var add func(err error)
	add = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				add(e)
			}
			return
		}
		if err != nil {
			flat = append(flat, err)
		}
	}
	for _, e := range errs {
		add(e)
	}
	files := map[string]int{}
	pos := func(err error) model.Pos {
		var me *model.Error
		if errors.As(err, &me) {
			return me.Pos
		}
		return model.Pos{}
	}
	for _, e := range flat {
		if f := pos(e).File; f != "" {
			if _, ok := files[f]; !ok {
				files[f] = len(files)
			}
		}
	}
	slices.SortStableFunc(flat, func(a, b error) int {
		pa, pb := pos(a), pos(b)
		if pa.File != pb.File {
			if pa.File == "" || pb.File == "" {
				return 0
			}
			return cmp.Compare(files[pa.File], files[pb.File])
		}
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
	return errors.Join(flat...)
}
