package header

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/structops/structops-gen/gen/model"
)

// FuzzParseHeader checks that any input gives an error or a model that keeps
// the invariants the emitters rely on, and never panics or hangs.
func FuzzParseHeader(f *testing.F) {
	for _, pattern := range []string{"../../testdata/headers/*.h", "../../testdata/headers/errors/*.h"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, "")
		}
	}
	f.Add([]byte(hdrDefaultSpec), "")
	f.Add([]byte(hdrDefaultSpec), "bpf_testmod_ops")
	f.Add([]byte("struct a_ops { int (*x)(int a); };\nstruct b_ops { int (*y)(int b); };\n"), "b_ops")
	f.Add([]byte("#define F(n) int (*n)(int a)\nstruct m_ops { F(a); F(b); };\n"), "")
	f.Add([]byte("typedef int (*cb_t)(u32 a);\nstruct t_ops { cb_t run; };\n"), "t_ops")

	f.Fuzz(func(t *testing.T, src []byte, opsName string) {
		// A watchdog turns a hang in the C front end into a failure that
		// the fuzzer records with its input (the parse goroutine leaks).
		type result struct {
			o   *model.Ops
			err error
		}
		done := make(chan result, 1)
		go func() {
			o, err := parseValid("fuzz.h", src, opsName)
			done <- result{o, err}
		}()
		var o *model.Ops
		var err error
		select {
		case r := <-done:
			o, err = r.o, r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("Parse did not return in 10s on %q (ops %q)", src, opsName)
		}
		if err != nil {
			if o != nil {
				t.Fatalf("both a model and an error: %v", err)
			}
			var he *model.Error
			if !errors.As(err, &he) {
				t.Fatalf("error %T is not a *model.Error: %v", err, err)
			}
			for _, msg := range strings.Split(err.Error(), "\n") { // Validate reports every problem, a line each
				if msg == "" || !utf8.ValidString(msg) && utf8.Valid(src) {
					t.Fatalf("bad error message %q", err.Error())
				}
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("front end panicked: %v", err)
			}
			return
		}
		if o == nil {
			t.Fatal("nil model and nil error")
		}
		if opsName != "" && o.Name != opsName {
			t.Fatalf("asked for %q, got %q", opsName, o.Name)
		}
		if err := hdrCheckInvariants(o); err != nil {
			t.Fatalf("%v\n%s", err, hdrDumpOps(o))
		}
	})
}

// hdrCheckInvariants checks what every emitter assumes of a header model.
func hdrCheckInvariants(o *model.Ops) error {
	if !hdrIsCIdent(o.Name) {
		return fmt.Errorf("ops name %q is not a C identifier", o.Name)
	}
	if n := len(o.Members); n == 0 || n > model.MaxMembers {
		return fmt.Errorf("%d members", n)
	}
	if o.Size <= 0 || o.Size%8 != 0 {
		return fmt.Errorf("struct size %d", o.Size)
	}
	if !strings.HasPrefix(o.Source, "header ") {
		return fmt.Errorf("source %q", o.Source)
	}
	names := map[string]bool{}
	goNames := map[string]bool{}
	end := 0
	for i, m := range o.Members {
		if !hdrIsCIdent(m.Name) || names[m.Name] || goNames[model.GoName(m.Name)] {
			return fmt.Errorf("member %d: bad or duplicate name %q", i, m.Name)
		}
		names[m.Name], goNames[model.GoName(m.Name)] = true, true
		if (m.Func == nil) == (m.Data == nil) {
			return fmt.Errorf("member %s: neither or both a callback and data", m.Name)
		}
		if m.Data != nil {
			// a data member: any type with a size and a C spelling
			if m.Data.C == "" || m.Data.Size != m.Size || m.Size <= 0 || m.Offset < end || m.Offset+m.Size > o.Size {
				return fmt.Errorf("member %s: data %+v at %d/%d after %d in %d", m.Name, m.Data, m.Offset, m.Size, end, o.Size)
			}
			end = m.Offset + m.Size
			continue
		}
		if m.Size != 8 || m.Offset%8 != 0 || m.Offset < end || m.Offset+m.Size > o.Size {
			return fmt.Errorf("member %s: offset/size %d/%d after %d in %d", m.Name, m.Offset, m.Size, end, o.Size)
		}
		end = m.Offset + m.Size
		if m.Pos.File == "" || m.Pos.Line <= 0 || m.Pos.Col <= 0 {
			return fmt.Errorf("member %s: position %+v", m.Name, m.Pos)
		}
		if len(m.Func.Params) > model.MaxArgs {
			return fmt.Errorf("member %s: %d params", m.Name, len(m.Func.Params))
		}
		if err := hdrCheckType(m.Func.Return, true); err != nil {
			return fmt.Errorf("member %s: return: %v", m.Name, err)
		}
		pnames := map[string]bool{}
		for _, p := range m.Func.Params {
			if !hdrIsCIdent(p.Name) || pnames[model.GoName(p.Name)] || strings.HasSuffix(p.Name, "__nullable") {
				return fmt.Errorf("member %s: bad or duplicate param name %q", m.Name, p.Name)
			}
			pnames[model.GoName(p.Name)] = true
			if err := hdrCheckType(p.Type, false); err != nil {
				return fmt.Errorf("member %s: param %s: %v", m.Name, p.Name, err)
			}
			if p.Nullable && !p.Type.IsPointer() {
				return fmt.Errorf("member %s: param %s: nullable scalar", m.Name, p.Name)
			}
		}
	}
	if end > o.Size {
		return fmt.Errorf("members end at %d, struct size %d", end, o.Size)
	}
	return nil
}

func hdrCheckType(t model.Type, ret bool) error {
	if t.C == "" {
		return fmt.Errorf("no C spelling: %+v", t)
	}
	switch t.Kind {
	case model.Void:
		if !ret || t.Size != 0 {
			return fmt.Errorf("void %+v", t)
		}
	case model.Bool:
		if t.Size != 1 || t.Signed {
			return fmt.Errorf("bool %+v", t)
		}
	case model.Int:
		if t.Size != 1 && t.Size != 2 && t.Size != 4 && t.Size != 8 {
			return fmt.Errorf("int %+v", t)
		}
	case model.CharPtr:
		if t.Size != 8 || t.C != "const char *" {
			return fmt.Errorf("const char * %+v", t)
		}
	case model.StructPtr:
		// struct tag *, or typedef *: a typedef'd anonymous struct
		if t.Size != 8 || !hdrIsCIdent(t.Struct) || !strings.HasSuffix(t.C, "struct "+t.Struct+" *") &&
			(t.C != t.Struct+" *" && t.C != "const "+t.Struct+" *" || t.Def == nil) {
			return fmt.Errorf("struct pointer %+v", t)
		}
	case model.Opaque:
		if ret || t.Size < 1 || t.Size > model.MaxByValue || t.C == "" {
			return fmt.Errorf("struct by value %+v", t)
		}
	case model.Ptr:
		if t.Size != 8 || !strings.HasSuffix(t.C, " *") || strings.Contains(t.C, "struct ") {
			return fmt.Errorf("opaque pointer %+v", t)
		}
	default:
		return fmt.Errorf("kind %v", t.Kind)
	}
	if t.Enum != "" && (t.Kind != model.Int || !hdrIsCIdent(t.Enum)) {
		return fmt.Errorf("enum %+v", t)
	}
	return nil
}

func hdrIsCIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
