package header

import (
	"fmt"
	"testing"

	"github.com/structops/structops-gen/gen/model"
)

// TestParseHeaderKernelC: the C real headers use goes in as written: the
// prelude's kernel typedefs and macros, enums as GCC's integer types,
// unnamed parameters, opaque pointers.
func TestParseHeaderKernelC(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"kernel typedefs", "#include <linux/types.h>\nstruct t_ops { ssize_t (*run)(size_t a, loff_t b, pid_t c, uid_t d, gfp_t e, umode_t f); };",
			"ssize_t run(size_t a, loff_t b, pid_t c, uid_t d, gfp_t e, umode_t f)"},
		// not in <linux/types.h> of every kernel: spelled by the type
		{"ktime", "struct t_ops { ktime_t (*run)(time64_t a); };", "long long run(long long a)"},
		{"unnamed", "struct t_ops { void (*run)(int, int); };", "void run(int arg0, int arg1)"},
		{"unnamed clash", "struct t_ops { void (*run)(int arg1, int, int arg_2); };", "void run(int arg1, int arg1_unnamed, int arg_2)"},
		{"void ptr", "struct t_ops { int (*run)(void *, const void *p); };", "int run(void *arg0, const void *p)"},
		{"scalar ptr", "struct t_ops { int (*run)(u64 *out, __u8 *buf, char *s, const size_t *n); };",
			"int run(u64 *out, __u8 *buf, char *s, const size_t *n)"},
		{"BIT and _BITUL", "struct t_ops { int (*run)(int a); int (*two)(int b); };\nenum { N = BIT(3) + _BITUL(2) + BIT_ULL(0) + PAGE_SIZE + offsetof(struct t_ops, two) };\n" +
			"_Static_assert(N == 4117, \"N\");", "int run(int a)"},
		{"typedef'd anonymous struct", "typedef struct { u32 a; } info_t;\nstruct t_ops { int (*run)(const info_t *i); };",
			"int run(const info_t *i)"},
		{"include list", "#include <linux/list.h>\nstruct t_ops { int (*run)(struct list_head *h); };", "int run(struct list_head *h)"},
	} {
		o, err := parseValid("spec.h", []byte(c.src), "")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := o.Members[0].Signature(); got != c.want {
			t.Errorf("%s: signature %q, want %q", c.name, got, c.want)
		}
	}
	o, err := Parse("spec.h", []byte("typedef struct { u32 a; } info_t;\nstruct t_ops { int (*run)(info_t *i); };"), "")
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Members[0].Func.Params[0].Type; p.Kind != model.StructPtr || p.Struct != "info_t" || p.C != "info_t *" {
		t.Errorf("pointer to a typedef'd anonymous struct: %+v", p)
	}
	for _, p := range []string{"void *", "u64 *", "char *"} {
		o, err := Parse("spec.h", []byte("struct t_ops { int (*run)("+p+"x); };"), "")
		if err != nil {
			t.Fatal(err)
		}
		if k := o.Members[0].Func.Params[0].Type.Kind; k != model.Ptr {
			t.Errorf("%s: kind %v, want %v", p, k, model.Ptr)
		}
	}
}

// TestParseHeaderEnums: an enum is an integer of the type GCC gives it,
// which is not always cc/v4's, and keeps its name.
func TestParseHeaderEnums(t *testing.T) {
	for _, c := range []struct {
		body   string
		size   int
		signed bool
	}{
		{"A, B", 4, false},
		{"A = 0, B = 64", 4, false}, // cc/v4 alone: int
		{"A = -1, B", 4, true},
		{"A = 0xffffffff", 4, false},
		{"A = -1, B = 0xffffffff", 8, true},
		{"A = 1LLU << 56", 8, false}, // BTF_KIND_ENUM64
		{"A = -(1LL << 40)", 8, true},
		{"A = 30 * HZ", 4, false},
	} {
		src := fmt.Sprintf("enum e { %s };\nstruct t_ops { int (*run)(enum e v); };", c.body)
		o, err := parseValid("spec.h", []byte(src), "")
		if err != nil {
			t.Errorf("enum { %s }: %v", c.body, err)
			continue
		}
		p := o.Members[0].Func.Params[0].Type
		if p.Kind != model.Int || p.Size != c.size || p.Signed != c.signed || p.Enum != "e" {
			t.Errorf("enum { %s }: %+v, want %d bytes, signed %v, enum e", c.body, p, c.size, c.signed)
		}
	}
	o, err := Parse("spec.h", []byte("typedef enum { X, Y } kind_t;\nstruct t_ops { int (*run)(kind_t k); };"), "")
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Members[0].Func.Params[0].Type; p.Enum != "kind_t" || p.Size != 4 || p.Signed {
		t.Errorf("typedef'd anonymous enum: %+v", p)
	}
}

// TestParseHeaderHZ: a spec that uses HZ is read with HZ = 250 and its
// model says so (the module checks it at build time); one that does not
// use it is not tied to a value.
func TestParseHeaderHZ(t *testing.T) {
	o, err := Parse("spec.h", []byte("enum { T = 30 * HZ };\nstruct t_ops { int (*run)(int a[T]); };"), "")
	if err != nil {
		t.Fatal(err)
	}
	if o.HZ != hdrHZ {
		t.Errorf("HZ = %d, want %d", o.HZ, hdrHZ)
	}
	if want := fmt.Sprintf("#define HZ %d\n", hdrHZ); !contains(hdrPrelude, want) {
		t.Errorf("the prelude does not say %q", want)
	}
	o, err = Parse("spec.h", []byte("/* HZ is not used */\nstruct t_ops { int (*run)(int a); };"), "")
	if err != nil {
		t.Fatal(err)
	}
	if o.HZ != 0 {
		t.Errorf("HZ = %d for a spec that does not use it", o.HZ)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestParseHeaderConstCharField: a const char * field of a context struct
// is a kernel string, as the module's BTF reads back (cc/v4 drops the
// const of a member's specifiers).
func TestParseHeaderConstCharField(t *testing.T) {
	src := "struct info { const char *reason; char *msg; };\nstruct t_ops { void (*exit)(struct info *i); };"
	o, err := Parse("spec.h", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	d := o.TypeDef("struct info")
	if d == nil || len(d.Fields) != 2 {
		t.Fatalf("struct info: %+v", d)
	}
	if f := d.Fields[0].Type; f.Kind != model.CharPtr || f.C != "const char *" {
		t.Errorf("reason: %v %q, want const char *", f.Kind, f.C)
	}
	if f := d.Fields[1].Type; f.Kind != model.Ptr || f.C != "char *" {
		t.Errorf("msg: %v %q, want an opaque char *", f.Kind, f.C)
	}
}

// TestParseHeaderConfigNotes: the CONFIG_ options a spec tests are named
// in a note, since none is set and what they guard is left out.
func TestParseHeaderConfigNotes(t *testing.T) {
	src := "struct args {\n\tint a;\n#ifdef CONFIG_CGROUPS\n\tstruct cgroup *cgroup;\n#endif\n};\n" +
		"#if defined(CONFIG_X) && IS_ENABLED(CONFIG_Y) /* CONFIG_COMMENT */\n#endif\n" +
		"/* #ifdef CONFIG_IN_COMMENT */\nstruct t_ops { int (*run)(struct args *a); };"
	o, err := Parse("spec.h", []byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	want := "spec.h tests CONFIG_CGROUPS, CONFIG_X, CONFIG_Y, which the reader leaves unset: " +
		"what those conditionals guard is read as for a kernel without them"
	if len(o.Notes) != 1 || o.Notes[0] != want {
		t.Errorf("notes %q, want [%q]", o.Notes, want)
	}
	if o, _ := Parse("spec.h", []byte("struct t_ops { int (*run)(int a); };"), ""); len(o.Notes) != 0 {
		t.Errorf("notes %q for a spec without conditionals", o.Notes)
	}
}
