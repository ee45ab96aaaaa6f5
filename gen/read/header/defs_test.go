package header

import (
	"fmt"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/model"
)

const hdrDefsSpec = `
typedef u32 handle_t;
typedef struct { u64 a; u32 b; } range_t;
typedef struct node node_t;
struct node { node_t *next; handle_t h; };
enum color { RED, GREEN = 5, BIG = 0x80000000 };
enum sgn { NEG = -1, POS };
struct unused { int x; };
struct dev;
struct ctx {
	u32 index;
	const struct dev *hid;
	enum color c;
	union { s32 retval; s32 size; };
	struct node n;
	range_t r;
	u8 lo:3, hi:5;
	char name[16];
	enum sgn s;
};
struct x_ops {
	int (*f)(struct ctx *c, u64 v);
	void (*g)(struct node *n);
};
`

// TestParseTypes: the definitions the ops struct reaches are read in an
// order where everything held by value comes first, with their layout;
// unreachable ones and the kernel's are left out.
func TestParseTypes(t *testing.T) {
	o, err := Parse("x.h", []byte(hdrDefsSpec), "x_ops")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, d := range o.Types {
		refs = append(refs, d.Ref())
	}
	if got, want := strings.Join(refs, ", "), "enum color, node_t, handle_t, struct node, range_t, enum sgn, struct ctx"; got != want {
		t.Errorf("Types: %s, want %s", got, want)
	}
	ctx := o.TypeDef("struct ctx")
	if ctx == nil {
		t.Fatal("no struct ctx")
	}
	if p := o.Members[0].Func.Params[0].Type; p.DefinedStruct() != ctx {
		t.Errorf("param c does not point at the definition of struct ctx")
	}
	if ctx.Size != 80 || ctx.Packed {
		t.Errorf("struct ctx: size %d packed %v, want 80 and not packed", ctx.Size, ctx.Packed)
	}
	type fld struct {
		name      string
		off, bits int
		c         string
	}
	want := []fld{{"index", 0, 0, "u32"}, {"hid", 8, 0, "const struct dev *"}, {"c", 16, 0, "enum color"},
		{"", 20, 0, ""}, {"n", 24, 0, "struct node"}, {"r", 40, 0, "range_t"}, {"lo", 56, 3, "u8"},
		{"hi", 56, 5, "u8"}, {"name", 57, 0, "char[16]"}, {"s", 76, 0, "enum sgn"}}
	if len(ctx.Fields) != len(want) {
		t.Fatalf("struct ctx has %d fields, want %d", len(ctx.Fields), len(want))
	}
	for i, w := range want {
		f := ctx.Fields[i]
		if f.Name != w.name || f.Offset != w.off || f.Bits != w.bits || f.Type.C != w.c {
			t.Errorf("field %d: %s at %d bits %d %q, want %+v", i, f.Name, f.Offset, f.Bits, f.Type.C, w)
		}
	}
	if u := ctx.Fields[3].Type.Def; u == nil || u.Kind != model.DefUnion || u.Name != "" || len(u.Fields) != 2 {
		t.Errorf("anonymous union: %+v", u)
	}
	if hi := ctx.Fields[7]; hi.BitOffset != 3 {
		t.Errorf("hi: bit offset %d, want 3", hi.BitOffset)
	}
	color, sgn := o.TypeDef("enum color"), o.TypeDef("enum sgn")
	if color.Signed || len(color.Enumerators) != 3 || color.Enumerators[2].Value != 0x80000000 {
		t.Errorf("enum color: %+v", color)
	}
	if !sgn.Signed || int64(sgn.Enumerators[0].Value) != -1 || sgn.EnumValue(sgn.Enumerators[0]) != "-1" {
		t.Errorf("enum sgn: %+v", sgn)
	}
	if r := o.TypeDef("range_t"); r.Target == nil || r.Target.Def == nil || r.Target.Def.Name != "" || r.Size != 16 {
		t.Errorf("range_t: %+v", r)
	}
	if o.TypeDef("struct unused") != nil || o.TypeDef("struct dev") != nil {
		t.Error("an unreachable or undefined struct is listed")
	}
}

// TestTypesEqual: Equal compares the definitions too.
func TestTypesEqual(t *testing.T) {
	a, err := Parse("x.h", []byte(hdrDefsSpec), "x_ops")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, want string }{
		{"u8 lo:3, hi:5;", "u8 lo:2, hi:6;", "bit offset/width"},
		{"GREEN = 5", "GREEN = 6", "enumerator GREEN"},
		{"s32 size; }", "s32 size; u32 other; }", "2 fields != 3"},
		{"typedef u32 handle_t;", "typedef u64 handle_t;", "handle_t"},
		{"char name[16];", "char name[17];", "name"},
	} {
		b, err := Parse("x.h", []byte(strings.Replace(hdrDefsSpec, c.from, c.to, 1)), "x_ops")
		if err != nil {
			t.Fatal(err)
		}
		if d := a.Equal(b); !strings.Contains(d, c.want) {
			t.Errorf("%s -> %s: Equal says %q, want it to name %q", c.from, c.to, d, c.want)
		}
	}
	b, _ := Parse("x.h", []byte(hdrDefsSpec), "x_ops")
	if d := a.Equal(b); d != "" {
		t.Errorf("the same spec twice: %s", d)
	}
}

// TestContextStructs: a struct the spec defines and a callback takes is a
// context struct: its integer leaves (a union's first member for the
// trigger and the sum, all members for the descriptors) and the sum's
// steps after the arguments; data members get their init rules.
func TestContextStructs(t *testing.T) {
	src := hdrDefsSpec + `
struct d_ops {
	int id;
	char name[8];
	struct dev *owner_dev;
	int (*f)(struct ctx *c, u8 small);
};
`
	o, err := Parse("x.h", []byte(src), "d_ops")
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Validate(o); err != nil {
		t.Fatal(err)
	}
	d := o.Members[3].Func.Params[0].Type.ContextStruct()
	if d == nil || d.Name != "ctx" {
		t.Fatalf("param c: no context struct: %+v", o.Members[3].Func.Params[0].Type)
	}
	leaves := func(first bool) string {
		var ns []string
		for _, l := range model.Leaves(d, first) {
			ns = append(ns, l.Member)
		}
		return strings.Join(ns, " ")
	}
	// n.h (handle_t) is a typedef'd u32: an integer; next is a pointer
	if got, want := leaves(true), "index c retval n.h r.a r.b s"; got != want {
		t.Errorf("trigger leaves: %s, want %s", got, want)
	}
	if got, want := leaves(false), "index c retval size n.h r.a r.b s"; got != want {
		t.Errorf("descriptor leaves: %s, want %s", got, want)
	}
	var steps []string
	for _, st := range model.SumSteps(o.Members[3].Func) {
		steps = append(steps, st.Name+":"+st.Acc.String())
	}
	if got, want := strings.Join(steps, " "), "small:int c->index:unsigned int c->c:unsigned int c->retval:unsigned int "+
		"c->n.h:unsigned int c->r.a:unsigned long c->r.b:unsigned long c->s:unsigned long"; got != want {
		t.Errorf("sum steps:\n got %s\nwant %s", got, want)
	}
	if len(o.Fields) != 8 || o.Fields[3].GoName() != "CtxSize" || o.Fields[3].Offset != 20 || !o.Fields[3].Signed {
		t.Errorf("field descriptors: %+v", o.Fields)
	}
	for _, c := range []struct {
		member string
		want   model.DataInit
	}{{"id", model.DataCopy}, {"name", model.DataString}, {"owner_dev", model.DataKernel}} {
		if got, _ := o.Member(c.member).DataInit(); got != c.want {
			t.Errorf("%s: init %v, want %v", c.member, got, c.want)
		}
	}
}

// TestSetDataMembers: --set on a header spec's data members follows the
// members' rules: integers in range, bools, strings with their NUL; a
// member only the kernel sets is refused with the reason.
func TestSetDataMembers(t *testing.T) {
	src := `struct module;
struct s_ops {
	s16 id;
	bool on;
	char name[4];
	struct module *owner;
	int (*f)(int a);
};
`
	for _, c := range []struct{ set, want, err string }{
		{set: "id=-2", want: "feff"},
		{set: "id=40000", err: "not a s16"},
		{set: "on=true", want: "01"},
		{set: "on=2", err: "not a bool"},
		{set: "name=abc", want: "616263"},
		{set: "name=abcd", err: "4 bytes do not fit char name[4] with its NUL"},
		{set: "owner=1", err: "s_ops.owner (struct module *owner) is set by the kernel, not the loader: the kernel sets it to the module that owns the map (BPF_MODULE_OWNER); settable: id, on, name"},
		{set: "f=1", err: "f is a callback"},
	} {
		o, err := Parse("s.h", []byte(src), "")
		if err != nil {
			t.Fatal(err)
		}
		err = o.Set(c.set)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("--set %s: %v, want %q", c.set, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("--set %s: %v", c.set, err)
		case c.err == "":
			name, _, _ := strings.Cut(c.set, "=")
			if got := fmt.Sprintf("%x", o.Data[name]); got != c.want {
				t.Errorf("--set %s: %s, want %s", c.set, got, c.want)
			}
		}
	}
}
