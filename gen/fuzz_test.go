package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	goimporter "go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/structops/structops-gen/gen/emit/golang"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/output"
	"github.com/structops/structops-gen/gen/read/btfspec"
	"github.com/structops/structops-gen/gen/read/builtin"
	"github.com/structops/structops-gen/gen/read/header"
	"github.com/structops/structops-gen/internal/goast"
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

// checkProblems fails unless err is Validate's: one non-empty line per
// problem, each a *model.Error.
func checkProblems(t *testing.T, err error) {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var me *model.Error
		if !errors.As(e, &me) {
			t.Fatalf("problem %T is not a *model.Error: %v", e, e)
		}
		checkMessage(t, e)
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
			bf, err := btfspec.LoadData(path, data, base)
			if err != nil {
				if bf != nil {
					t.Errorf("both a BTF file and an error: %v", err)
				}
				checkMessage(t, err)
				return
			}
			names, err := btfspec.StructOpsNames(bf.Spec)
			if err != nil {
				checkMessage(t, err)
				return
			}
			if len(names) > 8 {
				names = names[:8]
			}
			for _, name := range append(names, "foo_ops", "no_such_ops") {
				o, err := btfspec.Read(bf, name)
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

// FuzzPipeline runs header text through the whole pipeline: header.Parse,
// model.Validate, Render, then checks that every generated Go file parses and that the
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
	f.Add([]byte(builtin.Header))
	f.Fuzz(func(t *testing.T, src []byte) {
		withWatchdog(t, "the header pipeline", func() {
			o, err := header.Parse("fuzz.h", src, "")
			if err != nil {
				checkProblems(t, err) // every problem, a line each
				return
			}
			if err := model.Validate(o); err != nil {
				checkProblems(t, err)
				return
			}
			fs, err := Render(o, Options{GoImport: fuzzGoImport})
			if err != nil {
				t.Fatalf("Validate accepted the header but Render failed: %v", err)
			}
			checkGo(t, fs)
			if err := checkCLayout(o, fs); err != nil {
				t.Fatalf("generated C: %v", err)
			}
		})
	})
}

// checkGo checks that the generated Go compiles: every file parses, and
// the ops package (ops.go and callbacks.go) and the loader type-check with
// go/types against the export data of their real imports. Without the go
// tool it checks what it can from the syntax alone: the package's
// top-level names are unique and every name ops.go uses from callbacks.go
// is declared there.
func checkGo(t *testing.T, fs output.Files) {
	t.Helper()
	if err := goCompiles(fs, testing.Verbose()); err != nil {
		t.Fatal(err)
	}
}

// goCompiles is checkGo's check; logNoTypes reports when the type check
// cannot run.
func goCompiles(fs output.Files, logNoTypes bool) error {
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{} // by directory
	for _, f := range fs {
		if !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		af, err := parser.ParseFile(fset, f.Path, f.Data, parser.AllErrors)
		if err != nil {
			return fmt.Errorf("generated %s does not parse: %v\n%s", f.Path, err, f.Data)
		}
		dir := path.Dir(f.Path)
		pkgs[dir] = append(pkgs[dir], af)
	}
	if len(pkgs) == 0 {
		return errors.New("no Go files rendered")
	}
	var opsDir string
	for dir := range pkgs {
		if !strings.Contains(dir, "/") {
			opsDir = dir
		}
	}
	if opsDir == "" || len(pkgs[opsDir]) != 2 || len(pkgs[opsDir+"/loader"]) != 1 {
		return fmt.Errorf("generated Go files: want <pkg>/ops.go, callbacks.go and loader/main.go, have %v", filePaths(fs))
	}
	if err := checkDecls(fset, pkgs[opsDir]); err != nil {
		return fmt.Errorf("generated package %s: %v\n%s", opsDir, err, fileSource(fs, opsDir))
	}
	imp, err := exportImporter()
	if err != nil {
		if logNoTypes {
			fmt.Fprintf(os.Stderr, "no type check of the generated Go: %v\n", err)
		}
		return nil
	}
	importer.mu.Lock()
	defer importer.mu.Unlock()
	opsPath := fuzzGoImport + "/" + opsDir
	conf := types.Config{Importer: imp}
	opsPkg, err := conf.Check(opsPath, fset, pkgs[opsDir], nil)
	if err != nil {
		return fmt.Errorf("generated package %s does not compile: %v\n%s", opsDir, err, fileSource(fs, opsDir))
	}
	conf.Importer = importerFunc(func(p string) (*types.Package, error) {
		if p == opsPath {
			return opsPkg, nil
		}
		return imp.Import(p)
	})
	if _, err := conf.Check(opsPath+"/loader", fset, pkgs[opsDir+"/loader"], nil); err != nil {
		return fmt.Errorf("generated loader does not compile: %v\n%s", err, fileSource(fs, opsDir+"/loader"))
	}
	return nil
}

// paths lists the files' paths, for messages.
func filePaths(fs output.Files) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

// source is the Go source of the files in dir, for messages.
func fileSource(fs output.Files, dir string) string {
	var b strings.Builder
	for _, f := range fs {
		if path.Dir(f.Path) == dir && strings.HasSuffix(f.Path, ".go") {
			fmt.Fprintf(&b, "--- %s\n%s", f.Path, f.Data)
		}
	}
	return b.String()
}

// checkDecls checks one package from its syntax: no top-level name is
// declared twice across its files, and every package-level name a file
// uses is declared in one of them (or is an import or a predeclared name).
func checkDecls(fset *token.FileSet, files []*ast.File) error {
	decls := map[string]token.Pos{}
	for _, f := range files {
		for _, name := range topLevelNames(f) {
			if prev, ok := decls[name.Name]; ok {
				return fmt.Errorf("%s redeclared at %s (first at %s)", name.Name, fset.Position(name.Pos()), fset.Position(prev))
			}
			decls[name.Name] = name.Pos()
		}
	}
	for _, f := range files {
		imports := goast.ImportNames(f)
		for _, id := range f.Unresolved {
			if _, ok := decls[id.Name]; !ok && !imports[id.Name] && types.Universe.Lookup(id.Name) == nil {
				return fmt.Errorf("%s: undefined: %s", fset.Position(id.Pos()), id.Name)
			}
		}
	}
	return nil
}

// topLevelNames are the names a file declares in its package's scope.
func topLevelNames(f *ast.File) []*ast.Ident {
	var out []*ast.Ident
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" && d.Name.Name != "_" {
				out = append(out, d.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						if n.Name != "_" {
							out = append(out, n)
						}
					}
				case *ast.TypeSpec:
					out = append(out, spec.Name)
				}
			}
		}
	}
	return out
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// importer reads the export data the go tool builds for the generated
// code's imports (go list -export, once per process), so type-checking a
// generated package costs milliseconds. mu serialises its use.
var importer struct {
	mu   sync.Mutex
	once sync.Once
	imp  types.Importer
	err  error
}

func exportImporter() (types.Importer, error) {
	importer.once.Do(func() {
		if _, err := exec.LookPath("go"); err != nil {
			importer.err = err
			return
		}
		cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", "github.com/cilium/ebpf/asm", "github.com/structops/structops-gen/asm", "github.com/structops/structops-gen/bpf", "github.com/structops/structops-gen/bpf/loadercmd", "os")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			importer.err = fmt.Errorf("go list -export: %v: %s", err, stderr.String())
			return
		}
		exports := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if p, file, ok := strings.Cut(line, "\t"); ok && file != "" {
				exports[p] = file
			}
		}
		importer.imp = goimporter.ForCompiler(token.NewFileSet(), "gc", func(p string) (io.ReadCloser, error) {
			file, ok := exports[p]
			if !ok {
				return nil, fmt.Errorf("no export data for %s (generated code imports an unexpected package)", p)
			}
			return os.Open(file)
		})
	})
	return importer.imp, importer.err
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

// cKernelStructs are the sizes and alignments of the kernel structs a
// spec may hold by value (x86-64).
var cKernelStructs = map[string][2]int{
	"struct list_head": {16, 8}, "struct hlist_node": {16, 8}, "struct hlist_head": {8, 8},
	"struct callback_head": {16, 8}, "struct rcu_head": {16, 8}, "struct rb_node": {24, 8}, "struct llist_node": {8, 8},
}

// checkCLayout finds the ops struct in the generated module header, lays
// it out as the x86-64 C ABI does (a small layout calculator: function
// pointers, pointers, scalars and arrays of them) and compares each
// member's name, offset and size, and the struct's size, with the model.
func checkCLayout(o *model.Ops, fs output.Files) error {
	var hdr []byte
	for _, f := range fs {
		if f.Path == "module/"+o.ModuleName()+".h" {
			hdr = f.Data
		}
	}
	if hdr == nil {
		return fmt.Errorf("no module/%s.h rendered", o.ModuleName())
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
				switch {
				case ok:
					size, al = s, s
				case cKernelStructs[typ] != [2]int{}:
					size, al = cKernelStructs[typ][0], cKernelStructs[typ][1]
				case o.TypeDef(typ) != nil:
					// a definition the header emits, laid out by the reader
					size, al = o.TypeDef(typ).Size, o.TypeDef(typ).Align
				default:
					return fmt.Errorf("member %q: unknown C type %q", d, typ)
				}
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
	back, err := header.Parse("module/"+o.ModuleName()+".h", hdr, o.Name)
	if err != nil {
		var he *model.Error
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
		o, err := header.Parse(file, src, "")
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
		bad := append(output.Files(nil), fs...)
		for i, f := range bad {
			if f.Path == "module/"+o.ModuleName()+".h" {
				bad[i].Data = []byte(strings.Replace(string(f.Data), "{\n", "{\n\tchar pad;\n", 1))
			}
		}
		if err := checkCLayout(o, bad); err == nil {
			t.Errorf("%s: a padded struct passes the layout check", file)
		}
	}
}

// TestCheckGoCatches: the fuzz targets' Go check fails on the generated Go
// of models Validate refuses (rendered here without it), so the fuzzers
// would find a name Validate let through; and on hand-broken files, with
// and without the type checker.
func TestCheckGoCatches(t *testing.T) {
	if _, err := exportImporter(); err != nil {
		t.Logf("type check unavailable (%v): only the syntax check runs", err)
	}
	cb := func(name string, off int) model.Member {
		return model.Member{Name: name, Offset: off, Size: 8, Func: &model.Func{Return: cInt, Params: []model.Param{{Name: "a", Type: cInt}}}}
	}
	render := func(t *testing.T, o *model.Ops) output.Files {
		t.Helper()
		o.Finish() // rendered without Validate, which would refuse it
		g, err := golang.Render(o, fuzzGoImport)
		if err != nil {
			t.Fatal(err)
		}
		var fs output.Files
		for p, d := range g {
			fs = append(fs, output.File{Path: p, Data: d})
		}
		return fs
	}
	for _, names := range [][]string{{"load"}, {"programs"}, {"ops"}, {"x", "x_sig"}} {
		o := &model.Ops{Name: "t_ops", Size: 8 * len(names)}
		for i, n := range names {
			o.Members = append(o.Members, cb(n, 8*i))
		}
		if model.Validate(o) == nil {
			t.Errorf("%v: model.Validate accepts it", names)
		}
		fs := render(t, o)
		if err := goCompiles(fs, false); err == nil {
			t.Errorf("%v: the generated Go passes the check", names)
		}
		var opsFiles []*ast.File
		fset := token.NewFileSet()
		for _, f := range fs {
			if path.Dir(f.Path) == "tops" {
				af, err := parser.ParseFile(fset, f.Path, f.Data, 0)
				if err != nil {
					t.Fatal(err)
				}
				opsFiles = append(opsFiles, af)
			}
		}
		if err := checkDecls(fset, opsFiles); err == nil || !strings.Contains(err.Error(), "redeclared") {
			t.Errorf("%v: syntax check: %v, want a redeclaration", names, err)
		}
	}
	// a valid model passes; without one of its callbacks it does not
	o := &model.Ops{Name: "t_ops", Size: 16, Members: []model.Member{cb("run", 0), cb("stop", 8)}}
	fs := render(t, o)
	if err := goCompiles(fs, false); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	for i, f := range fs {
		if strings.HasSuffix(f.Path, "/callbacks.go") {
			fs[i].Data = regexp.MustCompile(`(?s)// Stop implements.*`).ReplaceAll(f.Data, nil)
		}
	}
	err := goCompiles(fs, false)
	if err == nil || !strings.Contains(err.Error(), "Stop") {
		t.Errorf("callbacks.go without Stop: %v, want an undefined Stop", err)
	}
	// a type error only the type checker sees
	if _, err := exportImporter(); err == nil {
		fs := render(t, o)
		for i, f := range fs {
			if strings.HasSuffix(f.Path, "/callbacks.go") {
				fs[i].Data = bytes.Replace(f.Data, []byte("func Stop() asm.Instructions"), []byte("func Stop() int"), 1)
			}
		}
		if err := goCompiles(fs, false); err == nil || !strings.Contains(err.Error(), "does not compile") {
			t.Errorf("Stop returning int: %v, want a type error", err)
		}
	}
}

// cInt is a C int, for models the tests build by hand.
var cInt = model.Type{Kind: model.Int, Size: 4, Signed: true, C: "int"}
