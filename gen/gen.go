// Package gen turns one spec of a BPF struct_ops type into the files of a
// working stack: the kernel module that defines the type, the
// Go-assembled BPF programs and the Go loader. It is the facade the
// command line uses over the pipeline
//
//	reader (read/builtin, read/header, read/btfspec) -> model.Ops
//	-> model.Validate (once) -> emitters (emit/cmodule, emit/golang)
//	-> output.Files (sorted; Write is atomic, Check reports drift)
//
// Errors name the inputs in the library's own terms; a *model.Error's kind
// (model.ErrSet, model.ErrMembers, ...) lets the command line name its
// flags.
package gen

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/structops/structops-gen/gen/emit/cmodule"
	"github.com/structops/structops-gen/gen/emit/golang"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/output"
	"github.com/structops/structops-gen/gen/read/btfspec"
	"github.com/structops/structops-gen/gen/read/builtin"
	"github.com/structops/structops-gen/gen/read/header"
)

// DefaultOpsName is the ops type of the built-in spec.
const DefaultOpsName = builtin.OpsName

// ErrBTFBase is what an error wraps when split (module) BTF does not fit
// its base, or the base is missing: the base to pass is the vmlinux the
// module was built against.
var ErrBTFBase = btfspec.ErrBase

// DefaultBTFBase is the BTF that module (split) BTF is resolved against
// unless Spec.BTFBase names another.
const DefaultBTFBase = btfspec.DefaultBTFBase

// Spec says where the ops type comes from: the built-in default, a C
// header, or BTF. At most one of Header and BTF is set.
type Spec struct {
	Ops    string // struct name; "" picks the default (or the header's only ops struct)
	Header string // a C header declaring the ops struct
	// HeaderData is the header's text; nil: read from the file Header.
	HeaderData []byte
	// IncludeDirs are searched for the header's quoted includes after the
	// including file's directory (-I).
	IncludeDirs []string
	BTF         string // an ELF object with .BTF, or raw BTF
	BTFBase     string // the base BTF of split (module) BTF
	// Kernel types (BTF) only:
	Members []string // the callbacks to implement (default: the kernel's required ones)
	Set     []string // data member assignments "member=value"
	Fields  []string // extra kernel struct fields for the bodies, "struct.member"
	// Instances is how many implementations the generated module accepts
	// at once (0 or 1: one). Not for kernel types.
	Instances int
	// EmitModule reads the type from a module's BTF (BTF) as a new
	// subsystem: the stack includes the module C that defines and
	// registers the same type again.
	EmitModule bool
}

// Load reads the spec into a model and validates it: the model Render
// takes. Every problem of the model is reported at once, joined.
func Load(s Spec) (*model.Ops, error) {
	o, err := load(s)
	if err != nil {
		return nil, err
	}
	o.Instances = s.Instances
	if err := model.Validate(o); err != nil {
		return nil, err
	}
	return o, nil
}

func load(s Spec) (*model.Ops, error) {
	switch {
	case s.Header != "" && s.BTF != "":
		return nil, sourceErr("a header and BTF both given: read the ops from a header or from BTF, not both")
	case len(s.IncludeDirs) > 0 && s.Header == "":
		return nil, sourceErr("include directories are for a header's quoted includes: pass the header with them, or drop them")
	case s.BTFBase != "" && s.BTF == "":
		return nil, sourceErr("a base BTF needs the module's BTF: pass the module's BTF, or drop the base")
	case s.EmitModule && s.BTF == "":
		return nil, sourceErr("emitting a module from BTF needs a module's BTF: pass the .ko (a header spec always gets its module)")
	case s.EmitModule && len(s.Members)+len(s.Set)+len(s.Fields) > 0:
		return nil, sourceErr("callbacks, data members and fields are chosen for existing kernel types only; " +
			"a module emitted from BTF is a new subsystem: drop them")
	case s.Header != "":
		src := s.HeaderData
		if src == nil {
			var err error
			if src, err = os.ReadFile(s.Header); err != nil {
				return nil, &model.Error{Err: err, Msg: fmt.Sprintf("read the header: %v: pass a C header declaring the ops struct", err)}
			}
		}
		o, err := header.ParseOpts(s.Header, src, s.Ops, header.Options{IncludeDirs: s.IncludeDirs})
		if err != nil {
			return nil, err
		}
		if len(s.Members)+len(s.Fields) > 0 {
			return nil, sourceErr("callbacks and fields are chosen for existing kernel types only: a header spec implements every callback")
		}
		// a new subsystem's data members: the values the loader writes by default
		for _, a := range s.Set {
			if err := o.Set(a); err != nil {
				return nil, err
			}
		}
		return o, nil
	case s.BTF != "":
		f, err := btfspec.Load(s.BTF, s.BTFBase)
		if err != nil {
			return nil, err
		}
		if s.Ops == "" {
			names, err := btfspec.StructOpsNames(f.Spec)
			if err != nil {
				return nil, err
			}
			return nil, &model.Error{Err: model.ErrNoOps, Subject: s.BTF,
				Msg: fmt.Sprintf("name the struct_ops type to read; it registers: %s", strings.Join(names, ", "))}
		}
		if s.EmitModule {
			return btfspec.ReadModule(f, s.Ops)
		}
		o, err := btfspec.Read(f, s.Ops)
		if err != nil {
			return nil, err
		}
		if err := o.Select(s.Members); err != nil {
			return nil, err
		}
		o.Enums = btfspec.Enums(f.Spec, model.EnumNames(o))
		for _, a := range s.Set {
			if err := o.Set(a); err != nil {
				return nil, err
			}
		}
		o.Fields = btfspec.ResolveFields(f.Spec, model.FieldPaths(o, s.Fields))
		return o, nil
	}
	if len(s.Members) > 0 || len(s.Set) > 0 || len(s.Fields) > 0 {
		return nil, sourceErr("callbacks, data members and fields are chosen for existing kernel types only: read the type from BTF")
	}
	if s.Ops != "" && s.Ops != builtin.OpsName {
		hint := ""
		if model.Closest(s.Ops, []string{builtin.OpsName}) != "" {
			hint = " (did you mean " + builtin.OpsName + "?)"
		}
		return nil, &model.Error{Err: model.ErrSource, Msg: fmt.Sprintf("unknown ops %q%s: the built-in spec is %s; for another type read a header or BTF",
			s.Ops, hint, builtin.OpsName)}
	}
	return builtin.Ops(), nil
}

func sourceErr(msg string) error { return &model.Error{Err: model.ErrSource, Msg: msg} }

// Options configure Render.
type Options struct {
	// GoImport is the Go import path of the output directory; the
	// generated loader imports the ops package below it.
	GoImport string
}

// ErrNoGoImport: Options.GoImport is empty.
var ErrNoGoImport = errors.New("no Go import path for the output dir: generate inside a Go module or name the import path")

// Render returns every file of the model's stack, sorted. Types that
// already exist in the kernel get no module. A model that Load did not
// return is validated first.
func Render(o *model.Ops, opts Options) (output.Files, error) {
	if !o.Validated() {
		if err := model.Validate(o); err != nil {
			return nil, err
		}
	}
	if opts.GoImport == "" {
		return nil, ErrNoGoImport
	}
	all := map[string][]byte{}
	if !o.Kernel {
		c, err := cmodule.Render(o)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			all[k] = v
		}
	}
	g, err := golang.Render(o, opts.GoImport)
	if err != nil {
		return nil, err
	}
	for k, v := range g {
		all[k] = v
	}
	var fs output.Files
	for _, p := range slices.Sorted(maps.Keys(all)) {
		f := output.File{Path: p, Data: all[p], UserOwned: p == golang.CallbacksFile(o)}
		if len(o.Kfuncs) > 0 && p == o.KfuncsFile() {
			// the kfunc bodies are the user's too; a kept file must define
			// every kfunc the spec declares
			f.UserOwned = true
			for _, k := range o.Kfuncs {
				f.Defines = append(f.Defines, k.Name)
			}
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// GoImportFor derives the Go import path of dir from the go.mod above it.
func GoImportFor(dir string) (string, error) { return output.GoImportFor(dir) }

// Listed is one struct_ops type a BTF registers.
type Listed struct {
	Name string
	// Ops is the type's model; nil when it is not usable, and Err says why.
	Ops *model.Ops
	Err error
}

// ErrNoStructOps: the BTF registers no struct_ops types.
var ErrNoStructOps = errors.New("registers no struct_ops types (no bpf_struct_ops_<name> value types)")

// List returns the struct_ops types a BTF registers, sorted by name, each
// with its model or why it is not usable: one unusable type hides no other.
func List(path, base string) ([]Listed, error) {
	f, err := btfspec.Load(path, base)
	if err != nil {
		return nil, err
	}
	names, err := btfspec.StructOpsNames(f.Spec)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s %w", path, ErrNoStructOps)
	}
	var out []Listed
	for _, n := range names {
		o, err := btfspec.Read(f, n)
		if err != nil {
			o = nil
		}
		out = append(out, Listed{Name: n, Ops: o, Err: err})
	}
	return out, nil
}
