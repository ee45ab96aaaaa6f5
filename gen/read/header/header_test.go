package header

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/model"
)

var updateHeaderErrs = flag.Bool("update-header-errors", false, "rewrite gen/testdata/headers/errors/*.err from Parse's output")

// hdrDefaultSpec is the built-in default spec as a C header.
const hdrDefaultSpec = `struct bpf_testmod_ops {
	int (*test_1)(void);
	int (*test_2)(int a, int b);
	int (*test_3)(const char *buf, int len);
};
`

func TestParseHeaderDefaultSpec(t *testing.T) {
	got, err := Parse("spec.h", []byte(hdrDefaultSpec), "")
	if err != nil {
		t.Fatal(err)
	}
	i32 := model.Type{Kind: model.Int, Size: 4, Signed: true, C: "int"}
	want := &model.Ops{
		Name:   "bpf_testmod_ops",
		Size:   24,
		Source: "header spec.h",
		Pos:    model.Pos{File: "spec.h", Line: 1, Col: 8},
		Members: []model.Member{
			{Name: "test_1", Offset: 0, Size: 8, Pos: model.Pos{File: "spec.h", Line: 2, Col: 8},
				Func: &model.Func{Return: i32}},
			{Name: "test_2", Offset: 8, Size: 8, Pos: model.Pos{File: "spec.h", Line: 3, Col: 8},
				Func: &model.Func{Return: i32, Params: []model.Param{{Name: "a", Type: i32}, {Name: "b", Type: i32}}}},
			{Name: "test_3", Offset: 16, Size: 8, Pos: model.Pos{File: "spec.h", Line: 4, Col: 8},
				Func: &model.Func{Return: i32, Params: []model.Param{
					{Name: "buf", Type: model.Type{Kind: model.CharPtr, Size: 8, C: "const char *"}},
					{Name: "len", Type: i32},
				}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(default spec):\n got %s\nwant %s", hdrDumpOps(got), hdrDumpOps(want))
	}
	if d := want.Equal(got); d != "" {
		t.Errorf("Equal: %s", d)
	}
	if s := got.Members[2].Signature(); s != "int test_3(const char *buf, int len)" {
		t.Errorf("Signature = %q", s)
	}
	// Naming the struct explicitly gives the same model.
	named, err := Parse("spec.h", []byte(hdrDefaultSpec), "bpf_testmod_ops")
	if err != nil || !reflect.DeepEqual(named, want) {
		t.Errorf("Parse(..., %q) = %v, %v", "bpf_testmod_ops", hdrDumpOps(named), err)
	}
}

func hdrDumpOps(o *model.Ops) string {
	if o == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s size=%d src=%q pos=%v\n", o.Name, o.Size, o.Source, o.Pos)
	for _, m := range o.Members {
		fmt.Fprintf(&b, "  @%d/%d %v %s", m.Offset, m.Size, m.Pos, m.Name)
		if m.Func != nil {
			fmt.Fprintf(&b, " ret=%+v", m.Func.Return)
			for _, p := range m.Func.Params {
				fmt.Fprintf(&b, " [%s %+v nullable=%v]", p.Name, p.Type, p.Nullable)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func hdrParseFile(t testing.TB, name, ops string) *model.Ops {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "headers", name))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse(name, src, ops)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	if err := hdrCheckInvariants(o); err != nil {
		t.Fatalf("Parse(%s): %v\n%s", name, err, hdrDumpOps(o))
	}
	return o
}

// sig lists a model's callbacks as "ret name(type name, ...)" with each type's
// ABI description, for compact table tests.
func hdrSigs(o *model.Ops) []string {
	var out []string
	for _, m := range o.Members {
		var ps []string
		for _, p := range m.Func.Params {
			s := fmt.Sprintf("%s %s", p.Type.Describe(), p.Name)
			if p.Nullable {
				s += "?"
			}
			ps = append(ps, s)
		}
		out = append(out, fmt.Sprintf("@%d %s %s(%s)", m.Offset, m.Func.Return.Describe(), m.Name, strings.Join(ps, ", ")))
	}
	return out
}

func TestParseHeaderWidths(t *testing.T) {
	o := hdrParseFile(t, "widths.h", "")
	want := []string{
		"@0 void set_bool(bool on, bool raw)",
		"@8 bool is_ready(s32 id)",
		"@16 u8 get_char(u8 c, s8 sc, u8 uc)",
		"@24 s16 shorts(s16 s, u16 us)",
		"@32 u32 ints(s32 i, u32 ui, u32 u)",
		"@40 s64 longs(s64 l, u64 ul)",
		"@48 u64 long_longs(s64 ll, u64 ull)",
		"@56 s32 kernel_u(u8 a, u16 b, u32 c, u64 d)",
		"@64 s32 kernel_s(s8 e, s16 f, s32 g, s64 h)",
		"@72 u64 uapi_u(u8 a, u16 b, u32 c, u64 d)",
		"@80 u64 uapi_s(s8 e, s16 f, s32 g, s64 h)",
		"@88 u64 fixed_s(s8 a, s16 b, s32 c, s64 d)",
		"@96 u64 fixed_u(u8 e, u16 f, u32 g, u64 h)",
		"@104 void done()",
	}
	if got := hdrSigs(o); !reflect.DeepEqual(got, want) {
		t.Errorf("widths.h:\n got %q\nwant %q", got, want)
	}
	if o.Name != "widths_ops" || o.Size != 112 || len(o.Members) != 14 {
		t.Errorf("name/size/members = %s/%d/%d", o.Name, o.Size, len(o.Members))
	}
	// Spellings are kept: typedef names as written, keywords canonical.
	spell := func(member string, param int) string {
		f := o.Member(member).Func
		if param < 0 {
			return f.Return.C
		}
		return f.Params[param].Type.C
	}
	for _, c := range []struct {
		member string
		param  int
		want   string
	}{
		{"set_bool", 0, "bool"}, {"set_bool", 1, "_Bool"}, {"set_bool", -1, "void"},
		{"get_char", 0, "char"}, {"get_char", 1, "signed char"}, {"get_char", 2, "unsigned char"},
		{"ints", 2, "unsigned int"}, {"longs", 1, "unsigned long"},
		{"long_longs", -1, "unsigned long long"}, {"kernel_u", 2, "u32"}, {"kernel_u", -1, "s32"},
		{"uapi_u", 3, "__u64"}, {"uapi_s", 3, "__s64"}, {"fixed_s", 0, "int8_t"}, {"fixed_u", -1, "uint64_t"},
	} {
		if got := spell(c.member, c.param); got != c.want {
			t.Errorf("%s param %d: C = %q, want %q", c.member, c.param, got, c.want)
		}
	}
	if s := o.Member("set_bool").Signature(); s != "void set_bool(bool on, _Bool raw)" {
		t.Errorf("Signature = %q", s)
	}
}

func TestParseHeaderManyArgs(t *testing.T) {
	o := hdrParseFile(t, "manyargs.h", "")
	want := []string{
		"@0 u64 six(u64 a1, s64 a2, u32 a3, s32 a4, u16 a5, s8 a6)",
		"@8 s32 mixed(const char * name, struct sock * sk, u32 len, struct task_struct * task?, const char * comm)",
		"@16 struct sock * pick(struct sock * prev?, s32 cpu)",
		"@24 struct sock * describe(struct task_struct * task)",
	}
	if got := hdrSigs(o); !reflect.DeepEqual(got, want) {
		t.Errorf("manyargs.h:\n got %q\nwant %q", got, want)
	}
	mixed := o.Member("mixed").Func
	if p := mixed.Params[3]; p.Name != "task" || !p.Nullable || p.Type.Kind != model.StructPtr || p.Type.Struct != "task_struct" || p.Type.C != "struct task_struct *" {
		t.Errorf("nullable param = %+v", p)
	}
	if p := mixed.Params[4]; p.Type.Kind != model.CharPtr || p.Type.C != "const char *" || p.Type.Size != 8 {
		t.Errorf("char const * param = %+v", p)
	}
	pick := o.Member("pick").Func
	if pick.Return.C != "struct sock *" || pick.Params[0].Type.C != "const struct sock *" || pick.Params[0].Name != "prev" {
		t.Errorf("pick = %+v", pick)
	}
	if s := o.Member("pick").Signature(); s != "struct sock *pick(const struct sock *prev, int cpu)" {
		t.Errorf("Signature = %q", s)
	}
	if m := o.Member("six"); m.Pos != (model.Pos{File: "manyargs.h", Line: 7, Col: 8}) {
		t.Errorf("six pos = %v", m.Pos)
	}
}

func TestParseHeaderKernelNames(t *testing.T) {
	o := hdrParseFile(t, "kernel_names.h", "")
	want := []string{
		"@0 s32 rx(struct sk_buff * skb, struct net_device * dev, u32 queue)",
		"@8 s64 tx_done(struct sk_buff * skb, u64 cookie)",
		"@16 u32 hash(const char * key, u16 key_len, u32 seed)",
		"@24 void stats(struct kn_stats * stats)",
	}
	if got := hdrSigs(o); !reflect.DeepEqual(got, want) {
		t.Errorf("kernel_names.h:\n got %q\nwant %q", got, want)
	}
	if o.Name != "kn_ops" || o.Size != 32 || o.BaseName() != "kn" || o.Source != "header kernel_names.h" {
		t.Errorf("ops = %s", hdrDumpOps(o))
	}
	if got := o.Member("tx_done").Func.Return.C; got != "__s64" {
		t.Errorf("tx_done returns %q", got)
	}
	if got := o.Member("rx").Func.Params[2].Type.C; got != "__u32" {
		t.Errorf("rx queue is %q", got)
	}
	// The data struct may be chosen: its members are data, and the model's
	// checks refuse a struct without callbacks.
	st, err := Parse("kernel_names.h", hdrRead(t, "kernel_names.h"), "kn_stats")
	if err == nil {
		err = model.Validate(st)
	}
	const wantErr = "kernel_names.h:15:8: struct kn_stats has no function-pointer members: nothing for BPF to implement"
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("--ops kn_stats: %v\nwant %s", err, wantErr)
	}
}

func hdrRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "headers", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHeaderChoose(t *testing.T) {
	const src = `struct a_ops { int (*run)(int a); };
struct data { int x; };
struct b_ops { int (*run)(int a); long (*stop)(void); };
`
	_, err := Parse("spec.h", []byte(src), "")
	if err == nil || err.Error() != "spec.h declares 2 ops structs (a_ops, b_ops): choose one by name" || !errors.Is(err, model.ErrNoOps) {
		t.Errorf("no --ops: %v", err)
	}
	o, err := Parse("spec.h", []byte(src), "b_ops")
	if err != nil || o.Name != "b_ops" || len(o.Members) != 2 || o.Size != 16 {
		t.Errorf("--ops b_ops: %v %v", hdrDumpOps(o), err)
	}
	_, err = Parse("spec.h", []byte(src), "c_ops")
	if err == nil || err.Error() != "spec.h: no struct c_ops is defined in the header (it defines a_ops, data, b_ops): choose one of them by name" {
		t.Errorf("--ops c_ops: %v", err)
	}
	// One ops struct among data structs is chosen without --ops.
	o, err = Parse("spec.h", []byte("struct d { int x; };\ntypedef struct only_ops { int (*run)(int a); } only_ops_t;\n"), "")
	if err != nil || o.Name != "only_ops" {
		t.Errorf("one ops struct: %v %v", hdrDumpOps(o), err)
	}
	_, err = Parse("spec.h", []byte("struct d { int x; };\nstruct e { char c; };\n"), "")
	if err == nil || err.Error() != "spec.h: none of the 2 structs (d, e) has only function pointer members: choose the ops struct by name" {
		t.Errorf("no ops struct: %v", err)
	}
	// A forward declaration does not define a struct.
	_, err = Parse("spec.h", []byte("struct x_ops;\nstruct y_ops { int (*run)(int a); };\n"), "x_ops")
	if err == nil || !strings.Contains(err.Error(), "no struct x_ops is defined") {
		t.Errorf("forward-declared --ops: %v", err)
	}
}

func TestParseHeaderDetails(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		// A user typedef of an integer is kept (the module defines it); one
		// of a kernel struct is spelled by the struct's tag.
		{"typedef", "typedef unsigned int myid_t;\ntypedef struct sock sock_t;\nstruct t_ops { myid_t (*get)(sock_t *sk); };",
			"myid_t get(struct sock *sk)"},
		// Callbacks may be declared through a typedef'd function pointer.
		{"fnptr typedef", "typedef int (*cb_t)(u32 a, u64 b);\nstruct t_ops { cb_t run; };", "int run(u32 a, u64 b)"},
		{"macro", "#define CB(name) int (*name)(int a)\nstruct t_ops { CB(run); };", "int run(int a)"},
		{"system include", "#include <linux/types.h>\n#include <stdbool.h>\nstruct t_ops { bool (*ok)(__u32 a); };", "bool ok(__u32 a)"},
		{"crlf and bom", "\xef\xbb\xbfstruct t_ops {\r\n\tint (*run)(int a);\r\n};\r\n", "int run(int a)"},
		{"const scalar", "struct t_ops { int (*run)(const int a, volatile u32 b); };", "int run(int a, u32 b)"},
		{"const pointer", "struct t_ops { int (*run)(const char *const s); };", "int run(const char *s)"},
		{"gnu attribute", "struct t_ops { int (*run)(int a) __attribute__((unused)); };", "int run(int a)"},
	} {
		o, err := Parse("spec.h", []byte(c.src), "")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err := hdrCheckInvariants(o); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if got := o.Members[0].Signature(); got != c.want {
			t.Errorf("%s: signature %q, want %q", c.name, got, c.want)
		}
	}
}

// parseValid is what the pipeline does with a header: Parse, then
// model.Validate (the limits every spec shares, with positions).
func parseValid(name string, src []byte, ops string) (*model.Ops, error) {
	o, err := Parse(name, src, ops)
	if err != nil {
		return nil, err
	}
	if err := model.Validate(o); err != nil {
		return nil, err
	}
	return o, nil
}

// TestParseHeaderErrors runs every gen/testdata/headers/errors/<case>.h and
// compares the error with <case>.err exactly.
func TestParseHeaderErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "headers", "errors", "*.h"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("only %d error cases", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".h"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			o, err := parseValid(name, src, "")
			if err == nil {
				t.Fatalf("no error; model:\n%s", hdrDumpOps(o))
			}
			if o != nil {
				t.Errorf("model and error both returned")
			}
			var he *model.Error
			if !errors.As(err, &he) {
				t.Errorf("%T is not a *model.Error", err)
			}
			got := err.Error()
			for _, line := range strings.Split(got, "\n") {
				// every problem a line, at its place (several are reported at once)
				if !strings.HasPrefix(line, name) {
					t.Errorf("error line %q does not name %s", line, name)
				}
			}
			errFile := strings.TrimSuffix(f, ".h") + ".err"
			if *updateHeaderErrs {
				if err := os.WriteFile(errFile, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatal(err)
			}
			if got != strings.TrimSuffix(string(want), "\n") {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if !strings.HasPrefix(got, name) {
				t.Errorf("error does not name the input: %s", got)
			}
		})
	}
}

func TestParseHeaderErrorCategories(t *testing.T) {
	for _, c := range []struct {
		file string
		cat  error
	}{
		{"empty.h", model.ErrNotCHeader}, {"binary.h", model.ErrNotCHeader}, {"latin1.h", model.ErrNotCHeader},
		{"syntax.h", model.ErrSyntax}, {"variadic.h", model.ErrUnsupported}, {"thirteen_args.h", model.ErrLimit},
		{"members_65.h", model.ErrLimit}, {"go_name_clash.h", model.ErrName}, {"several_ops.h", model.ErrNoOps},
	} {
		_, err := parseValid(c.file, hdrRead(t, filepath.Join("errors", c.file)), "")
		if !errors.Is(err, c.cat) {
			t.Errorf("%s: %v is not %v", c.file, err, c.cat)
		}
	}
}

func TestParseHeader64Members(t *testing.T) {
	o, err := Parse("big.h", []byte(hdrBigOps(64)), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := hdrCheckInvariants(o); err != nil {
		t.Fatal(err)
	}
	if len(o.Members) != 64 || o.Size != 512 || o.Members[63].Offset != 504 || o.Members[63].Name != "m63" {
		t.Errorf("64 members: %d members, size %d", len(o.Members), o.Size)
	}
}

func hdrBigOps(n int) string {
	var b strings.Builder
	b.WriteString("struct big_ops {\n")
	for i := range n {
		fmt.Fprintf(&b, "\tu64 (*m%d)(u32 a, const char *name, struct sock *sk__nullable);\n", i)
	}
	b.WriteString("};\n")
	return b.String()
}

func BenchmarkParseHeader(b *testing.B) {
	for _, c := range []struct {
		name string
		src  []byte
	}{
		{"default", []byte(hdrDefaultSpec)},
		{"64members", []byte(hdrBigOps(64))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("spec.h", c.src, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
