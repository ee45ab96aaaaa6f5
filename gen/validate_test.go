package gen

import (
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/emit/golang"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/internal/goast"
)

// TestValidateGoNames: the identifiers the generated package declares are
// checked across ops.go and callbacks.go, for headers and kernel types.
func TestValidateGoNames(t *testing.T) {
	cb := func(name string, off int) model.Member {
		return model.Member{Name: name, Offset: off, Size: 8, Func: &model.Func{Return: cInt, Params: []model.Param{{Name: "a", Type: cInt}}}}
	}
	ops := func(kernel bool, implemented []string, names ...string) *model.Ops {
		o := &model.Ops{Name: "t_ops", Kernel: kernel, Implemented: implemented}
		for i, n := range names {
			o.Members = append(o.Members, cb(n, 8*i))
		}
		o.Size = 8 * len(names)
		return o
	}
	for _, c := range []struct {
		o    *model.Ops
		want string // "" for valid
	}{
		{ops(false, nil, "run", "stop"), ""},
		{ops(false, nil, "load"), "member load: the generated Go would declare Load twice (func Load in ops.go; func Load in callbacks.go, the program of member load), and the package would not compile: rename the member"},
		{ops(false, nil, "programs"), "declare Programs twice"},
		{ops(false, nil, "ops"), "declare Ops twice"},
		{ops(false, nil, "x", "x_sig"), "member x_sig: the generated Go would declare XSig twice (var XSig in ops.go, the signature of member x; func XSig in callbacks.go, the program of member x_sig), and the package would not compile: rename one of the members"},
		{ops(false, nil, "x_sig", "x"), "member x_sig: the generated Go would declare XSig twice (var XSig in ops.go, the signature of member x; func XSig in callbacks.go, the program of member x_sig)"},
		// a kernel type's member only gets a function when it is implemented
		{ops(true, []string{"run"}, "run", "load"), ""},
		{ops(true, []string{"run", "load"}, "run", "load"), "leave member load out of the callbacks to implement"},
		{ops(true, []string{"x"}, "x", "x_sig"), ""},
		{ops(true, []string{"x_sig"}, "x", "x_sig"), "declare XSig twice"},
		{ops(false, nil, "min"), ""}, // called as (ops->min)(...)
		{ops(false, nil, "current"), `member name "current" is a macro of the kernel headers`},
		{ops(true, []string{"min"}, "min"), ""}, // no module: the kernel's own names are fine
	} {
		err := model.Validate(c.o)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v, want valid", names(c.o), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: %v, want %q", names(c.o), err, c.want)
		}
	}
	// a kernel field descriptor meets a callback's program
	o := ops(true, []string{"tcp_sock_snd_cwnd"}, "tcp_sock_snd_cwnd")
	o.Fields = []model.Field{{Path: "tcp_sock.snd_cwnd", Struct: "tcp_sock", Member: "snd_cwnd", Size: 4}}
	if err := model.Validate(o); err == nil || !strings.Contains(err.Error(), "declare TcpSockSndCwnd twice (var TcpSockSndCwnd in ops.go, the descriptor of field tcp_sock.snd_cwnd; func TcpSockSndCwnd in callbacks.go") {
		t.Errorf("field clash: %v", err)
	}
	// package names
	for name, want := range map[string]string{"go": "is a Go keyword", "fun_c": "is a Go keyword", "main": "package main", "module": "module/", "bpf": "", "os": ""} {
		o := ops(false, nil, "run")
		o.Name = name
		err := model.Validate(o)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("struct %s: %v, want %q", name, err, want)
		}
	}
}

func names(o *model.Ops) []string {
	var out []string
	for _, m := range o.Members {
		out = append(out, m.Name)
	}
	return out
}

// TestGoDeclsMatchRendered: the names Validate checks for clashes are the
// top-level names the rendered ops.go and callbacks.go declare, for every
// golden spec and for a kernel type with field descriptors and callbacks
// left out.
func TestGoDeclsMatchRendered(t *testing.T) {
	var models []*model.Ops
	for _, c := range goldenCases(t) {
		o, err := Load(c.spec())
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, o)
	}
	sockPtr := model.Type{Kind: model.StructPtr, Size: 8, C: "struct sock *", Struct: "sock"}
	models = append(models, &model.Ops{Name: "t_ops", Size: 24, Kernel: true, Implemented: []string{"run", "stop"},
		Members: []model.Member{
			{Name: "run", Size: 8, Func: &model.Func{Return: cInt, Params: []model.Param{{Name: "sk", Type: sockPtr}}}},
			{Name: "stop", Offset: 8, Size: 8, Func: &model.Func{Return: cInt}},
			{Name: "idle", Offset: 16, Size: 8, Func: &model.Func{Return: cInt}},
		},
		Fields: []model.Field{{Path: "sock.sk_mark", Struct: "sock", Member: "sk_mark", Offset: 8, Size: 4}}})
	for _, o := range models {
		fs, err := Render(o, Options{GoImport: fuzzGoImport})
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		var got []string
		for _, f := range fs {
			if f.Path == model.GoPackage(o.Name)+"/ops.go" || f.Path == golang.CallbacksFile(o) {
				af, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, 0)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, goast.TopLevel(af)...)
			}
		}
		var want []string
		for _, d := range o.GoDecls() {
			want = append(want, d.Name)
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: the rendered package declares %v, GoDecls lists %v", o.Name, got, want)
		}
	}
}
