// Package output is a generated file set: its files sorted by path, the
// atomic write into an output directory, and the check of a directory
// against the set (structured drift, and whether the user's callbacks.go
// still fits the package generated around it).
package output

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/structops/structops-gen/internal/goast"
)

// File is one generated file.
type File struct {
	Path string // slash-separated, relative to the output dir
	Data []byte
	// UserOwned files (the callback bodies) are written only when missing
	// and never compared by Check.
	UserOwned bool
	// Defines are the kfuncs a user-owned C file (the module's kfuncs
	// file) must define, __bpf_kfunc, and the only ones it may.
	Defines []string
}

// Files is a generated file set, sorted by path.
type Files []File

// dirs returns the directories the set writes into, sorted.
func (fs Files) dirs() []string {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[filepath.Dir(filepath.FromSlash(f.Path))] = true
	}
	var out []string
	for d := range seen {
		if d != "." {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

// checkOutDir fails unless dir is a directory or can become one.
func checkOutDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("output dir %s is a file: choose a directory", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("output dir %s: a parent is a file, not a directory: choose a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output dir %s: %w: choose a directory you can write", dir, err)
	}
	return nil
}

// errno drops the path an *os.PathError or *os.LinkError names (a random
// temp file's): messages name the file and directory themselves.
func errno(err error) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// writeFix is what to do when the output dir cannot be written.
const writeFix = "choose an output directory you can write"

// fixFor is the fix for a failure to write into the output dir.
func fixFor(err error) string {
	switch {
	case errors.Is(err, syscall.EROFS):
		return "choose an output directory on a writable file system"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "free some space, or choose an output directory on another file system"
	case errors.Is(err, fs.ErrPermission):
		return writeFix + " (or give yourself write permission on it)"
	}
	return writeFix
}

// renameFile is os.Rename; tests make it fail midway.
var renameFile = os.Rename

// Write writes the set below dir atomically: every file is first staged
// next to its destination, and only when all are staged are they renamed
// into place. On error nothing in dir has changed (renames already made are
// undone, directories it created are removed again). User-owned files that
// exist are left alone; when one no longer fits the package generated
// around it (see userGoProblems), Write writes nothing and says so.
func (fs Files) Write(dir string) (err error) {
	if err := checkOutDir(dir); err != nil {
		return err
	}
	// a kept callbacks.go must still fit the package around it
	probs, err := fs.userGoProblems(dir)
	if err != nil {
		return err
	}
	if len(probs) > 0 {
		var errs []error
		for _, p := range probs {
			errs = append(errs, errors.New(p.describe(filepath.Join(dir, filepath.FromSlash(p.Path)))))
		}
		return errors.Join(errs...)
	}
	var created []string // directories made here, parents first
	type stage struct{ tmp, dst, bak string }
	var staged []stage
	committed := 0 // staged files renamed into place
	defer func() {
		if err == nil {
			for _, s := range staged {
				if s.bak != "" {
					os.Remove(s.bak)
				}
			}
			return
		}
		// undo the renames: put the previous files back
		for i := committed - 1; i >= 0; i-- {
			if s := staged[i]; s.bak != "" {
				os.Rename(s.bak, s.dst)
			} else {
				os.Remove(s.dst)
			}
		}
		for _, s := range staged {
			os.Remove(s.tmp)
			if s.bak != "" {
				os.Remove(s.bak)
			}
		}
		for i := len(created) - 1; i >= 0; i-- {
			os.Remove(created[i])
		}
	}()
	const fix = writeFix
	mkdir := func(d string) error {
		var missing []string
		for p := d; ; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil {
				if !fi.IsDir() {
					return fmt.Errorf("create output dir: %s is a file where a directory must go: remove it or %s", p, fix)
				}
				break
			}
			missing = append(missing, p)
			if filepath.Dir(p) == p {
				break
			}
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if err := os.Mkdir(missing[i], 0o755); err != nil {
				return fmt.Errorf("create output dir %s: %w: %s", missing[i], errno(err), fixFor(err))
			}
			created = append(created, missing[i])
		}
		return nil
	}
	for _, f := range fs {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		fi, err := os.Lstat(dst)
		switch {
		case err == nil && f.UserOwned:
			continue
		case err == nil && !fi.Mode().IsRegular():
			return fmt.Errorf("write %s: %s is not a regular file: remove it or %s", f.Path, dst, fix)
		}
		if err := mkdir(filepath.Dir(dst)); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp*")
		if err != nil {
			return fmt.Errorf("write %s: cannot create a file in %s: %w: %s", f.Path, filepath.Dir(dst), errno(err), fixFor(err))
		}
		staged = append(staged, stage{tmp: tmp.Name(), dst: dst})
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("write %s in %s: %w: %s", f.Path, filepath.Dir(dst), errno(err), fixFor(err))
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write %s in %s: %w: %s", f.Path, filepath.Dir(dst), errno(err), fixFor(err))
		}
	}
	// Keep each file being replaced under a second name until all are in
	// place, so a failed rename can be undone.
	for i := range staged {
		s := &staged[i]
		if _, err := os.Lstat(s.dst); err == nil {
			s.bak = s.tmp + ".old"
			if err := os.Link(s.dst, s.bak); err != nil {
				// no hard links here: keep a copy
				data, rerr := os.ReadFile(s.dst)
				if rerr == nil {
					rerr = os.WriteFile(s.bak, data, 0o644)
				}
				if rerr != nil {
					os.Remove(s.bak)
					s.bak = ""
					return fmt.Errorf("write %s: keep the previous version: %w: %s", s.dst, errno(rerr), fixFor(rerr))
				}
			}
		}
		if err := renameFile(s.tmp, s.dst); err != nil {
			return fmt.Errorf("write %s: rename into place: %w: %s", s.dst, errno(err), fixFor(err))
		}
		committed++
	}
	return nil
}

// kbuildOutput matches what building the module leaves in module/; Check
// does not count it as an extra file.
func kbuildOutput(name string) bool {
	for _, suf := range []string{".o", ".ko", ".mod", ".mod.c", ".cmd", ".a", ".symvers", ".order", ".d"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return strings.HasPrefix(name, ".")
}

// DriftKind says how a file in the output directory differs from the set.
type DriftKind int

// The kinds of drift Check reports.
const (
	// Differs: a generated file's content differs from the set's.
	Differs DriftKind = iota
	// Missing: a file of the set is not there.
	Missing
	// Extra: a file in a generated directory is not in the set.
	Extra
	// Unfit: a user-owned file (kept by regeneration) no longer fits the
	// package generated around it; Detail says how.
	Unfit
)

// Drift is one file that drifted from the set.
type Drift struct {
	Path   string // slash-separated, relative to the output dir
	Kind   DriftKind
	Detail string // Unfit: what is wrong and the fix
}

func (d Drift) String() string {
	switch d.Kind {
	case Missing:
		return d.Path + ": missing"
	case Extra:
		return d.Path + ": not generated (extra file)"
	case Unfit:
		return d.Detail
	}
	return d.Path + ": differs from what would be generated"
}

// Check compares the set with what is in dir and returns every drift: a
// file missing, differing, or extra (in a generated directory), sorted by
// its description. User-owned files only need to exist and fit the
// generated package (a callbacks.go that lacks a callback the spec gained,
// or uses one it lost).
func (fs Files) Check(dir string) ([]Drift, error) {
	if err := checkOutDir(dir); err != nil {
		return nil, err
	}
	var drift []Drift
	want := map[string]bool{}
	for _, f := range fs {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			drift = append(drift, Drift{Path: f.Path, Kind: Missing})
		case err != nil:
			return nil, fmt.Errorf("check: %w", err)
		case !f.UserOwned && !bytes.Equal(got, f.Data):
			drift = append(drift, Drift{Path: f.Path, Kind: Differs})
		}
	}
	probs, err := fs.userGoProblems(dir)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	for _, p := range probs {
		drift = append(drift, Drift{Path: p.Path, Kind: Unfit, Detail: p.describe(p.Path)})
	}
	for _, d := range fs.dirs() {
		entries, err := os.ReadDir(filepath.Join(dir, d))
		if err != nil {
			continue // reported as missing files above
		}
		for _, e := range entries {
			p := filepath.ToSlash(filepath.Join(d, e.Name()))
			if e.IsDir() || want[p] || kbuildOutput(e.Name()) {
				continue
			}
			drift = append(drift, Drift{Path: p, Kind: Extra})
		}
	}
	slices.SortFunc(drift, func(a, b Drift) int { return strings.Compare(a.String(), b.String()) })
	return drift, nil
}

// ErrNoGoMod: no go.mod in the output dir or above it.
var ErrNoGoMod = errors.New("no go.mod here or above: generate inside a Go module or name the import path")

// GoImportFor derives the Go import path of dir from the go.mod above it.
func GoImportFor(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := goModPath(data)
			if mod == "" {
				return "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", err
			}
			if rel == "." {
				return mod, nil
			}
			return mod + "/" + filepath.ToSlash(rel), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s: %w", abs, ErrNoGoMod)
		}
	}
}

func goModPath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

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
