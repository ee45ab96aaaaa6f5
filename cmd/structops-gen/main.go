// Command structops-gen turns one spec of a BPF struct_ops type into the
// whole stack: the kernel module that defines and registers the type, a
// Go-assembled BPF program per callback, and the Go loader.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/output"
	"github.com/structops/structops-gen/gen/project"
)

func main() { os.Exit(run(os.Stdout, os.Stderr, os.Args[1:])) }

const usage = `usage:
  structops-gen [--ops NAME] [--spec FILE.h | --btf FILE [--btf-base FILE] [--emit-module]] [--instances N] [-o DIR] [--check]
  structops-gen init [--spec FILE.h | --btf FILE] [--ops NAME] DIR   (a new Go module; see init --help)
  structops-gen list --btf FILE [--btf-base FILE]

Kernel types (--btf): only the callbacks the kernel requires get a program, plus
those named with --members; the others stay NULL. Data members the kernel copies
(tcp_congestion_ops: name, flags) are set with --set and checked here.

Generates, into DIR (default "out"):
  module/             the kernel module defining struct NAME (for types read from BTF only
                      with --emit-module, which reads a module's BTF as a new subsystem);
                      module/<base>_kfuncs.c, for a spec with __bpf_kfunc prototypes, holds
                      the kfunc bodies: yours to edit, never overwritten
  <pkg>/ops.go        the type's layout, the callbacks' signatures, Programs and Load
  <pkg>/callbacks.go  one BPF program per callback: yours to edit, never overwritten
  <pkg>/loader/       a loader command: attach, trigger, print, detach (--call, --once)

Examples:
  structops-gen -o out                                   # the built-in bpf_testmod_ops stack
  make -C out/module                                     # build the module
  structops-gen --spec myops.h --ops my_ops -o out       # scaffold a new subsystem from a header
  structops-gen --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops --set name=gocc -o out
                                                         # a TCP congestion control (ssthresh, undo_cwnd, cong_avoid)
  structops-gen --btf old.ko --ops my_ops --emit-module -o out
                                                         # the module C of my_ops again, from a built module
  structops-gen list --btf /sys/kernel/btf/vmlinux       # struct_ops types the kernel registers
  structops-gen -o . --check                             # exit 1 and name the files that drifted

Flags:
`

func run(stdout, stderr io.Writer, args []string) int {
	if len(args) > 0 && args[0] == "list" {
		return list(stdout, stderr, args[1:])
	}
	if len(args) > 0 && args[0] == "init" {
		return initProject(stdout, stderr, args[1:])
	}
	fs := pflag.NewFlagSet("structops-gen", pflag.ContinueOnError)
	var spec gen.Spec
	var out, goImport string
	var check bool
	specFlags(fs, &spec)
	fs.StringVarP(&out, "out", "o", "out", "output directory")
	fs.StringVar(&goImport, "go-import", "", "Go import path of the output directory (default: from the go.mod above it)")
	fs.BoolVar(&check, "check", false, "write nothing; exit 1 naming each file that differs from what would be generated")
	if code, done := parseFlags(fs, args, stdout, stderr, usage); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "structops-gen: unexpected argument %q (see --help)\n", fs.Arg(0))
		return 2
	}
	if code := checkSpecFlags(stderr, "structops-gen", spec); code != 0 {
		return code
	}
	if err := generate(stdout, stderr, spec, out, goImport, check); err != nil {
		fmt.Fprintf(stderr, "structops-gen: %v\n", flagWords(err))
		return 1
	}
	return 0
}

// specFlags defines the flags that say which ops type to read.
func specFlags(fs *pflag.FlagSet, spec *gen.Spec) {
	fs.StringVar(&spec.Ops, "ops", "", "the ops struct to generate (default "+gen.DefaultOpsName+", or the header's only ops struct)")
	fs.StringVar(&spec.Header, "spec", "", "C header declaring the ops struct (a new subsystem)")
	fs.StringArrayVarP(&spec.IncludeDirs, "include-dir", "I", nil, "headers: a directory to search for the header's quoted includes, after the including file's own (repeatable)")
	fs.StringVar(&spec.BTF, "btf", "", "ELF object with .BTF or raw BTF holding an existing ops type")
	fs.StringVar(&spec.BTFBase, "btf-base", "", "base BTF for split (module) BTF (default "+gen.DefaultBTFBase+")")
	fs.StringSliceVar(&spec.Members, "members", nil, "kernel types: the callbacks to implement, comma-separated (default: the ones the kernel requires)")
	fs.StringArrayVar(&spec.Set, "set", nil, "set a data member's default value, e.g. --set name=gocc (repeatable; strings for char arrays, numbers for integers; the loader's --set overrides it)")
	fs.StringSliceVar(&spec.Fields, "fields", nil, "kernel types: extra kernel struct fields the bodies read, e.g. tcp_sock.srtt_us (comma-separated)")
	fs.BoolVar(&spec.EmitModule, "emit-module", false, "with --btf of a module (.ko): also emit the module C that defines and registers the type again (as a new subsystem)")
	fs.IntVar(&spec.Instances, "instances", 1, "how many implementations the generated module accepts at once; the trigger addresses slot K with \"@K \" (not for --btf kernel types)")
}

// checkSpecFlags checks the spec flags together: 0, or the exit code after
// saying what is wrong.
func checkSpecFlags(stderr io.Writer, name string, spec gen.Spec) int {
	if err := model.CheckInstances(spec.Instances); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, flagWords(err))
		return 2
	}
	if msg := flagConflict(spec); msg != "" {
		fmt.Fprintf(stderr, "%s: %s\n", name, msg)
		return 1
	}
	return 0
}

// flagConflict says which flags do not go together, or "".
func flagConflict(spec gen.Spec) string {
	switch {
	case spec.Header != "" && spec.BTF != "":
		return "--spec and --btf both given: read the ops from a header or from BTF, not both"
	case spec.BTFBase != "" && spec.BTF == "":
		return "--btf-base needs --btf: pass the module's BTF with --btf, or drop --btf-base"
	case spec.BTF == "" && spec.Header == "" && len(spec.Members)+len(spec.Set)+len(spec.Fields) > 0:
		return "--members, --set and --fields are for existing kernel types: pass --btf FILE --ops NAME"
	case spec.EmitModule && spec.BTF == "":
		return "--emit-module needs --btf: pass a module's BTF (its .ko); a --spec header always gets its module"
	case spec.EmitModule && len(spec.Members)+len(spec.Set)+len(spec.Fields) > 0:
		return "--members, --set and --fields are for existing kernel types; --emit-module makes a new subsystem: drop them"
	}
	return ""
}

// flagWords names the flag an error of the library is about: the library
// names the input in its own terms (the error's Subject), the command line
// by its flag. Joined errors are rewritten one by one.
func flagWords(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, flagWords(e))
		}
		return errors.Join(errs...)
	}
	if errors.Is(err, gen.ErrBTFBase) {
		return fmt.Errorf("%w (--btf-base FILE)", err)
	}
	e, ok := err.(*model.Error)
	if !ok {
		return err
	}
	w := *e
	switch {
	case errors.Is(e, model.ErrNoOps):
		w.Msg += " (--ops NAME)"
	case e.Subject == "":
		return err
	case errors.Is(e, model.ErrInstances):
		w.Subject = "--instances " + e.Input
	case errors.Is(e, model.ErrSet):
		w.Subject = "--set " + e.Input
	case errors.Is(e, model.ErrMembers):
		w.Subject = "--members " + e.Input
	default:
		return err
	}
	return &w
}

func generate(stdout, stderr io.Writer, spec gen.Spec, out, goImport string, check bool) error {
	ops, err := gen.Load(spec)
	if err != nil {
		return err
	}
	for _, n := range ops.Notes {
		fmt.Fprintf(stderr, "structops-gen: note: %s\n", n)
	}
	if goImport == "" {
		if goImport, err = gen.GoImportFor(out); errors.Is(err, output.ErrNoGoMod) {
			return fmt.Errorf("%w; or make %s a Go module holding the stack: structops-gen init %s %s", err, out, specArgs(spec), out)
		} else if err != nil {
			return err
		}
	}
	files, err := gen.Render(ops, gen.Options{GoImport: goImport})
	if err != nil {
		return err
	}
	if check {
		drift, err := files.Check(out)
		if err != nil {
			return err
		}
		if len(drift) > 0 {
			fix := "run again without --check to regenerate"
			var lines []string
			unfit := false
			for _, d := range drift {
				lines = append(lines, d.String())
				unfit = unfit || d.Kind == output.Unfit
			}
			if unfit {
				fix += "; first fix the files marked yours, which regeneration keeps"
			}
			return fmt.Errorf("%s drifted from the generator (%s):\n  %s", out, fix, strings.Join(lines, "\n  "))
		}
		fmt.Fprintf(stdout, "%s: %d files up to date\n", out, len(files))
		return nil
	}
	if err := files.Write(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "struct %s (%s): wrote %d files to %s\n", ops.Name, ops.Source, len(files), out)
	return nil
}

// specArgs are the spec flags of spec, as given.
func specArgs(s gen.Spec) string {
	var args []string
	if s.Ops != "" {
		args = append(args, "--ops", s.Ops)
	}
	switch {
	case s.Header != "":
		args = append(args, "--spec", s.Header)
	case s.BTF != "":
		args = append(args, "--btf", s.BTF)
		if s.BTFBase != "" {
			args = append(args, "--btf-base", s.BTFBase)
		}
		if s.EmitModule {
			args = append(args, "--emit-module")
		}
	}
	return strings.Join(args, " ")
}

const initUsage = `usage:
  structops-gen init [--spec FILE.h | --btf FILE [--btf-base FILE]] [--ops NAME] [--module PATH] DIR

Makes DIR (new, or empty) a Go module holding the generated stack, ready to
build: go.mod and go.sum (completed by go mod tidy, which fetches the
third-party modules through the Go proxy), the spec (a header is copied in),
module/, the Go package with its loader, a Makefile (generate, module,
loader, vm, test) and a README. The module requires
github.com/structops/structops-gen at the version this binary was built
from; a binary built from a checkout makes the project replace it with that
checkout (found through the source path recorded in the binary).

Examples:
  structops-gen init --spec my.h --ops my_ops proj
  structops-gen init --btf /sys/kernel/btf/vmlinux --ops tcp_congestion_ops --set name=gocc cc

Flags:
`

func initProject(stdout, stderr io.Writer, args []string) int {
	fs := pflag.NewFlagSet("structops-gen init", pflag.ContinueOnError)
	var opts project.Options
	specFlags(fs, &opts.Spec)
	fs.StringVar(&opts.Module, "module", "", "Go module path of the project (default: DIR's base name)")
	if code, done := parseFlags(fs, args, stdout, stderr, initUsage); done {
		return code
	}
	switch {
	case fs.NArg() == 0:
		fmt.Fprintf(stderr, "structops-gen init: name the project directory, e.g. structops-gen init --spec my.h --ops my_ops proj (see --help)\n")
		return 2
	case fs.NArg() > 1:
		fmt.Fprintf(stderr, "structops-gen init: unexpected argument %q: one project directory (see --help)\n", fs.Arg(1))
		return 2
	}
	opts.Dir = fs.Arg(0)
	if code := checkSpecFlags(stderr, "structops-gen init", opts.Spec); code != 0 {
		return code
	}
	self, err := project.FindSelf()
	if err != nil {
		fmt.Fprintf(stderr, "structops-gen init: %v\n", err)
		return 1
	}
	opts.Self = self
	res, err := project.Init(opts)
	if err != nil {
		fmt.Fprintf(stderr, "structops-gen init: %v\n", flagWords(err))
		return 1
	}
	fmt.Fprintf(stdout, "struct %s (%s): Go module %s in %s\n", res.Ops.Name, res.Ops.Source, res.Module, res.Dir)
	fmt.Fprintf(stdout, "it requires %s\n", res.Self)
	fmt.Fprintf(stdout, "next:\n")
	for _, c := range res.Next {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
	return 0
}

const listUsage = `usage:
  structops-gen list [--btf FILE] [--btf-base FILE]

Prints the struct_ops types a BTF registers (a bpf_struct_ops_<name> value
type), each with its members' C declarations.

Examples:
  structops-gen list                                                  # the running kernel's types
  structops-gen list --btf /sys/kernel/btf/bpf_testmod                # a loaded module's types
  structops-gen list --btf module/bpf_testmod.ko --btf-base vmlinux   # a built module

Flags:
`

// parseFlags parses args; done reports that run must return code: 0 after
// --help (the usage on stdout), 2 for bad flags (one line on stderr).
func parseFlags(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, usage string) (code int, done bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", fs.Name(), err)
		return 2, true
	}
	return 0, false
}

func list(stdout, stderr io.Writer, args []string) int {
	fs := pflag.NewFlagSet("structops-gen list", pflag.ContinueOnError)
	path := fs.String("btf", gen.DefaultBTFBase, "ELF object with .BTF or raw BTF")
	base := fs.String("btf-base", "", "base BTF for split (module) BTF (default "+gen.DefaultBTFBase+")")
	if code, done := parseFlags(fs, args, stdout, stderr, listUsage); done {
		return code
	}
	types, err := gen.List(*path, *base)
	if err != nil {
		fmt.Fprintf(stderr, "structops-gen list: %v\n", flagWords(err))
		return 1
	}
	printList(stdout, *path, types)
	return 0
}

// printList prints each type as a C struct with its members' declarations
// (parameters named as on the CFI stubs, with their __nullable and __ref
// marks), or a line saying why it is not usable.
func printList(w io.Writer, path string, types []gen.Listed) {
	for _, t := range types {
		if t.Ops == nil {
			// one problem per member, on one line
			var whys []string
			for _, line := range strings.Split(t.Err.Error(), "\n") {
				whys = append(whys, strings.TrimPrefix(line, path+": struct "+t.Name+": "))
			}
			why := strings.Join(whys, "; ")
			fmt.Fprintf(w, "struct %s;\t/* not usable: %s */\n", t.Name, why)
			continue
		}
		o := t.Ops
		fmt.Fprintf(w, "struct %s {\t/* %d bytes */\n", o.Name, o.Size)
		for _, m := range o.Members {
			if m.Func != nil {
				for i, p := range m.Func.Params {
					m.Func.Params[i].Name = p.StubName()
				}
			}
			fmt.Fprintf(w, "\t%s;\n", m.Decl())
		}
		fmt.Fprintln(w, "};")
	}
}
