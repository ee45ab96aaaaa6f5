package cmodule

import (
	"fmt"
	"strings"

	"github.com/structops/structops-gen/gen/model"
)

// The definitions of the types the spec defines and the ops struct reaches
// (model.Ops.Types), written in full into the module's header so that they
// are in the module's BTF.

// cTypeDefs renders each definition of o.Types as the lines of one block,
// in the model's order.
func cTypeDefs(o *model.Ops) [][]string {
	var out [][]string
	for _, d := range o.Types {
		out = append(out, cTypeDef(d))
	}
	return out
}

// cTypeDef is one definition: "struct x {", its members, "};".
func cTypeDef(d *model.TypeDef) []string {
	if d.Kind == model.DefTypedef {
		lines := cDeclLines(*d.Target, d.Name, 0)
		lines[0] = "typedef " + lines[0]
		lines[len(lines)-1] += ";"
		return lines
	}
	lines := cBody(d, d.Ref(), 0)
	lines[len(lines)-1] += ";"
	return lines
}

// cBody writes a struct, union or enum body opened by head ("struct x",
// "union"), at depth levels of indentation, without the final ';'.
func cBody(d *model.TypeDef, head string, depth int) []string {
	tab := strings.Repeat("\t", depth)
	lines := []string{head + " {"}
	if d.Kind == model.DefEnum {
		for _, e := range d.Enumerators {
			lines = append(lines, fmt.Sprintf("%s\t%s = %s,", tab, e.Name, d.EnumValue(e)))
		}
	} else {
		for _, f := range d.Fields {
			fl := cDeclLines(f.Type, f.Name, depth+1)
			if f.Bits > 0 {
				fl[len(fl)-1] += fmt.Sprintf(":%d", f.Bits)
			}
			fl[0] = tab + "\t" + fl[0]
			fl[len(fl)-1] += ";"
			lines = append(lines, fl...)
		}
	}
	end := tab + "}"
	if d.Packed {
		end += " __attribute__((packed))"
	}
	return append(lines, end)
}

// cDeclLines declares name with type t: one line, or several when t is an
// anonymous struct, union or enum written inline. The first line is not
// indented; the others are, at depth. No ';'.
func cDeclLines(t model.Type, name string, depth int) []string {
	if d := t.Def; d != nil && d.Name == "" && d.Kind != model.DefTypedef {
		head := d.Kind.String()
		lines := cBody(d, head, depth)
		if name != "" {
			lines[len(lines)-1] += " " + name
		}
		return lines
	}
	if name == "" {
		return []string{strings.TrimSpace(t.C)}
	}
	return []string{t.Decl(name)}
}

// cSizeAsserts are the module's build-time checks that GCC lays the
// definitions out as the model says (the sizes the generator read).
func cSizeAsserts(o *model.Ops) []string {
	var out []string
	for _, d := range o.Types {
		if d.Kind == model.DefEnum {
			continue
		}
		out = append(out, fmt.Sprintf("static_assert(sizeof(%s) == %d);", d.Ref(), d.Size))
	}
	return out
}
