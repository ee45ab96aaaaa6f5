package cmodule

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/templates"
)

// The C side: the view model the module templates lay out. The names and
// decisions the spec implies come from the model (model.CNames, the
// members' CFIStub and Caller, the parameters' Local, Ops.Inputs); how C
// spells them (formats, casts, how each argument is parsed, where a long
// line breaks) is made here; the templates only place the pieces.

// maxCols is the longest line of the generated C (kernel coding style,
// tabs 8 columns wide).
const maxCols = 100

type cModule struct {
	Ops, Base, Upper, Module string
	// C are the module's C names the model derives (model.CNames).
	C model.CNames
	// Header is the file name of the header declaring the ops struct:
	// <module>.h, for the built-in spec module/bpf_testmod.h, the name the
	// tutorial's BPF C includes. Guard is its include guard.
	Header, Guard, Source string
	Trigger, TriggerName  string
	// Tutorial: a line naming no callback runs the tutorial's demo
	// (test_1(), test_2(10, 20), test_3(text, len)) instead of failing.
	Tutorial bool
	// Doc are the lines of the module's leading comment that say how the
	// trigger works.
	Doc      []string
	Requires []cRequire
	// Slots is how many implementations attach at once (--instances, 1 by
	// default); Taken is reg's pr_err text when every slot is in use.
	Slots int
	Taken string
	// MaxArgs is the longest parameter list (at least 1): the size of the
	// trigger's argument array.
	MaxArgs  int
	Forwards []string
	// Types are the definitions of the spec's types the ops struct
	// reaches, one block of lines each; SizeAsserts the module's checks
	// of their sizes.
	Types       [][]string
	SizeAsserts []string
	Members     []cMember
	// StructDecls declare the ops struct's members, callbacks and data.
	StructDecls []string
	// DataInits are init_member's cases, DataShows the trigger's lines of
	// the data members the loader sets.
	DataInits []cDataInit
	DataShows []cDataShow
	// prototypes of the module's own functions whose length depends on
	// the names, broken at 100 columns
	InitMemberProto, ParseProto, ValueProto, GroupProto, WriteProto, OtherProto string
	// Groups: a callback takes a context struct, which the trigger fills
	// from a "{v1 v2 ...}" group.
	Groups bool
	// ProcCreate is the statement that creates the trigger file.
	ProcCreate string
	// AssignSlot publishes an implementation in its slot (reg, update);
	// Ready is the log line of a loaded module. Both broken at 100
	// columns.
	AssignSlot, Ready string
	// ParseGroupCall is the trigger's call of its "{...}" parser, broken
	// at 100 columns.
	ParseGroupCall string
	// Kfuncs are the kfuncs the module exports; Objs the object files of a
	// module with kfuncs (its main file and the kfuncs file), Main the
	// main file's name without .c, KfuncsFile the kfuncs file's.
	Kfuncs             []cKfunc
	Objs               string
	Main, KfuncsSource string
	// TrustedArgs: a kfunc is KF_TRUSTED_ARGS, a flag newer kernels no
	// longer define (trusted arguments are every kfunc's default there).
	TrustedArgs bool
}

// cKfunc is one kfunc: its prototype, its entry in the kfunc set, and the
// default body of the user's kfuncs file.
type cKfunc struct {
	Name  string
	Proto string // "u32 qsched_depth(u32 queue)", broken at 100 columns
	Def   string // the definition's first line(s): "__bpf_kfunc u32 qsched_depth(u32 queue)"
	Flags string // BTF_ID_FLAGS' flags, "" for none
	Body  []string
	// Doc is the comment line above the default body.
	Doc string
}

// cRequire is one build-time check of the kernel the module is built for.
type cRequire struct {
	If    string   // the #if condition that fails the build, e.g. "LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)"
	Why   []string // the lines of the comment that says why
	Error string
}

// versionBelow is the #if condition of a kernel older than version ("6, 11, 0").
func versionBelow(version string) string {
	return "LINUX_VERSION_CODE < KERNEL_VERSION(" + version + ")"
}

type cMember struct {
	Name string
	// StubName is the member's CFI stub, CallerName the function the
	// trigger calls it through (model.Member.CFIStub, Caller).
	StubName, CallerName string
	// Decl declares the member in the header's struct, with its ';'.
	Decl string
	// Stub is the CFI stub's prototype, StubBody its statements.
	Stub     string
	StubBody []string
	// Caller is the prototype of the function the trigger calls the
	// member through; Locals, Acquire, Call, Log and Record make its body.
	Caller  string
	Locals  []string
	Acquire []string
	Call    string
	Log     string
	Record  string
	// Args initialize the trigger's parameter table, one per parameter;
	// Ret is how the trigger shows the recorded return value.
	Args []string
	Ret  string
	// Group: a context struct argument takes a "{...}" group.
	Group bool
}

var (
	minMacro = map[int]string{1: "S8_MIN", 2: "S16_MIN", 4: "S32_MIN", 8: "S64_MIN"}
	maxMacro = map[bool]map[int]string{
		true:  {1: "S8_MAX", 2: "S16_MAX", 4: "S32_MAX", 8: "S64_MAX"},
		false: {1: "U8_MAX", 2: "U16_MAX", 4: "U32_MAX", 8: "U64_MAX"},
	}
)

func newCModule(o *model.Ops) *cModule {
	c, mod := o.C, o.ModuleName()
	v := &cModule{
		Ops: o.Name, Base: c.Prefix, Upper: c.Macro, Module: mod, C: c,
		Header: c.Header, Guard: c.Guard, Source: o.Source,
		Trigger: o.TriggerPath(), TriggerName: c.Trigger,
		Tutorial: o.Tutorial,
		Slots:    o.NumInstances(),
		Taken:    fmt.Sprintf("another %s implementation is attached", o.Name),
		MaxArgs:  1,
	}
	if v.Slots > 1 {
		v.Taken = fmt.Sprintf("all %d %s slots are taken", v.Slots, o.Name)
	}
	v.InitMemberProto = cFunc("int ", c.InitMember, "const struct btf_type *t",
		"const struct btf_member *member", "void *kdata", "const void *udata")
	v.ParseProto = cFunc("int ", c.Parse, "char **args", "const char *name",
		"const "+c.Param+" *p", c.Arg+" *a")
	v.ValueProto = cFunc("int ", c.Value, "const char *word", "const char *name",
		"const "+c.Param+" *p", c.Arg+" *a")
	v.GroupProto = cFunc("int ", c.ParseGroup, "char **args", "const char *name",
		"const "+c.Param+" *g", c.Arg+" *a")
	v.WriteProto = cFunc("ssize_t ", c.TriggerWrite, "struct file *file",
		"const char __user *ubuf", "size_t count", "loff_t *ppos")
	v.OtherProto = cFunc("int ", c.Other, "unsigned int slot", "const char *line", "size_t len")

	v.ParseGroupCall = wrap(24, "err = "+c.ParseGroup+"(", []string{"&args", "cb->name", "&cb->args[i]", "&a[i + 1]"}, ");")
	v.AssignSlot = wrap(16, "rcu_assign_pointer(", []string{c.Slots + "[slot]", "(struct " + o.Name + " *)kdata"}, ");")
	v.Ready = printCall(8, "pr_info(", "struct_ops type "+o.Name+" ready, trigger "+v.Trigger+`\n`, nil)
	v.ProcCreate = wrap(8, c.Trigger+" = proc_create(",
		[]string{`"` + c.Trigger + `"`, "0600", "NULL", "&" + c.TriggerOps}, ");")

	v.Doc = []string{
		"BPF programs implement the callbacks; " + v.Trigger + " calls them:",
		`writing "<member> <arg>..." calls one callback (integers in decimal or`,
		"0x-hex, a trailing const char * argument takes the rest of the line,",
		"struct pointer arguments are passed as NULL and take no word), and",
		`reading returns "<member> <return value>" for the last call of each.`,
	}
	if o.Inputs.Buffers {
		v.Doc = append(v.Doc, "Other pointer arguments get the address of a zeroed 64-byte buffer and take", "no word.")
	}
	if o.Inputs.Zeroed {
		v.Doc = append(v.Doc, "Structs passed by value are passed zeroed and take no word.")
	}
	if o.Inputs.Groups {
		v.Doc = append(v.Doc, `A pointer to a struct the spec defines takes "{v1 v2 ...}" instead: the`,
			"struct's integer fields in order (fewer values leave the others zero).")
	}
	if o.Inputs.ValueGroups {
		v.Doc = append(v.Doc, `A struct the spec defines passed by value takes "{v1 v2 ...}" too.`)
	}
	if len(o.DataMembers()) > 0 {
		v.Doc = append(v.Doc, `Reading also returns ".<member> <value>" for each data member the loader sets.`)
	}
	if v.Slots > 1 {
		v.Doc = append(v.Doc,
			fmt.Sprintf(`Up to %d implementations attach at once, one per slot: "@K " before`, v.Slots),
			"the line calls the one in slot K (no prefix: slot 0), and reading returns",
			`slot K's results as "@K <member> <return value>" lines (slot 0's unprefixed),`,
			`after one "@K: link <id>" line per attached implementation, so that a`,
			"loader finds the slot of its link.")
	}
	if o.FromBTF {
		v.Doc = append(v.Doc,
			"Generated again from a module's BTF, which does not record what the original",
			"module's init_member copied: its data members follow structops-gen's rules",
			"(integers and char arrays are copied from the map's value, the rest is left",
			"to the kernel).")
	}
	if v.Tutorial {
		v.Doc = append(v.Doc, "Writing any other text calls test_1(), test_2(10, 20) and test_3(text, len).")
	}

	v.Requires = []cRequire{{If: versionBelow("6, 11, 0"),
		Why:   fill("Module struct_ops need Linux 6.9, reg and unreg with a struct bpf_link 6.11."),
		Error: mod + " needs Linux 6.11 or newer"}}
	if refs := o.Refs(); len(refs) > 0 {
		v.Requires = append(v.Requires, cRequire{If: versionBelow("6, 15, 0"),
			Why:   fill("The __ref arguments (" + strings.Join(refs, ", ") + ") need Linux 6.15."),
			Error: mod + " needs Linux 6.15 or newer for its __ref arguments"})
	}

	if sa := o.StackArgs(); len(sa) > 0 {
		since := model.StackArgsSince
		ver := fmt.Sprintf("%d, %d, %d", since[0], since[1], since[2])
		v.Requires = append(v.Requires, cRequire{If: versionBelow(ver),
			Why: fill(fmt.Sprintf("Callbacks with more than %d arguments (%s) get arguments 7 and on from the stack, "+
				"which the x86-64 struct_ops trampoline of Linux 6.12 hands to BPF one slot off; "+
				"%d.%d passes them right (measured; the releases between are not).",
				model.MaxRegArgs, strings.Join(sa, ", "), since[0], since[1])),
			Error: fmt.Sprintf("%s needs Linux %d.%d or newer for callbacks with more than %d arguments", mod, since[0], since[1], model.MaxRegArgs)})
	}
	if o.HZ != 0 {
		v.Requires = append(v.Requires, cRequire{If: fmt.Sprintf("HZ != %d", o.HZ),
			Why:   fill(fmt.Sprintf("The spec's constants were computed with HZ = %d (CONFIG_HZ).", o.HZ)),
			Error: fmt.Sprintf("%s was generated for HZ=%d: generate it again for this kernel's CONFIG_HZ", mod, o.HZ)})
	}

	v.Main, v.KfuncsSource, v.Objs = c.Main, c.KfuncsSource, strings.Join(c.Objs, " ")
	if len(o.Kfuncs) > 0 {
		v.Doc = append(v.Doc, "The module exports kfuncs to the programs of struct "+o.Name+" (their bodies",
			"are in "+v.KfuncsSource+"): "+kfuncNames(o)+".")
	}
	for _, k := range o.Kfuncs {
		v.Kfuncs = append(v.Kfuncs, newCKfunc(k))
		v.TrustedArgs = v.TrustedArgs || k.Flags.TrustedArgs
	}
	for _, m := range o.Callbacks() {
		v.Members = append(v.Members, newCMember(o, m))
		v.MaxArgs = max(v.MaxArgs, len(v.Members[len(v.Members)-1].Args))
		v.Groups = v.Groups || v.Members[len(v.Members)-1].Group
	}
	v.StructDecls = cStructDecls(o, v.Members)
	v.DataInits, v.DataShows = cDataMembers(o)
	v.Types, v.SizeAsserts = cTypeDefs(o), cSizeAsserts(o)
	v.Forwards = o.C.Forwards
	return v
}

// newCMember builds the C of one callback: its CFI stub, the function the
// trigger calls it through, and its entry in the trigger's table.
func newCMember(o *model.Ops, m model.Member) cMember {
	up, f := o.C.Macro, m.Func
	cm := cMember{Name: m.Name, StubName: m.CFIStub, CallerName: m.Caller}
	var stubParams, callArgs, logFmts, logArgs []string
	for i, p := range f.Params {
		stubParams = append(stubParams, p.Type.Decl(p.StubName()))
		a := fmt.Sprintf("a[%d]", len(cm.Args)) // its entry in the trigger's table
		arg := func(kind string, rng ...string) string {
			if rng == nil {
				rng = []string{"0", "0"}
			}
			return fmt.Sprintf("{ %q, %s_ARG_%s, %s, %s }", p.Name, up, kind, rng[0], rng[1])
		}
		switch p.Type.Kind {
		case model.Int:
			cast := p.Type.C
			if p.Type.Bitwise {
				cast = "__force " + cast
			}
			if p.Type.Signed {
				cm.Args = append(cm.Args, arg("INT", minMacro[p.Type.Size], maxMacro[true][p.Type.Size]))
				callArgs = append(callArgs, fmt.Sprintf("(%s)%s.s", cast, a))
				logFmts, logArgs = append(logFmts, "%lld"), append(logArgs, a+".s")
			} else {
				cm.Args = append(cm.Args, arg("UINT", "0", maxMacro[false][p.Type.Size]))
				callArgs = append(callArgs, fmt.Sprintf("(%s)%s.u", cast, a))
				logFmts, logArgs = append(logFmts, "%llu"), append(logArgs, a+".u")
			}
		case model.Bool:
			cm.Args = append(cm.Args, arg("BOOL"))
			callArgs = append(callArgs, fmt.Sprintf("(%s)%s.u", p.Type.C, a))
			logFmts, logArgs = append(logFmts, "%llu"), append(logArgs, a+".u")
		case model.CharPtr:
			if i == len(f.Params)-1 {
				cm.Args = append(cm.Args, arg("REST"))
			} else {
				cm.Args = append(cm.Args, arg("WORD"))
			}
			callArgs = append(callArgs, a+".str")
			logFmts, logArgs = append(logFmts, `\"%s\"`), append(logArgs, a+".str")
		case model.Opaque:
			if p.Type.ValueStruct() != nil {
				// a struct by value: filled from "{v1 v2 ...}"
				cm.Args = append(cm.Args, arg("NONE"))
				at := len(cm.Args) - 1
				group := groupArgs(o, p, at, &cm)
				cm.Args[at], cm.Group = group, true
				callArgs, logFmts = append(callArgs, p.Local), append(logFmts, "{...}")
				break
			}
			// a struct by value whose fields the trigger does not fill: zeroed
			rec := p.Local
			cm.Args = append(cm.Args, arg("NONE"))
			cm.Locals = append(cm.Locals, p.Type.Decl(rec)+" = {}")
			callArgs, logFmts = append(callArgs, rec), append(logFmts, "{0}")
		case model.Ptr:
			// an opaque pointer: the address of a zeroed buffer, which
			// the program cannot read through but may compare to NULL
			buf := p.Local
			cm.Args = append(cm.Args, arg("NONE"))
			cm.Locals = append(cm.Locals, "u64 "+buf+"[8] = {}")
			callArgs, logFmts = append(callArgs, fmt.Sprintf("(%s)%s", p.Type.C, buf)), append(logFmts, "buffer")
		case model.StructPtr:
			cm.Args = append(cm.Args, arg("NONE"))
			switch {
			case p.Ref && p.Type.Struct == "task_struct":
				// the caller's task, with a reference bpf_task_release
				// drops (it puts rcu_users, as bpf_task_acquire takes it)
				cm.Acquire = append(cm.Acquire, "refcount_inc(&current->rcu_users);")
				callArgs, logFmts = append(callArgs, "current"), append(logFmts, "current")
			case p.Ref && p.Type.Struct == "cgroup":
				// the caller's default-hierarchy cgroup, with a reference
				// bpf_cgroup_release drops (cgroup_put)
				ref := p.Local
				cm.Locals = append(cm.Locals, "struct cgroup *"+ref)
				cm.Acquire = append(cm.Acquire, ref+" = task_dfl_cgroup(current);", "cgroup_get("+ref+");")
				callArgs, logFmts = append(callArgs, ref), append(logFmts, "cgroup")
			case p.Type.ContextStruct() != nil:
				// a context struct: filled from "{v1 v2 ...}", on the stack
				at := len(cm.Args) - 1
				group := groupArgs(o, p, at, &cm)
				cm.Args[at], cm.Group = group, true
				if p.Nullable {
					// the word NULL sets the group's own entry
					callArgs = append(callArgs, fmt.Sprintf("a[%d].u ? NULL : &%s", at, p.Local))
				} else {
					callArgs = append(callArgs, "&"+p.Local)
				}
				logFmts = append(logFmts, "{...}")
			default:
				callArgs, logFmts = append(callArgs, "NULL"), append(logFmts, "NULL")
			}
		}
	}
	declParams := make([]string, len(f.Params))
	for i, p := range f.Params {
		declParams[i] = p.Type.Decl(p.Name)
	}
	if len(stubParams) == 0 {
		stubParams, declParams = []string{"void"}, []string{"void"}
	}
	cm.Decl = wrap(8, f.Return.Decl("(*"+m.Name+")")+"(", declParams, ");")
	cm.Stub = wrap(0, "static "+f.Return.Decl(m.CFIStub)+"(", stubParams, ")")
	cm.Caller = cFunc("s64 ", m.Caller, "struct "+o.Name+" *ops", "const "+o.C.Arg+" *a")

	call := "ops->" + m.Name + "("
	if m.MacroName {
		call = "(ops->" + m.Name + ")("
	}
	logFmt := m.Name + "(" + strings.Join(logFmts, ", ") + ")"
	r := f.Return
	switch r.Kind {
	case model.Void:
		cm.Call = wrap(8, call, callArgs, ");")
		cm.Record, cm.Ret, logFmt = "0", up+"_RET_VOID", logFmt+" called"
	case model.Bool:
		cm.Call = wrap(8, "ret = "+call, callArgs, ");")
		cm.Record, cm.Ret, logFmt = "ret", up+"_RET_INT", logFmt+" returned: %d"
		logArgs = append(logArgs, "ret")
	case model.Int:
		cm.Call = wrap(8, "ret = "+call, callArgs, ");")
		if r.Signed {
			cm.Record, cm.Ret, logFmt = "ret", up+"_RET_INT", logFmt+" returned: %lld"
			logArgs = append(logArgs, toInt(r, "s64", "ret"))
			if r.Bitwise {
				cm.Record = toInt(r, "s64", "ret")
			}
		} else {
			cm.Record, cm.Ret, logFmt = toInt(r, "s64", "ret"), up+"_RET_UINT", logFmt+" returned: %llu"
			logArgs = append(logArgs, toInt(r, "u64", "ret"))
		}
	default: // pointers: never print a kernel address
		cm.Call = wrap(8, "ret = "+call, callArgs, ");")
		cm.Record, cm.Ret, logFmt = "ret != NULL", up+"_RET_PTR", logFmt+" returned: %s"
		logArgs = append(logArgs, `ret ? "non-NULL" : "NULL"`)
	}
	if r.Kind != model.Void {
		cm.Locals = append([]string{r.Decl("ret")}, cm.Locals...)
	}
	cm.Log = printCall(8, "pr_info(", logFmt+`\n`, logArgs)
	switch r.Kind {
	case model.Void:
	case model.Bool:
		cm.StubBody = []string{"return false;"}
	case model.Int:
		cm.StubBody = []string{"return 0;"}
	default:
		cm.StubBody = []string{"return NULL;"}
	}
	return cm
}

var cTemplates = template.Must(templates.Parse(nil))

// Render returns the module's files, keyed by path relative to the
// output directory.
func Render(o *model.Ops) (map[string][]byte, error) {
	v := newCModule(o)
	out := map[string][]byte{}
	files := []struct{ tmpl, path string }{
		{"Makefile.tmpl", "module/Makefile"},
		{"header.h.tmpl", "module/" + v.Header},
		{"module.c.tmpl", "module/" + v.Main + ".c"},
	}
	if v.KfuncsSource != "" {
		files = append(files, struct{ tmpl, path string }{"kfuncs.c.tmpl", o.KfuncsFile()})
	}
	for _, f := range files {
		var b bytes.Buffer
		if err := cTemplates.ExecuteTemplate(&b, f.tmpl, v); err != nil {
			return nil, fmt.Errorf("render %s: %w", f.path, err)
		}
		out[f.path] = b.Bytes()
	}
	return out, nil
}

// declOf is the member's declaration inside the struct: "int (*test_2)(int a, int b)".
func declOf(m model.Member) string { return m.Decl() }
