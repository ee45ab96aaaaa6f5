package model

import (
	"fmt"
	"strings"
)

// KfuncFlags are the kernel's kfunc flags (include/linux/btf.h) a spec can
// give a kfunc, each with its marker macro in the header.
type KfuncFlags struct {
	// TrustedArgs (__kf_trusted_args, KF_TRUSTED_ARGS): the verifier
	// accepts only trusted pointers (a callback's own arguments, acquired
	// references) for the kfunc's struct pointer arguments.
	TrustedArgs bool
	// RetNull (__kf_ret_null, KF_RET_NULL): the returned pointer may be
	// NULL, and programs must check it before use.
	RetNull bool
	// Sleepable (__kf_sleepable, KF_SLEEPABLE): the kfunc may sleep;
	// only sleepable programs may call it.
	Sleepable bool
}

// KfuncMarkers maps each flag's marker macro to the kernel's flag name.
var KfuncMarkers = map[string]string{
	"__kf_trusted_args": "KF_TRUSTED_ARGS",
	"__kf_ret_null":     "KF_RET_NULL",
	"__kf_sleepable":    "KF_SLEEPABLE",
}

// KfuncMarker is the macro that declares a kfunc in a header.
const KfuncMarker = "__bpf_kfunc"

// Set sets the flag of a marker macro; false for an unknown marker.
func (f *KfuncFlags) Set(marker string) bool {
	switch marker {
	case "__kf_trusted_args":
		f.TrustedArgs = true
	case "__kf_ret_null":
		f.RetNull = true
	case "__kf_sleepable":
		f.Sleepable = true
	default:
		return false
	}
	return true
}

// Kernel is the flags as the kernel's BTF_ID_FLAGS spells them: "KF_RET_NULL
// | KF_SLEEPABLE", "0" for none.
func (f KfuncFlags) Kernel() string {
	var out []string
	if f.TrustedArgs {
		out = append(out, "KF_TRUSTED_ARGS")
	}
	if f.RetNull {
		out = append(out, "KF_RET_NULL")
	}
	if f.Sleepable {
		out = append(out, "KF_SLEEPABLE")
	}
	if len(out) == 0 {
		return "0"
	}
	return strings.Join(out, " | ")
}

// Kfunc is a kernel function the generated module exports to the programs
// of its ops type (declared __bpf_kfunc in the spec).
type Kfunc struct {
	Name  string
	Func  Func
	Flags KfuncFlags
	Pos   Pos

	// Derived by Finish:

	// GoName is the Go helper that calls the kfunc (qsched_depth ->
	// QschedDepth), SigName the variable of its signature
	// (QschedDepthKfunc).
	GoName, SigName string
	// IntArgs: every parameter is an integer or bool, so the default
	// bodies call it.
	IntArgs bool
}

// Signature renders the kfunc as C: "u32 qsched_depth(u32 queue)".
func (k Kfunc) Signature() string {
	var ps []string
	for _, p := range k.Func.Params {
		ps = append(ps, p.Type.Decl(p.Name))
	}
	if len(ps) == 0 {
		ps = []string{"void"}
	}
	return fmt.Sprintf("%s(%s)", k.Func.Return.Decl(k.Name), strings.Join(ps, ", "))
}

// MaxKfuncArgs is the most arguments a kfunc takes: BPF passes them in R1
// to R5 (MAX_BPF_FUNC_REG_ARGS).
const MaxKfuncArgs = 5

// KfuncsFile is the module's user-owned C file of kfunc bodies.
func (o *Ops) KfuncsFile() string { return "module/" + o.BaseName() + "_kfuncs.c" }

// KfuncCallees are the kfuncs a default callback body calls: those whose
// parameters are all integers.
func (o *Ops) KfuncCallees() []Kfunc {
	var out []Kfunc
	for _, k := range o.Kfuncs {
		if k.IntArgs {
			out = append(out, k)
		}
	}
	return out
}

// moduleSymbols are the file-scope names of the generated module's C
// (module.c.tmpl), which a kfunc, a global function of the module, must
// not take. TestModuleSymbols keeps the list in step with the template.
func (o *Ops) moduleSymbols() map[string]bool {
	b, n := o.BaseName(), o.Name
	out := map[string]bool{}
	for _, s := range []string{"_module_init", "_module_exit", "_parse", "_call", "_record", "_next_word", "_base", "_other",
		"_trigger", "_trigger_write", "_trigger_show", "_trigger_open", "_trigger_ops", "_show_links", "_show_data", "_value", "_parse_group",
		"_callbacks", "_results", "_results_lock", "_kfunc_ids", "_kfunc_set", "_kfunc_filter", "_callback",
		"_param", "_arg", "_arg_kind", "_ret_kind", "_result", "_accept", "_refusal", "_refuse", "_refused"} {
		out[b+s] = true
	}
	for _, s := range []string{"_init", "_init_member", "_slot_of", "_reg", "_unreg", "_update", "_slots",
		"_links", "_mutex", "_struct_ops", "_verifier_ops", "_btf"} {
		out[n+s] = true
	}
	out[n] = true
	for _, m := range o.Callbacks() {
		out[b+"_call_"+m.Name] = true
		out[CFIStubName(n, m.Name)] = true
	}
	return out
}

// validateKfuncs checks the kfuncs a spec declares: names, the argument
// count BPF can pass, the types a kfunc of the module can take and return,
// and flags that fit the signature.
func validateKfuncs(o *Ops, add func(error)) {
	if len(o.Kfuncs) == 0 {
		return
	}
	if o.Kernel {
		add(&Error{Pos: o.Pos, Err: ErrUnsupported, Msg: fmt.Sprintf("struct %s is a kernel type: kfuncs are declared for generated modules only", o.Name)})
		return
	}
	syms := o.moduleSymbols()
	seen := map[string]Kfunc{}
	for _, k := range o.Kfuncs {
		bad := func(format string, args ...any) {
			add(&Error{Pos: k.Pos, Kfunc: k.Name, Err: ErrUnsupported, Msg: fmt.Sprintf(format, args...)})
		}
		if err := CheckName(k.Name, "kfunc"); err != nil {
			bad("%s", err.(*Error).Msg)
		} else if msg := moduleNameProblem(k.Name, true); msg != "" {
			bad("kfunc name %q %s", k.Name, strings.Replace(msg, "the member", "the kfunc", 1))
		} else if syms[k.Name] {
			bad("kfunc name %s is a name of the generated module's own C: rename the kfunc", k.Name)
		}
		if prev, ok := seen[k.Name]; ok {
			bad("kfunc declared twice (first at %s): remove one", prev.Pos)
		}
		seen[k.Name] = k
		if len(k.Func.Params) > MaxKfuncArgs {
			bad("%d arguments; a kfunc takes at most %d (BPF passes them in R1-R5): pass a struct pointer instead", len(k.Func.Params), MaxKfuncArgs)
		}
		switch k.Func.Return.Kind {
		case Void, Bool, Int, StructPtr:
		default:
			bad("returns %s: a kfunc returns void, bool, an integer or a struct pointer", k.Func.Return.Describe())
		}
		ptrs := 0
		pseen := map[string]bool{}
		for _, p := range k.Func.Params {
			if err := CheckName(p.Name, "parameter"); err != nil {
				bad("%s", err.(*Error).Msg)
			} else if msg := moduleNameProblem(p.Name, false); msg != "" {
				bad("parameter name %q %s", p.Name, msg)
			}
			if pseen[p.Name] {
				bad("duplicate parameter name %q", p.Name)
			}
			pseen[p.Name] = true
			switch p.Type.Kind {
			case Bool, Int:
			case StructPtr:
				ptrs++
			default:
				bad("parameter %s has type %s: a kfunc's parameters are bool, integers or struct pointers "+
					"(the verifier wants a size argument beside any other pointer)", p.Name, p.Type.Describe())
			}
			if p.Nullable || p.Ref {
				bad("parameter %s: __nullable and __ref are for callbacks; a kfunc's arguments are checked by its flags", p.Name)
			}
		}
		if k.Flags.RetNull && k.Func.Return.Kind != StructPtr {
			bad("__kf_ret_null (KF_RET_NULL) on a kfunc that returns %s: it is for a returned pointer; drop it", k.Func.Return.Describe())
		}
		if k.Flags.TrustedArgs && ptrs == 0 {
			bad("__kf_trusted_args (KF_TRUSTED_ARGS) on a kfunc without struct pointer parameters: it constrains pointer arguments only; drop it")
		}
	}
}

// finishKfuncs derives the kfuncs' Go names.
func (o *Ops) finishKfuncs() {
	for i := range o.Kfuncs {
		k := &o.Kfuncs[i]
		k.GoName, k.SigName = GoName(k.Name), GoName(k.Name)+"Kfunc"
		k.IntArgs = true
		for _, p := range k.Func.Params {
			if !p.Type.IsScalar() {
				k.IntArgs = false
			}
		}
	}
}
