package cmodule

import (
	"strings"

	"github.com/structops/structops-gen/gen/model"
)

// kfuncNames lists the kfuncs for a comment: "a(), b() and c()".
func kfuncNames(o *model.Ops) string {
	var ns []string
	for _, k := range o.Kfuncs {
		ns = append(ns, k.Name+"()")
	}
	if len(ns) == 1 {
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

// newCKfunc builds the C of one kfunc. The default body logs the call
// (pr_debug: dynamic debug shows it) and returns the sum of the integer
// arguments plus one, converted to the return type (NULL for a pointer).
func newCKfunc(k model.Kfunc) cKfunc {
	ck := cKfunc{Name: k.Name, Flags: k.Flags.Kernel()}
	if ck.Flags == "0" {
		ck.Flags = ""
	}
	var params, fmts, args, sum []string
	for _, p := range k.Func.Params {
		params = append(params, p.Type.Decl(p.Name))
		switch p.Type.Kind {
		case model.Int:
			if p.Type.Signed {
				fmts, args = append(fmts, p.Name+"=%lld"), append(args, toInt(p.Type, "s64", p.Name))
			} else {
				fmts, args = append(fmts, p.Name+"=%llu"), append(args, toInt(p.Type, "u64", p.Name))
			}
			sum = append(sum, p.Name)
		case model.Bool:
			fmts, args = append(fmts, p.Name+"=%d"), append(args, p.Name)
			sum = append(sum, p.Name)
		case model.StructPtr:
			fmts, args = append(fmts, p.Name+"=%s"), append(args, p.Name+` ? "non-NULL" : "NULL"`)
		}
	}
	if len(params) == 0 {
		params = []string{"void"}
	}
	name := k.Func.Return.Decl(k.Name)
	ck.Proto = wrap(0, name+"(", params, ");")
	ck.Def = wrap(0, "__bpf_kfunc "+name+"(", params, ")")
	log := k.Name + "(" + strings.Join(fmts, ", ") + ")"
	ck.Body = []string{wrap(8, "pr_debug(", append([]string{`"` + log + `\n"`}, args...), ");")}
	r := k.Func.Return
	total := "1"
	if len(sum) > 0 {
		total = strings.Join(sum, " + ") + " + 1"
	}
	switch r.Kind {
	case model.Void:
		ck.Doc = "Default body: logs the call (pr_debug)."
	case model.StructPtr:
		ck.Doc = "Default body: logs the call (pr_debug) and returns NULL."
		ck.Body = append(ck.Body, "return NULL;")
	case model.Bool:
		ck.Doc = "Default body: logs the call (pr_debug), returns whether its integer arguments + 1 are not 0."
		ck.Body = append(ck.Body, wrap(8, "return ("+r.C+")(", []string{total}, ");"))
	default:
		ck.Doc = "Default body: logs the call (pr_debug), returns the sum of its integer arguments plus one."
		if len(sum) == 0 {
			ck.Body = append(ck.Body, "return 1;")
			break
		}
		// the sum in 64 bits, then converted to the return type
		var terms []string
		for _, s := range sum {
			terms = append(terms, "(s64)"+s)
		}
		total = strings.Join(append(terms, "1"), " + ")
		ck.Body = append(ck.Body, wrap(8, "return ("+r.C+")(", []string{total}, ");"))
	}
	return ck
}
