package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// File is one generated file.
type File struct {
	Path string // slash-separated, relative to the output dir
	Data []byte
	// UserOwned files (the callback bodies) are written only when missing
	// and never compared by Check.
	UserOwned bool
}

// Files is a generated file set, sorted by path.
type Files []File

// Options configure Render.
type Options struct {
	// GoImport is the Go import path of the output directory; the
	// generated loader imports the ops package below it.
	GoImport string
}

// Render validates the model and returns every file of its stack, sorted.
// Types that already exist in the kernel get no module.
func Render(o *Ops, opts Options) (Files, error) {
	if err := Validate(o); err != nil {
		return nil, err
	}
	if opts.GoImport == "" {
		return nil, errors.New("no Go import path for the output dir: pass --go-import or generate inside a Go module")
	}
	all := map[string][]byte{}
	if !o.Kernel {
		c, err := renderModule(o)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			all[k] = v
		}
	}
	g, err := renderGo(o, opts.GoImport)
	if err != nil {
		return nil, err
	}
	for k, v := range g {
		all[k] = v
	}
	var fs Files
	for p, d := range all {
		fs = append(fs, File{Path: p, Data: d, UserOwned: p == CallbacksFile(o)})
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs, nil
}

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
		return fmt.Errorf("output dir %s is a file: pass -o with a directory", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("output dir %s: a parent is a file, not a directory: pass -o with a directory", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output dir %s: %w: pass -o with a directory you can write", dir, err)
	}
	return nil
}

// renameFile is os.Rename; tests make it fail midway.
var renameFile = os.Rename

// Write writes the set below dir atomically: every file is first staged
// next to its destination, and only when all are staged are they renamed
// into place. On error nothing in dir has changed (renames already made are
// undone, directories it created are removed again). User-owned files that
// exist are left alone.
func (fs Files) Write(dir string) (err error) {
	if err := checkOutDir(dir); err != nil {
		return err
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
	const fix = "pass -o with a directory you can write"
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
				return fmt.Errorf("create output dir: %w: %s", err, fix)
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
			return fmt.Errorf("write %s: %w: %s", f.Path, err, fix)
		}
		staged = append(staged, stage{tmp: tmp.Name(), dst: dst})
		_, werr := tmp.Write(f.Data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("write %s: %w: %s", f.Path, err, fix)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w: %s", f.Path, err, fix)
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
					return fmt.Errorf("write %s: keep the previous version: %w: %s", s.dst, rerr, fix)
				}
			}
		}
		if err := renameFile(s.tmp, s.dst); err != nil {
			return fmt.Errorf("write %s: %w: %s", s.dst, err, fix)
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

// Check compares the set with what is in dir and returns one line per
// drift: a file missing, differing, or extra (in a generated directory).
// User-owned files only need to exist.
func (fs Files) Check(dir string) ([]string, error) {
	if err := checkOutDir(dir); err != nil {
		return nil, err
	}
	var drift []string
	want := map[string]bool{}
	for _, f := range fs {
		want[f.Path] = true
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			drift = append(drift, f.Path+": missing")
		case err != nil:
			return nil, fmt.Errorf("check: %w", err)
		case !f.UserOwned && !bytes.Equal(got, f.Data):
			drift = append(drift, f.Path+": differs from what would be generated")
		}
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
			drift = append(drift, p+": not generated (extra file)")
		}
	}
	sort.Strings(drift)
	return drift, nil
}

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
			return "", fmt.Errorf("no go.mod in %s or above: generate inside a Go module or pass --go-import", abs)
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
