package output

// The user-owned files of a set (callbacks.go, the kfuncs C file): written
// once, then checked against what the generator would write now.

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/structops/structops-gen/internal/goast"
)

// A userGoProblem is a user-owned Go file (callbacks.go) that exists in the
// output dir and no longer fits the package generated around it: the spec
// gained callbacks it lacks, or lost ones it still uses. Regeneration keeps
// the file, so without this check the package would just not compile.
type userGoProblem struct {
	Path    string   // slash-separated, relative to the output dir
	Missing []string // functions the generated files call that no user file declares ("Test4 (member test_4)")
	Stale   []string // names the user files use that nothing declares any more ("Test3 uses Test3Sig")
	Dup     []string // names a user file declares that a generated file now declares too
	Parse   error    // the file does not parse
}

// describe says what is wrong, naming the file as name.
func (p userGoProblem) describe(name string) string {
	if p.Parse != nil {
		return fmt.Sprintf("%s (yours: regeneration keeps it) does not parse: %v: fix it, or delete it to get the default callbacks", name, p.Parse)
	}
	var what, fix []string
	calls := "which ops.go calls"
	if strings.HasSuffix(p.Path, ".c") {
		calls = "which the spec declares and the module exports"
	}
	if len(p.Missing) > 0 {
		them := "them"
		if len(p.Missing) == 1 {
			them = "it"
		}
		what = append(what, "it lacks "+strings.Join(p.Missing, ", ")+", "+calls)
		fix = append(fix, "add "+them+" (generating into an empty directory writes the default bodies)")
	}
	if len(p.Stale) > 0 {
		what = append(what, strings.Join(p.Stale, ", ")+", which the spec no longer declares")
		fix = append(fix, "delete or update the stale code")
	}
	if len(p.Dup) > 0 {
		what = append(what, "it declares "+strings.Join(p.Dup, ", ")+", which ops.go now declares too")
		fix = append(fix, "rename yours")
	}
	defaults := "the default callbacks"
	if strings.HasSuffix(p.Path, ".c") {
		defaults = "the default kfunc bodies"
	}
	return fmt.Sprintf("%s (yours: regeneration keeps it) does not fit the spec any more: %s: %s, or delete the file to get %s",
		name, strings.Join(what, "; "), strings.Join(fix, " and "), defaults)
}

// userGoProblems checks every user-owned Go file that exists below dir
// against the Go files the set generates into its package.
func (fs Files) userGoProblems(dir string) ([]userGoProblem, error) {
	var out []userGoProblem
	for _, uf := range fs {
		if !uf.UserOwned || !strings.HasSuffix(uf.Path, ".go") && !strings.HasSuffix(uf.Path, ".c") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(uf.Path)))
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
			continue // nothing of the user's to keep (Write reports what is in the way)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w: make it readable, or delete it to get the default callbacks", filepath.Join(dir, filepath.FromSlash(uf.Path)), err)
		}
		var p userGoProblem
		if strings.HasSuffix(uf.Path, ".c") {
			p = userCProblem(uf, src)
		} else if p, err = fs.userGoProblem(dir, uf.Path, uf.Data, src); err != nil {
			return nil, err
		}
		if p.Parse != nil || len(p.Missing)+len(p.Stale)+len(p.Dup) > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

// userGoProblem compares one existing user file (src) with the package;
// defaults is what the set would write in its place.
func (fs Files) userGoProblem(dir, rel string, defaults, src []byte) (userGoProblem, error) {
	p := userGoProblem{Path: rel}
	pkgDir := path.Dir(rel)
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, rel, defaults, parser.PackageClauseOnly); err != nil {
		return p, nil // not Go: nothing to compare
	}
	user, err := parser.ParseFile(fset, rel, src, 0)
	if err != nil {
		p.Parse = firstLine(err)
		return p, nil
	}
	// the generated files of the package, as they will be written
	genDecls := map[string]bool{}
	var gen []*ast.File
	inSet := map[string]bool{}
	for _, f := range fs {
		if path.Dir(f.Path) != pkgDir || !strings.HasSuffix(f.Path, ".go") {
			continue
		}
		inSet[path.Base(f.Path)] = true
		if f.UserOwned {
			continue
		}
		af, err := parser.ParseFile(fset, f.Path, f.Data, 0)
		if err != nil {
			return p, nil // not Go: nothing to compare
		}
		gen = append(gen, af)
		for _, n := range goast.TopLevel(af) {
			genDecls[n] = true
		}
	}
	// the user's files: this one, and any other non-test Go file the user
	// added to the package directory
	users := []*ast.File{user}
	entries, _ := os.ReadDir(filepath.Join(dir, filepath.FromSlash(pkgDir)))
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || inSet[n] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pkgDir), n))
		if err != nil {
			continue
		}
		if af, err := parser.ParseFile(fset, n, data, 0); err == nil {
			users = append(users, af)
		}
	}
	userDecls := map[string]bool{}
	for _, u := range users {
		for _, n := range goast.TopLevel(u) {
			userDecls[n] = true
		}
	}
	for _, n := range goast.TopLevel(user) {
		if genDecls[n] {
			p.Dup = append(p.Dup, n)
		}
	}
	// what the generated files need from the user's
	missing := map[string]string{}
	for _, g := range gen {
		members := programKeys(g)
		for _, id := range goUnresolved(g) {
			if !genDecls[id] && !userDecls[id] {
				if m := members[id]; m != "" {
					missing[id] = id + " (member " + m + ")"
				} else {
					missing[id] = id
				}
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(missing)) {
		p.Missing = append(p.Missing, missing[k])
	}
	// what the user's file needs from the generated ones
	stale := map[string]bool{}
	for _, d := range user.Decls {
		for _, id := range goUnresolvedIn(user, d) {
			if !genDecls[id] && !userDecls[id] {
				what := id
				if fd, ok := d.(*ast.FuncDecl); ok {
					what = fd.Name.Name + " uses " + id
				}
				stale[what] = true
			}
		}
	}
	p.Stale = slices.Sorted(maps.Keys(stale))
	return p, nil
}

// firstLine is err's first line, for one-line messages.
func firstLine(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(msg)
}

// goUnresolved lists the package-level names a file uses but does not
// declare itself: not its imports, not predeclared names.
func goUnresolved(f *ast.File) []string {
	imports := goast.ImportNames(f)
	var out []string
	for _, id := range f.Unresolved {
		if !imports[id.Name] && types.Universe.Lookup(id.Name) == nil {
			out = append(out, id.Name)
		}
	}
	return out
}

// goUnresolvedIn is goUnresolved for the names used inside one declaration.
func goUnresolvedIn(f *ast.File, d ast.Decl) []string {
	imports := goast.ImportNames(f)
	var out []string
	for _, id := range f.Unresolved {
		if id.Pos() >= d.Pos() && id.End() <= d.End() && !imports[id.Name] && types.Universe.Lookup(id.Name) == nil {
			out = append(out, id.Name)
		}
	}
	return out
}

// programKeys maps the functions of the generated program table
// ("test_1": Test1, the callbacks bpf.Build calls) to their member names.
func programKeys(f *ast.File) map[string]string {
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		lit, ok := kv.Key.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		fn := kv.Value // "test_1": Test1, or a call "test_1": Test1()
		if call, ok := fn.(*ast.CallExpr); ok {
			fn = call.Fun
		}
		if id, ok := fn.(*ast.Ident); ok {
			if m, err := strconv.Unquote(lit.Value); err == nil {
				out[id.Name] = m
			}
		}
		return true
	})
	return out
}

// kfuncDefRe matches the start of a kfunc definition: __bpf_kfunc, the
// return type, the name and its '('.
var kfuncDefRe = regexp.MustCompile(`\b__bpf_kfunc\b[^;{()]*?\b(\w+)\s*\(`)

// cComment matches a C comment.
var cComment = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)

// userCProblem checks a kept kfuncs file: it must define, __bpf_kfunc,
// every kfunc the spec declares (the module's kfunc set names them, so the
// module would not link) and no other (the set would not export it).
func userCProblem(f File, src []byte) userGoProblem {
	p := userGoProblem{Path: f.Path}
	defined := map[string]bool{}
	for _, m := range kfuncDefRe.FindAllSubmatch(cComment.ReplaceAll(src, nil), -1) {
		defined[string(m[1])] = true
	}
	want := map[string]bool{}
	for _, n := range f.Defines {
		want[n] = true
		if !defined[n] {
			p.Missing = append(p.Missing, "kfunc "+n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(defined)) {
		if !want[n] {
			p.Stale = append(p.Stale, "kfunc "+n)
		}
	}
	return p
}
