package gen

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzGoImport is the import path fuzzed stacks are rendered for.
const fuzzGoImport = "example.com/fuzz/out"

// withWatchdog runs f, failing the test when it does not return in 10 s
// (the fuzzer then records the input; the goroutine leaks).
func withWatchdog(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return in 10s", what)
	}
}

// checkMessage fails unless err is one non-empty line.
func checkMessage(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
		t.Fatalf("error is not one line: %q", msg)
	}
}

// FuzzLoadBTF feeds arbitrary bytes to the BTF reader as raw BTF and as the
// .BTF section of an ELF object (split BTF resolves against the small
// testdata/btf/base.btf), then models and renders every struct_ops type it
// finds. Any input must give an error or a model; rendered Go must parse.
func FuzzLoadBTF(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(btfBlobDir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		if !strings.HasSuffix(file, ".o") {
			f.Add(data, true)
		}
	}
	base := filepath.Join(btfBlobDir, "base.btf")
	f.Fuzz(func(t *testing.T, data []byte, asELF bool) {
		path := "fuzz.btf"
		if asELF {
			data, path = elfObject([2]string{".BTF", string(data)}), "fuzz.o"
		}
		withWatchdog(t, "the BTF pipeline", func() {
			bf, err := loadBTF(path, data, base)
			if err != nil {
				if bf != nil {
					t.Errorf("both a BTF file and an error: %v", err)
				}
				checkMessage(t, err)
				return
			}
			names, err := StructOpsNames(bf.Spec)
			if err != nil {
				checkMessage(t, err)
				return
			}
			if len(names) > 8 {
				names = names[:8]
			}
			for _, name := range append(names, "foo_ops", "no_such_ops") {
				o, err := FromBTF(bf, name)
				if err != nil {
					checkMessage(t, err)
					continue
				}
				fs, err := Render(o, Options{GoImport: fuzzGoImport})
				if err != nil {
					continue // a model Validate refuses: reported, not rendered
				}
				checkGo(t, fs)
			}
		})
	})
}

// FuzzPipeline runs header text through the whole pipeline: ParseHeader,
// Render, then checks that every generated Go file parses and that the
// generated C header lays the ops struct out as the model says.
func FuzzPipeline(f *testing.F) {
	for _, pattern := range []string{"testdata/headers/*.h", "testdata/headers/errors/*.h"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Add([]byte(hdrDefaultSpec))
	f.Fuzz(func(t *testing.T, src []byte) {
		withWatchdog(t, "the header pipeline", func() {
			o, err := ParseHeader("fuzz.h", src, "")
			if err != nil {
				checkMessage(t, err)
				return
			}
			fs, err := Render(o, Options{GoImport: fuzzGoImport})
			if err != nil {
				t.Fatalf("ParseHeader accepted the header but Render failed: %v", err)
			}
			checkGo(t, fs)
			if err := checkCLayout(o, fs); err != nil {
				t.Fatalf("generated C: %v", err)
			}
		})
	})
}

// checkGo parses every generated Go file.
func checkGo(t *testing.T, fs Files) {
	t.Helper()
	n := 0
	for _, f := range fs {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		n++
		if _, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.AllErrors); err != nil {
			t.Fatalf("generated %s does not parse: %v\n%s", f.Path, err, f.Data)
		}
	}
	if n == 0 {
		t.Fatal("no Go files rendered")
	}
}

var (
	cFuncPtr = regexp.MustCompile(`\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\(`)
	cDecl    = regexp.MustCompile(`^(.*?[\s*])([A-Za-z_]\w*)\s*(?:\[\s*(\d+)\s*\])?$`)
)

// cScalarSize is the x86-64 size of the scalar C types generated headers use.
var cScalarSize = map[string]int{
	"char": 1, "signed char": 1, "unsigned char": 1, "bool": 1, "_Bool": 1, "u8": 1, "s8": 1, "__u8": 1, "__s8": 1,
	"short": 2, "unsigned short": 2, "u16": 2, "s16": 2, "__u16": 2, "__s16": 2,
	"int": 4, "unsigned int": 4, "unsigned": 4, "u32": 4, "s32": 4, "__u32": 4, "__s32": 4,
	"long": 8, "unsigned long": 8, "long long": 8, "unsigned long long": 8,
	"u64": 8, "s64": 8, "__u64": 8, "__s64": 8,
}

// checkCLayout finds the ops struct in the generated module header, lays
// it out as the x86-64 C ABI does (a small layout calculator: function
// pointers, pointers, scalars and arrays of them) and compares each
// member's name, offset and size, and the struct's size, with the model.
func checkCLayout(o *Ops, fs Files) error {
	var hdr []byte
	for _, f := range fs {
		if f.Path == "module/"+o.Name+".h" {
			hdr = f.Data
		}
	}
	if hdr == nil {
		return fmt.Errorf("no module/%s.h rendered", o.Name)
	}
	text := string(hdr)
	open := "\nstruct " + o.Name + " {\n"
	i := strings.Index(text, open)
	if i < 0 {
		return fmt.Errorf("module/%s.h does not define struct %s", o.Name, o.Name)
	}
	body, _, ok := strings.Cut(text[i+len(open):], "\n};")
	if !ok {
		return fmt.Errorf("struct %s is not closed", o.Name)
	}
	// drop comments
	body = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body, "")
	body = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(body, "")
	var decls []string
	for _, d := range strings.Split(body, ";") {
		if d = strings.TrimSpace(d); d != "" {
			decls = append(decls, d)
		}
	}
	if len(decls) != len(o.Members) {
		return fmt.Errorf("struct %s has %d members in C, %d in the model", o.Name, len(decls), len(o.Members))
	}
	off, align := 0, 1
	for k, d := range decls {
		var name string
		size, al := 8, 8
		if m := cFuncPtr.FindStringSubmatch(d); m != nil {
			name = m[1]
		} else if m := cDecl.FindStringSubmatch(d); m != nil {
			name = m[2]
			typ := strings.Join(strings.Fields(strings.ReplaceAll(m[1], "const ", "")), " ")
			if !strings.HasSuffix(typ, "*") {
				s, ok := cScalarSize[typ]
				if !ok {
					return fmt.Errorf("member %q: unknown C type %q", d, typ)
				}
				size, al = s, s
			}
			if m[3] != "" {
				n, _ := strconv.Atoi(m[3])
				size *= n
			}
		} else {
			return fmt.Errorf("cannot read member declaration %q", d)
		}
		off = (off + al - 1) / al * al
		align = max(align, al)
		mm := o.Members[k]
		if mm.Name != name || mm.Offset != off || mm.Size != size {
			return fmt.Errorf("member %d: C has %s at %d (%d bytes), the model %s at %d (%d bytes)",
				k, name, off, size, mm.Name, mm.Offset, mm.Size)
		}
		off += size
	}
	if size := (off + align - 1) / align * align; size != o.Size {
		return fmt.Errorf("struct %s is %d bytes in C, %d in the model", o.Name, size, o.Size)
	}
	// and the header reads back as the same model
	back, err := ParseHeader("module/"+o.Name+".h", hdr, o.Name)
	if err != nil {
		var he *HeaderError
		if !errors.As(err, &he) || !utf8.Valid(hdr) {
			return err
		}
		return fmt.Errorf("the generated header does not parse: %v", err)
	}
	if d := o.Equal(back); d != "" {
		return fmt.Errorf("the generated header reads back differently: %s", d)
	}
	return nil
}

// TestCLayoutGolden runs the layout checker on the golden header specs, so
// a checker that accepts nothing fails here, not only under -fuzz.
func TestCLayoutGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/headers/*.h")
	if err != nil || len(files) == 0 {
		t.Fatalf("no headers: %v", err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		o, err := ParseHeader(file, src, "")
		if err != nil {
			t.Fatal(err)
		}
		fs, err := Render(o, Options{GoImport: fuzzGoImport})
		if err != nil {
			t.Fatal(err)
		}
		checkGo(t, fs)
		if err := checkCLayout(o, fs); err != nil {
			t.Errorf("%s: %v", file, err)
		}
		// a header whose layout is off is caught
		bad := append(Files(nil), fs...)
		for i, f := range bad {
			if f.Path == "module/"+o.Name+".h" {
				bad[i].Data = []byte(strings.Replace(string(f.Data), "{\n", "{\n\tchar pad;\n", 1))
			}
		}
		if err := checkCLayout(o, bad); err == nil {
			t.Errorf("%s: a padded struct passes the layout check", file)
		}
	}
}
