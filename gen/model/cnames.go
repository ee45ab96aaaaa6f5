package model

import (
	"slices"
	"strings"
)

// The names of a generated module's C that the spec decides (its file
// names, include guard, the names of its own functions, CFI stubs and
// the trigger's locals) and the decisions about what the trigger does
// with the arguments. Finish stores them on the model; the C emitter and
// its templates lay them out and derive none of them.

// CNames are the spec-derived names of a generated module's C. Empty for
// kernel types, which get no module.
type CNames struct {
	// Prefix starts the module's own C identifiers (the base name:
	// bpf_testmod_ops -> bpf_testmod); Macro, its capitals, starts the
	// module's macros and enumerators (BPF_TESTMOD_ARG_INT).
	Prefix, Macro string
	// Header is the file declaring the ops struct (<module>.h; for the
	// built-in spec bpf_testmod.h, the name the tutorial's BPF C
	// includes), Guard its include guard (_BPF_TESTMOD_H).
	Header, Guard string
	// Main is the module's main C file without ".c": <module>, or
	// <module>_main for a module with kfuncs (kbuild's composite object
	// <module>.o cannot share its name with a source file). KfuncsSource
	// is the kfuncs file relative to module/ ("" without kfuncs), Objs
	// the object files of a composite module (nil otherwise).
	Main, KfuncsSource string
	Objs               []string
	// Trigger is the trigger's proc file name (<base>_trigger, also the
	// variable that holds its entry), TriggerOps its proc_ops,
	// TriggerWrite its write handler.
	Trigger, TriggerOps, TriggerWrite string
	// InitMember is the struct_ops init_member function; Parse, Value,
	// ParseGroup and Other the trigger's parsers of a line's arguments,
	// of one word, of a "{...}" group, and of a line naming no callback.
	InitMember, Parse, Value, ParseGroup, Other string
	// Param and Arg are the C types of the trigger's parameter table and
	// parsed arguments ("struct <base>_param", "union <base>_arg").
	Param, Arg string
	// Slots is the array of the attached implementations (<ops>_slots).
	Slots string
	// Forwards are the struct tags the header declares ahead (those the
	// callbacks, data members, kfuncs and type definitions point to
	// without defining them), sorted.
	Forwards []string
}

// TriggerInputs are the decisions about how the trigger passes the
// callbacks' arguments that are no plain words, which the module's
// comment describes.
type TriggerInputs struct {
	// Buffers: an opaque pointer argument gets a zeroed 64-byte buffer.
	Buffers bool
	// Zeroed: a struct by value whose fields the trigger does not fill
	// is passed zeroed.
	Zeroed bool
	// Groups: a context struct or a struct by value takes a "{...}"
	// group; ValueGroups: a struct by value does.
	Groups, ValueGroups bool
}

// CFIStubName is the name of the CFI stub of a struct_ops member:
// <ops>__<member> (bpf_dummy_ops__test_1).
func CFIStubName(ops, member string) string { return ops + "__" + member }

// cNames derives the module's C names; nil-safe for a kernel type.
func cNames(o *Ops) CNames {
	if o.Kernel {
		return CNames{}
	}
	base, mod := o.BaseName(), o.ModuleName()
	c := CNames{
		Prefix: base, Macro: strings.ToUpper(base),
		Header: mod + ".h", Guard: "_" + strings.ToUpper(mod) + "_H",
		Main:    mod,
		Trigger: base + "_trigger", TriggerOps: base + "_trigger_ops", TriggerWrite: base + "_trigger_write",
		InitMember: o.Name + "_init_member", Parse: base + "_parse", Value: base + "_value",
		ParseGroup: base + "_parse_group", Other: base + "_other",
		Param: "struct " + base + "_param", Arg: "union " + base + "_arg",
		Slots:    o.Name + "_slots",
		Forwards: headerForwards(o),
	}
	if len(o.Kfuncs) > 0 {
		c.Main = mod + "_main"
		c.KfuncsSource = strings.TrimPrefix(o.KfuncsFile(), "module/")
		c.Objs = []string{c.Main + ".o", strings.TrimSuffix(c.KfuncsSource, ".c") + ".o"}
	}
	return c
}

// finishCMember stores the C names of a generated module's callback m:
// its CFI stub, the trigger's caller, and the trigger's local of each
// argument that needs one.
func (o *Ops) finishCMember(m *Member) {
	if o.Kernel {
		return
	}
	m.CFIStub = CFIStubName(o.Name, m.Name)
	m.Caller = o.BaseName() + "_call_" + m.Name
	for j := range m.Func.Params {
		p := &m.Func.Params[j]
		p.Local = ""
		switch t := p.Type; t.Kind {
		case Opaque:
			p.Local = "rec_" + p.Name // a struct by value, zeroed
			if t.ValueStruct() != nil {
				p.Local = "s_" + p.Name // filled from "{v1 v2 ...}"
			}
		case Ptr:
			p.Local = "buf_" + p.Name // a zeroed buffer
		case StructPtr:
			switch {
			case p.Ref && t.Struct == "task_struct":
				// the trigger passes current
			case p.Ref && t.Struct == "cgroup":
				p.Local = "cgrp_" + p.Name // the caller's cgroup, referenced
			case t.ContextStruct() != nil:
				p.Local = "s_" + p.Name // filled from "{v1 v2 ...}"
			}
		}
	}
}

// triggerInputs decides what the trigger passes for the arguments that
// take no plain word.
func triggerInputs(o *Ops) TriggerInputs {
	var in TriggerInputs
	if o.Kernel {
		return in
	}
	for _, m := range o.Callbacks() {
		for _, p := range m.Func.Params {
			in.Buffers = in.Buffers || p.Type.Kind == Ptr
			in.Zeroed = in.Zeroed || p.Type.Kind == Opaque && p.Type.ValueStruct() == nil
			in.Groups = in.Groups || p.Type.GroupStruct() != nil
			in.ValueGroups = in.ValueGroups || p.Type.ValueStruct() != nil
		}
	}
	return in
}

// headerForwards lists the struct tags the module's header declares ahead:
// those a struct pointer names (a pointer to a typedef'd anonymous struct
// names none: the typedef is defined in full) in the callbacks' parameters
// and returns, the kfuncs' struct pointer parameters and returns, the data
// members, and the type definitions' fields and typedef targets (through
// arrays and anonymous records).
func headerForwards(o *Ops) []string {
	fwd := map[string]bool{}
	add := func(t Type) {
		if t.Kind == StructPtr && t.Struct != "" && strings.Contains(t.C, "struct "+t.Struct) {
			fwd[t.Struct] = true
		}
	}
	var walk func(t Type)
	walk = func(t Type) {
		switch {
		case t.Kind == StructPtr && t.Struct != "" && strings.Contains(t.C, "struct "+t.Struct):
			fwd[t.Struct] = true
		case t.Kind == Array && t.Elem != nil:
			walk(*t.Elem)
		case t.Def != nil && t.Def.Name == "":
			for _, f := range t.Def.Fields {
				walk(f.Type)
			}
		}
	}
	for _, k := range o.Kfuncs {
		for _, p := range k.Func.Params {
			add(p.Type)
		}
		add(k.Func.Return)
	}
	for _, m := range o.Members {
		switch {
		case m.Func != nil:
			for _, p := range m.Func.Params {
				add(p.Type)
			}
			add(m.Func.Return)
		case m.Data != nil:
			add(*m.Data)
		}
	}
	for _, d := range o.Types {
		for _, f := range d.Fields {
			walk(f.Type)
		}
		if d.Target != nil {
			walk(*d.Target)
		}
	}
	out := make([]string, 0, len(fwd))
	for s := range fwd {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
