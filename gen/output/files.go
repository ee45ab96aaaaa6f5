// Package output is a generated file set: its files sorted by path, the
// atomic write into an output directory, and the check of a directory
// against the set (structured drift, and whether the user's callbacks.go
// still fits the package generated around it).
package output

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
