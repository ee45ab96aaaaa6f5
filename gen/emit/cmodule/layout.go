package cmodule

import (
	"strings"

	"github.com/structops/structops-gen/gen/model"
)

// Laying out C lines: kernel style, at most 100 columns.

// width is the number of columns s takes starting at column col, tabs
// advancing to the next multiple of 8.
func width(col int, s string) int {
	for _, r := range s {
		if r == '\t' {
			col = col/8*8 + 8
		} else {
			col++
		}
	}
	return col
}

// indent returns the tabs and spaces that reach column col.
func indent(col int) string { return strings.Repeat("\t", col/8) + strings.Repeat(" ", col%8) }

// wrap lays out head, then parts separated by ", ", then tail, starting at
// column col (head already placed there, e.g. after a tab). A part that
// would cross maxCols starts a new line aligned with the column after
// head, as the kernel aligns the arguments of a call or prototype with
// its opening parenthesis.
func wrap(col int, head string, parts []string, tail string) string {
	if len(parts) == 0 {
		return head + tail
	}
	var b strings.Builder
	b.WriteString(head)
	start := width(col, head)
	cur := start
	for i, p := range parts {
		tok := p + ","
		if i == len(parts)-1 {
			tok = p + tail
		}
		if i > 0 {
			if width(cur, " "+tok) > maxCols {
				b.WriteString("\n" + indent(start))
				cur = start
			} else {
				b.WriteString(" ")
				cur++
			}
		}
		b.WriteString(tok)
		cur = width(cur, tok)
	}
	return b.String()
}

// fill breaks text into the lines of a block comment (" * " before each)
// at spaces, each line at most 100 columns.
func fill(text string) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(" * "+line+" "+w) > maxCols {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// cFunc is the prototype "static <ret><name>(<params>)" broken at 100
// columns; ret ends in a space or a '*'.
func cFunc(ret, name string, params ...string) string {
	return wrap(0, "static "+ret+name+"(", params, ")")
}

// printCall is a printk-like call head(FORMAT, args...) starting at
// column col, broken at 100 columns. A format too long for one line is
// split after its ", " into adjacent string literals, one a line, aligned
// after head (C joins them); the arguments follow on their own lines.
func printCall(col int, head, format string, args []string) string {
	one := wrap(col, head, append([]string{`"` + format + `"`}, args...), ");")
	start := width(col, head)
	if first, _, _ := strings.Cut(one, "\n"); width(col, first) <= maxCols {
		return one
	}
	var pieces []string
	cur := ""
	for _, w := range strings.SplitAfter(format, ", ") {
		if cur != "" && width(start, `"`+cur+w+`",`) > maxCols {
			pieces, cur = append(pieces, cur), ""
		}
		cur += w
	}
	pieces = append(pieces, cur)
	var b strings.Builder
	b.WriteString(head)
	for i, p := range pieces {
		if i > 0 {
			b.WriteString("\n" + indent(start))
		}
		b.WriteString(`"` + p + `"`)
	}
	if len(args) == 0 {
		b.WriteString(");")
		return b.String()
	}
	b.WriteString(",\n" + indent(start) + wrap(start, "", args, ");"))
	return b.String()
}

// toInt converts the C expression x of type t to the integer type to:
// a __force cast for a __bitwise type (sparse refuses a plain one).
func toInt(t model.Type, to, x string) string {
	if t.Bitwise {
		return "(__force " + to + ")" + x
	}
	return "(" + to + ")" + x
}
