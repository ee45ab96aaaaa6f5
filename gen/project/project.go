// Package project sets up a new Go module around a generated stack
// (structops-gen init): go.mod and go.sum that build at once, the spec,
// the generated files, a Makefile and a README.
//
// The module requires github.com/structops/structops-gen at the version
// the running binary was built from. A binary built from a checkout (go
// install ./cmd/... in a clone) has no version the Go proxy knows, so the
// project replaces the module with that checkout: the binary finds it
// through the source path the compiler records for this package (absent
// only with -trimpath).
package project

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"text/template"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
)

// SelfModule is the module path of structops-gen.
const SelfModule = "github.com/structops/structops-gen"

// checkoutVersion is the version a project requires when it replaces
// structops-gen with a checkout (the placeholder go mod uses for a module
// that only a replace provides).
const checkoutVersion = "v0.0.0-00010101000000-000000000000"

// Self is where a project gets the structops-gen module from.
type Self struct {
	// Version is the version the project requires.
	Version string
	// Checkout is the local checkout that replaces the module; "" when
	// Version is a published version.
	Checkout string
}

// String says where the module comes from, for the user.
func (s Self) String() string {
	if s.Checkout != "" {
		return fmt.Sprintf("%s replaced by %s, the checkout this structops-gen was built from", SelfModule, s.Checkout)
	}
	return fmt.Sprintf("%s %s, the version this structops-gen was built from", SelfModule, s.Version)
}

// ErrNoSelf: the running binary knows neither a published version of
// structops-gen nor the checkout it was built from.
var ErrNoSelf = errors.New("cannot tell where this structops-gen comes from: it has no published version and no checkout path (built with -trimpath?): install it with go install from a checkout, without -trimpath, or at a published version")

// FindSelf returns where the running binary's structops-gen module comes
// from: its checkout when this package's source file lies in a checkout of
// the module, else the version in the module cache path or the build info.
func FindSelf() (Self, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok && filepath.IsAbs(file) {
		root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
		if isSelfModule(root) {
			if v, ok := strings.CutPrefix(filepath.Base(root), filepath.Base(SelfModule)+"@"); ok {
				return Self{Version: v}, nil // the module cache
			}
			return Self{Version: checkoutVersion, Checkout: root}, nil
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		if bi.Main.Path != SelfModule {
			v = ""
			for _, d := range bi.Deps {
				if d.Path == SelfModule && d.Replace == nil {
					v = d.Version
				}
			}
		}
		if published(v) {
			return Self{Version: v}, nil
		}
	}
	return Self{}, ErrNoSelf
}

// published reports whether v can be a version on the Go proxy: a semantic
// version that is neither "(devel)" nor a build of a modified tree.
func published(v string) bool {
	return strings.HasPrefix(v, "v") && !strings.Contains(v, "+dirty")
}

// isSelfModule reports whether dir holds the go.mod of structops-gen.
func isSelfModule(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && modulePath(data) == SelfModule
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// Options configure Init.
type Options struct {
	// Spec is the ops type; a header is copied into the project.
	Spec gen.Spec
	// Dir is the project directory: it must not exist, or be empty.
	Dir string
	// Module is the Go module path; "" takes Dir's base name.
	Module string
	// Self is where the structops-gen module comes from (FindSelf).
	Self Self
}

// Result is what Init made.
type Result struct {
	Ops    *model.Ops
	Dir    string
	Module string
	Self   Self
	// Next are the commands to run next, from Dir's parent.
	Next []string
}

// ErrNotEmpty: the project directory holds files already.
var ErrNotEmpty = errors.New("exists and is not empty: name a new directory")

//go:embed templates/*.tmpl
var tmplFS embed.FS

var tmpl = template.Must(template.ParseFS(tmplFS, "templates/*.tmpl"))

// Init makes opts.Dir a Go module holding the generated stack: it writes
// everything into a temporary directory beside Dir, runs go mod tidy there
// (which fetches the third-party modules through the Go proxy) and moves
// it into place, so a failure leaves nothing behind.
func Init(opts Options) (*Result, error) {
	dir := filepath.Clean(opts.Dir)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s %w", dir, ErrNotEmpty)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	mod := opts.Module
	if mod == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		mod = filepath.Base(abs)
	}
	spec := opts.Spec
	var specFile string
	var specData []byte
	if spec.Header != "" {
		data, err := os.ReadFile(spec.Header)
		if err != nil {
			return nil, &model.Error{Err: err, Msg: fmt.Sprintf("read the header: %v: pass a C header declaring the ops struct", err)}
		}
		specFile, specData = filepath.Base(spec.Header), data
		// The project's Makefile regenerates from its copy: the generated
		// files name the copy, so that regeneration reproduces them.
		spec.Header, spec.HeaderData = specFile, data
	}
	ops, err := gen.Load(spec)
	if err != nil {
		return nil, err
	}
	files, err := gen.Render(ops, gen.Options{GoImport: mod})
	if err != nil {
		return nil, err
	}

	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".init-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := files.Write(tmp); err != nil {
		return nil, err
	}
	view := newView(ops, spec, specFile, mod, opts.Self)
	extra := map[string][]byte{}
	if specFile != "" {
		extra[specFile] = specData
	}
	for name, file := range map[string]string{"Makefile.tmpl": "Makefile", "README.md.tmpl": "README.md"} {
		var b bytes.Buffer
		if err := tmpl.ExecuteTemplate(&b, name, view); err != nil {
			return nil, err
		}
		extra[file] = b.Bytes()
	}
	for name, data := range extra {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	if err := goModule(tmp, mod, opts.Self); err != nil {
		return nil, err
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return &Result{Ops: ops, Dir: dir, Module: mod, Self: opts.Self, Next: next(ops, dir, view)}, nil
}

// view is what the Makefile and README templates lay out.
type view struct {
	Module, Ops, Source, Pkg string
	SelfModule               string
	HasModule                bool
	// SpecFile is the copied header ("" for BTF); From names the spec for
	// the user (the header or the BTF file).
	SpecFile, From string
	// GenArgs are structops-gen's spec flags that regenerate the stack.
	GenArgs string
	// LoaderArgs are the loader arguments make vm passes.
	LoaderArgs string
	// Install is the command that installs structops-gen and
	// structops-vm of the version the project requires, run in InstallDir
	// ("": anywhere).
	Install, InstallDir string
}

func newView(o *model.Ops, s gen.Spec, specFile, mod string, self Self) view {
	v := view{Module: mod, Ops: o.Name, Source: o.Source, Pkg: o.GoPackage, SelfModule: SelfModule,
		HasModule: !o.Kernel, SpecFile: specFile, LoaderArgs: "--once",
		Install: "go install " + SelfModule + "/cmd/...@" + self.Version}
	if self.Checkout != "" {
		v.Install, v.InstallDir = "go install ./cmd/...", self.Checkout
	}
	args := []string{"--ops", o.Name}
	if specFile != "" {
		v.From = specFile
		args = append(args, "--spec", specFile)
	} else {
		v.From = s.BTF
		args = append(args, "--btf", s.BTF)
		if s.BTFBase != "" {
			args = append(args, "--btf-base", s.BTFBase)
		}
		if len(s.Members) > 0 {
			args = append(args, "--members", strings.Join(s.Members, ","))
		}
		for _, a := range s.Set {
			args = append(args, "--set", shellQuote(a))
		}
		if len(s.Fields) > 0 {
			args = append(args, "--fields", strings.Join(s.Fields, ","))
		}
	}
	if s.Instances > 1 {
		args = append(args, "--instances", fmt.Sprint(s.Instances))
	}
	v.GenArgs = strings.Join(args, " ")
	if len(o.DemoCalls) > 0 {
		v.LoaderArgs = fmt.Sprintf("--call %q", o.DemoCalls[0])
	}
	return v
}

// shellQuote quotes a word for sh when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-=.,/:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func next(o *model.Ops, dir string, v view) []string {
	run := "structops-vm run "
	if !o.Kernel {
		run += "--module ./module "
	}
	return []string{
		"cd " + shellQuote(dir),
		"go build ./...",
		run + "--go ./" + v.Pkg + "/loader -- " + v.LoaderArgs,
	}
}

// goModule makes dir a Go module requiring structops-gen as self says,
// and completes go.mod and go.sum with go mod tidy.
func goModule(dir, mod string, self Self) error {
	steps := [][]string{
		{"mod", "init", mod},
		{"mod", "edit", "-require=" + SelfModule + "@" + self.Version},
	}
	if self.Checkout != "" {
		steps = append(steps, []string{"mod", "edit", "-replace=" + SelfModule + "=" + self.Checkout})
	}
	steps = append(steps, []string{"mod", "tidy"})
	for _, args := range steps {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		// The project is a module of its own, whatever workspace or
		// module lies around it.
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}
