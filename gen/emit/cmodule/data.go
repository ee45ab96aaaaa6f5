package cmodule

import (
	"fmt"

	"github.com/structops/structops-gen/gen/model"
)

// The data members of the ops struct: their declarations, how
// init_member copies them into the kernel's copy, and how the trigger
// shows their values.

// cDataInit is one case of init_member's switch.
type cDataInit struct {
	Name string
	// Body are the statements of the case, after its label.
	Body []string
}

// cDataShow is one "<at>.<member> <value>" line of a trigger read.
type cDataShow struct {
	Format, Arg string
}

// cStructDecls declares the ops struct's members in struct order: the
// callbacks (their Decl) and the data members.
func cStructDecls(o *model.Ops, cbs []cMember) []string {
	var out []string
	k := 0
	for _, m := range o.Members {
		if m.Func != nil {
			out = append(out, cbs[k].Decl)
			k++
			continue
		}
		lines := cDeclLines(*m.Data, m.Name, 1)
		lines[len(lines)-1] += ";"
		for i := 1; i < len(lines); i++ {
			lines[i] = "\t" + lines[i]
		}
		for _, l := range lines {
			out = append(out, l)
		}
	}
	return out
}

// cDataMembers builds init_member's cases and the trigger's lines for the
// data members the loader sets.
func cDataMembers(o *model.Ops) ([]cDataInit, []cDataShow) {
	var inits []cDataInit
	var shows []cDataShow
	for _, m := range o.DataMembers() {
		init, _ := m.DataInit()
		switch init {
		case model.DataCopy:
			inits = append(inits, cDataInit{Name: m.Name, Body: []string{
				fmt.Sprintf("ops->%s = uops->%s;", m.Name, m.Name), "return 1;"}})
			switch {
			case m.Data.Kind == model.Bool:
				shows = append(shows, cDataShow{Format: "%s." + m.Name + " %d\\n", Arg: "ops->" + m.Name})
			case m.Data.Signed:
				shows = append(shows, cDataShow{Format: "%s." + m.Name + " %lld\\n", Arg: "(s64)ops->" + m.Name})
			default:
				shows = append(shows, cDataShow{Format: "%s." + m.Name + " %llu\\n", Arg: "(u64)ops->" + m.Name})
			}
		case model.DataString:
			// strscpy: -E2BIG when the loader's bytes hold no NUL
			inits = append(inits, cDataInit{Name: m.Name, Body: []string{
				fmt.Sprintf("if (strscpy(ops->%s, uops->%s, sizeof(ops->%s)) < 0)", m.Name, m.Name, m.Name),
				"\treturn -EINVAL;", "return 1;"}})
			shows = append(shows, cDataShow{Format: "%s." + m.Name + " \\\"%s\\\"\\n", Arg: "ops->" + m.Name})
		}
	}
	return inits, shows
}

// groupArgs makes the trigger's entries of a context struct argument p (or
// a struct by value)
// whose entry is at index at: the group's entry (its max is the number of
// fields) and one per integer field (model.Leaves), and the statements
// that fill the struct s_<p> from them. It returns the group's entry.
func groupArgs(o *model.Ops, p model.Param, at int, cm *cMember) string {
	up := o.C.Macro
	d, spell := p.Type.ContextStruct(), p.Type.Pointee()
	if d == nil {
		d, spell = p.Type.ValueStruct(), p.Type.C // a struct by value
	}
	leaves := model.Leaves(d, true)
	s := p.Local
	cm.Locals = append(cm.Locals, fmt.Sprintf("%s %s = {}", spell, s))
	for k, l := range leaves {
		a := fmt.Sprintf("a[%d]", at+1+k)
		name := p.Name + "." + l.Member
		cast := l.Type.C
		if l.Type.Bitwise {
			cast = "__force " + cast
		}
		switch {
		case l.Type.Kind == model.Bool:
			cm.Args = append(cm.Args, fmt.Sprintf("{ %q, %s_ARG_BOOL, 0, 0 }", name, up))
			cm.Acquire = append(cm.Acquire, fmt.Sprintf("%s.%s = %s.u;", s, l.Member, a))
		case l.Type.Signed:
			cm.Args = append(cm.Args, fmt.Sprintf("{ %q, %s_ARG_INT, %s, %s }", name, up,
				minMacro[l.Type.Size], maxMacro[true][l.Type.Size]))
			cm.Acquire = append(cm.Acquire, fmt.Sprintf("%s.%s = (%s)%s.s;", s, l.Member, cast, a))
		default:
			cm.Args = append(cm.Args, fmt.Sprintf("{ %q, %s_ARG_UINT, 0, %s }", name, up, maxMacro[false][l.Type.Size]))
			cm.Acquire = append(cm.Acquire, fmt.Sprintf("%s.%s = (%s)%s.u;", s, l.Member, cast, a))
		}
	}
	nullable := 0
	if p.Nullable {
		nullable = 1
	}
	return fmt.Sprintf("{ %q, %s_ARG_GROUP, %d, %d }", p.Name, up, nullable, len(leaves))
}
