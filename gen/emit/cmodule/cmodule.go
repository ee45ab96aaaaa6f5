package cmodule

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/templates"
)

// The C side: the view model the module templates lay out. Every choice
// (names, formats, casts, how each argument is parsed) is made here.

type cModule struct {
	Ops, Base, Upper, Module string
	Header, Guard, Source    string
	Trigger, TriggerName     string
	Tutorial                 bool
	NeedToken, NeedBool      bool
	// NeedRefs: a callback takes a __ref argument; Refs lists them
	// ("member.param", for the version check's message).
	NeedRefs bool
	Refs     string
	// Instances > 1: the module keeps one implementation per slot;
	// Active, SlotParam and SlotArg spell the slot in the
	// code both layouts share ("" for one instance).
	Instances                  int
	Active, SlotParam, SlotArg string
	Forwards                   []string
	Members                    []cMember
	// continuation-line indents of multi-line prototypes (kernel style:
	// aligned with the opening parenthesis)
	InitMemberIndent, ParseIndent, WriteIndent string
}

type cMember struct {
	Name, Signature, Decl string
	Index                 int
	StubSig, StubReturn   string
	RetDecl, Call, Record string
	LogFmt                string
	LogArgs               []string
	ShowFmt, ShowArg      string
	NVals                 int
	Strings               []string
	Params                []cParam
	// RefVars are locals holding references for __ref arguments, Acquire
	// the statements that take them right before the call.
	RefVars, Acquire []string
}

type cParam struct {
	Name     string
	Parse    string // int, bool, word, rest, null
	Signed   bool
	Min, Max string
	Val      int
	Var      string
}

var (
	minMacro = map[int]string{1: "S8_MIN", 2: "S16_MIN", 4: "S32_MIN", 8: "S64_MIN"}
	maxMacro = map[bool]map[int]string{
		true:  {1: "S8_MAX", 2: "S16_MAX", 4: "S32_MAX", 8: "S64_MAX"},
		false: {1: "U8_MAX", 2: "U16_MAX", 4: "U32_MAX", 8: "U64_MAX"},
	}
)

// indent returns the tabs and spaces that align a continuation line with
// column col.
func indent(col int) string { return strings.Repeat("\t", col/8) + strings.Repeat(" ", col%8) }

func newCModule(o *model.Ops) *cModule {
	base := o.BaseName()
	v := &cModule{
		Ops: o.Name, Base: base, Upper: strings.ToUpper(base), Module: o.ModuleName(),
		Header: o.Name + ".h", Guard: "_" + strings.ToUpper(o.Name) + "_H", Source: o.Source,
		Trigger: o.TriggerPath(), TriggerName: base + "_trigger",
		Tutorial:         o.Tutorial,
		InitMemberIndent: indent(len("static int ") + len(o.Name) + len("_init_member(")),
		ParseIndent:      indent(len("static int ") + len(base) + len("_parse(")),
		WriteIndent:      indent(len("static ssize_t ") + len(base) + len("_trigger_write(")),
		Instances:        o.NumInstances(),
		Active:           o.Name + "_active",
	}
	if v.Instances > 1 {
		v.Active += "[slot]"
		v.SlotParam, v.SlotArg = "int slot, ", "slot, "
	}
	fwd := map[string]bool{}
	for i, m := range o.Callbacks() {
		cm := cMember{Name: m.Name, Index: i, Signature: m.Signature(), Decl: declOf(m)}
		f := m.Func
		var stubParams, callArgs, logParts []string
		for j, p := range f.Params {
			stubParams = append(stubParams, p.Type.Decl(p.StubName()))
			if p.Type.Kind == model.StructPtr {
				fwd[p.Type.Struct] = true
			}
			cp := cParam{Name: p.Name}
			switch p.Type.Kind {
			case model.Int:
				cp.Parse, cp.Signed, cp.Val = "int", p.Type.Signed, cm.NVals
				cp.Min, cp.Max = "0", maxMacro[p.Type.Signed][p.Type.Size]
				if p.Type.Signed {
					cp.Min = minMacro[p.Type.Size]
				}
				v.NeedToken = true
				callArgs = append(callArgs, fmt.Sprintf("(%s)v[%d]", p.Type.C, cm.NVals))
				if p.Type.Signed {
					logParts = append(logParts, "%lld")
					cm.LogArgs = append(cm.LogArgs, fmt.Sprintf("v[%d]", cm.NVals))
				} else {
					logParts = append(logParts, "%llu")
					cm.LogArgs = append(cm.LogArgs, fmt.Sprintf("(u64)v[%d]", cm.NVals))
				}
				cm.NVals++
			case model.Bool:
				cp.Parse, cp.Val = "bool", cm.NVals
				v.NeedToken, v.NeedBool = true, true
				callArgs = append(callArgs, fmt.Sprintf("(bool)v[%d]", cm.NVals))
				logParts = append(logParts, "%lld")
				cm.LogArgs = append(cm.LogArgs, fmt.Sprintf("v[%d]", cm.NVals))
				cm.NVals++
			case model.CharPtr:
				cp.Parse, cp.Var = "word", "str_"+p.Name
				if j == len(f.Params)-1 {
					cp.Parse = "rest"
				} else {
					v.NeedToken = true
				}
				cm.Strings = append(cm.Strings, cp.Var)
				callArgs = append(callArgs, cp.Var)
				logParts = append(logParts, `\"%s\"`)
				cm.LogArgs = append(cm.LogArgs, cp.Var)
			case model.StructPtr:
				cp.Parse = "null"
				switch {
				case p.Ref && p.Type.Struct == "task_struct":
					// the caller's task, with a reference bpf_task_release
					// drops (it puts rcu_users, as bpf_task_acquire takes it)
					cp.Parse, v.NeedRefs = "ref", true
					cm.Acquire = append(cm.Acquire, "refcount_inc(&current->rcu_users);")
					callArgs = append(callArgs, "current")
					logParts = append(logParts, "current")
				case p.Ref && p.Type.Struct == "cgroup":
					// the caller's default-hierarchy cgroup, with a reference
					// bpf_cgroup_release drops (cgroup_put)
					cp.Parse, v.NeedRefs = "ref", true
					ref := "cgrp_" + p.Name
					cm.RefVars = append(cm.RefVars, "struct cgroup *"+ref)
					cm.Acquire = append(cm.Acquire, ref+" = task_dfl_cgroup(current);", "cgroup_get("+ref+");")
					callArgs = append(callArgs, ref)
					logParts = append(logParts, "cgroup")
				default:
					callArgs = append(callArgs, "NULL")
					logParts = append(logParts, "NULL")
				}
			}
			cm.Params = append(cm.Params, cp)
		}
		if f.Return.Kind == model.StructPtr {
			fwd[f.Return.Struct] = true
		}
		if len(stubParams) == 0 {
			stubParams = []string{"void"}
		}
		cm.StubSig = fmt.Sprintf("%s(%s)", f.Return.Decl(o.Name+"__"+m.Name), strings.Join(stubParams, ", "))
		call := fmt.Sprintf("ops->%s(%s)", m.Name, strings.Join(callArgs, ", "))
		logCall := fmt.Sprintf("%s(%s)", m.Name, strings.Join(logParts, ", "))
		switch r := f.Return; r.Kind {
		case model.Void:
			cm.Call, cm.Record = call, "0"
			cm.LogFmt, cm.ShowFmt = logCall+" called", "void"
		case model.Bool:
			cm.StubReturn, cm.RetDecl, cm.Call, cm.Record = "return false;", r.Decl("ret"), "ret = "+call, "ret"
			cm.LogFmt, cm.ShowFmt, cm.ShowArg = logCall+" returned: %d", "%lld", fmt.Sprintf("val[%d]", i)
			cm.LogArgs = append(cm.LogArgs, "ret")
		case model.Int:
			cm.StubReturn, cm.RetDecl, cm.Call, cm.Record = "return 0;", r.Decl("ret"), "ret = "+call, "(s64)ret"
			if r.Signed {
				cm.LogFmt, cm.ShowFmt, cm.ShowArg = logCall+" returned: %lld", "%lld", fmt.Sprintf("val[%d]", i)
				cm.LogArgs = append(cm.LogArgs, "(s64)ret")
			} else {
				cm.LogFmt, cm.ShowFmt, cm.ShowArg = logCall+" returned: %llu", "%llu", fmt.Sprintf("(u64)val[%d]", i)
				cm.LogArgs = append(cm.LogArgs, "(u64)ret")
			}
		default: // pointers: never print a kernel address
			cm.StubReturn, cm.RetDecl, cm.Call, cm.Record = "return NULL;", r.Decl("ret"), "ret = "+call, "ret != NULL"
			cm.LogFmt, cm.ShowFmt, cm.ShowArg = logCall+" returned: %s", "%s", fmt.Sprintf(`val[%d] ? "non-NULL" : "NULL"`, i)
			cm.LogArgs = append(cm.LogArgs, `ret ? "non-NULL" : "NULL"`)
		}
		v.Members = append(v.Members, cm)
	}
	v.Forwards = slices.Sorted(maps.Keys(fwd))
	v.Refs = strings.Join(o.Refs(), ", ")
	return v
}

// declOf is the member's declaration inside the struct: "int (*test_2)(int a, int b)".
func declOf(m model.Member) string { return m.Decl() }

var cTemplates = template.Must(templates.Parse(nil))

// Render returns the module's files, keyed by path relative to the
// output directory.
func Render(o *model.Ops) (map[string][]byte, error) {
	v := newCModule(o)
	out := map[string][]byte{}
	for _, f := range []struct{ tmpl, path string }{
		{"Makefile.tmpl", "module/Makefile"},
		{"header.h.tmpl", "module/" + v.Header},
		{"module.c.tmpl", "module/" + v.Module + ".c"},
	} {
		var b bytes.Buffer
		if err := cTemplates.ExecuteTemplate(&b, f.tmpl, v); err != nil {
			return nil, fmt.Errorf("render %s: %w", f.path, err)
		}
		out[f.path] = b.Bytes()
	}
	return out, nil
}
