package gen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Spec says where the ops type comes from: the built-in default, a C
// header, or BTF. At most one of Header and BTF is set.
type Spec struct {
	Ops     string // struct name; "" picks the default (or the header's only ops struct)
	Header  string // --spec FILE.h
	BTF     string // --btf FILE (ELF with .BTF, or raw BTF)
	BTFBase string // --btf-base FILE for split (module) BTF
	// Kernel types (--btf) only:
	Members []string // --members: the callbacks to implement (default: the kernel's required ones)
	Set     []string // --set member=value: data members
	Fields  []string // --fields struct.member: extra kernel struct fields for the bodies
	// Instances is --instances: how many implementations the generated
	// module accepts at once (0 or 1: one). Not for kernel types.
	Instances int
}

// Load reads the spec into a model. The model is not validated yet:
// Render does that.
func Load(s Spec) (*Ops, error) {
	o, err := load(s)
	if err != nil {
		return nil, err
	}
	if s.Instances != 0 {
		if o.Kernel && s.Instances != 1 {
			return nil, fmt.Errorf("--instances %d: struct %s is a kernel type: its kernel decides how many implementations attach; --instances is for generated modules", s.Instances, o.Name)
		}
		o.Instances = s.Instances
	}
	return o, nil
}

func load(s Spec) (*Ops, error) {
	switch {
	case s.Header != "" && s.BTF != "":
		return nil, errors.New("--spec and --btf both given: read the ops from a header or from BTF, not both")
	case s.BTFBase != "" && s.BTF == "":
		return nil, errors.New("--btf-base needs --btf: pass the module's BTF with --btf, or drop --btf-base")
	case s.Header != "":
		src, err := os.ReadFile(s.Header)
		if err != nil {
			return nil, fmt.Errorf("read --spec: %w: pass a C header declaring the ops struct", err)
		}
		return ParseHeader(s.Header, src, s.Ops)
	case s.BTF != "":
		f, err := LoadBTF(s.BTF, s.BTFBase)
		if err != nil {
			return nil, err
		}
		if s.Ops == "" {
			names, err := StructOpsNames(f.Spec)
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("--btf needs --ops NAME; %s registers: %s", s.BTF, strings.Join(names, ", "))
		}
		o, err := FromBTF(f, s.Ops)
		if err != nil {
			return nil, err
		}
		if err := o.Select(s.Members); err != nil {
			return nil, err
		}
		for _, a := range s.Set {
			if err := o.Set(a); err != nil {
				return nil, err
			}
		}
		o.Fields = ResolveFields(f.Spec, fieldPaths(o, s.Fields))
		return o, nil
	}
	if len(s.Members) > 0 || len(s.Set) > 0 || len(s.Fields) > 0 {
		return nil, errors.New("--members, --set and --fields are for existing kernel types: pass --btf FILE --ops NAME")
	}
	if s.Ops != "" && s.Ops != DefaultOpsName {
		hint := ""
		if editDistance(s.Ops, DefaultOpsName) <= len(s.Ops)/2+1 {
			hint = " (did you mean " + DefaultOpsName + "?)"
		}
		return nil, fmt.Errorf("unknown ops %q%s: the built-in spec is %s; for another type pass --spec FILE.h or --btf FILE",
			s.Ops, hint, DefaultOpsName)
	}
	return DefaultOps(), nil
}

// List prints the struct_ops types a BTF registers, with their members.
func List(w io.Writer, path, base string) error {
	f, err := LoadBTF(path, base)
	if err != nil {
		return err
	}
	names, err := StructOpsNames(f.Spec)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("%s registers no struct_ops types (no bpf_struct_ops_<name> value types)", path)
	}
	for _, n := range names {
		o, err := FromBTF(f, n)
		if err != nil {
			// say why and go on: one unusable type hides no other
			why := strings.TrimPrefix(err.Error(), f.Path+": struct "+n+": ")
			fmt.Fprintf(w, "struct %s;\t/* not usable: %s */\n", n, why)
			continue
		}
		fmt.Fprintf(w, "struct %s {\t/* %d bytes */\n", o.Name, o.Size)
		for _, m := range o.Members {
			if m.Func != nil {
				for i, p := range m.Func.Params {
					m.Func.Params[i].Name = p.StubName()
				}
				fmt.Fprintf(w, "\t%s;\n", declOf(m))
			} else {
				fmt.Fprintf(w, "\t%s;\n", m.Data.Decl(m.Name))
			}
		}
		fmt.Fprintln(w, "};")
	}
	return nil
}
