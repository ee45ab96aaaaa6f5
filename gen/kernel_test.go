package gen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/gen/model"
)

// A synthetic tcp_congestion_ops in BTF (no host kernel needed): the
// callbacks the rules table names, data members the kernel copies (name,
// flags) and owns (owner, key), the CFI stub that names ssthresh's
// argument, a nullable stub, and struct tcp_sock with an anonymous union
// and a bitfield for the field resolver.
func kernelBTF(t *testing.T) string {
	t.Helper()
	u32 := &btf.Typedef{Name: "u32", Type: &btf.Int{Name: "unsigned int", Size: 4}}
	s16 := &btf.Int{Name: "short", Size: 2, Encoding: btf.Signed}
	char := &btf.Int{Name: "char", Size: 1, Encoding: btf.Char}
	sock := &btf.Struct{Name: "sock", Size: 8, Members: []btf.Member{{Name: "x", Type: u32}}}
	sockPtr := &btf.Pointer{Target: sock}
	proto := func(ret btf.Type, params ...btf.FuncParam) *btf.FuncProto {
		return &btf.FuncProto{Return: ret, Params: params}
	}
	fptr := func(fp *btf.FuncProto) btf.Type { return &btf.Pointer{Target: fp} }
	noname := func(ts ...btf.Type) []btf.FuncParam {
		var ps []btf.FuncParam
		for _, t := range ts {
			ps = append(ps, btf.FuncParam{Type: t})
		}
		return ps
	}
	void := &btf.Void{}
	ops := &btf.Struct{Name: "tcp_congestion_ops", Size: 88, Members: []btf.Member{
		{Name: "ssthresh", Type: fptr(proto(u32, noname(sockPtr)...)), Offset: 0},
		{Name: "cong_avoid", Type: fptr(proto(void, noname(sockPtr, u32, u32)...)), Offset: 64},
		{Name: "cong_control", Type: fptr(proto(void, noname(sockPtr, u32)...)), Offset: 128},
		{Name: "undo_cwnd", Type: fptr(proto(u32, noname(sockPtr)...)), Offset: 192},
		{Name: "get_info", Type: fptr(proto(u32, noname(sockPtr, &btf.Pointer{Target: btfInt})...)), Offset: 256},
		{Name: "name", Type: &btf.Array{Index: btfInt, Type: char, Nelems: 16}, Offset: 320},
		{Name: "owner", Type: &btf.Pointer{Target: &btf.Struct{Name: "module"}}, Offset: 448},
		{Name: "key", Type: u32, Offset: 512},
		{Name: "flags", Type: u32, Offset: 544},
		{Name: "nullme", Type: fptr(proto(u32, noname(sockPtr)...)), Offset: 576},
	}}
	value := &btf.Struct{Name: "bpf_struct_ops_tcp_congestion_ops", Size: 88, Members: []btf.Member{{Name: "data", Type: ops}}}
	stub := &btf.Func{Name: "bpf_tcp_ca_ssthresh", Type: proto(u32, btf.FuncParam{Name: "sk", Type: sockPtr}), Linkage: btf.StaticFunc}
	// a function with the right suffix but another prototype is not the stub
	decoy := &btf.Func{Name: "bpf_x_undo_cwnd", Type: proto(u32, btf.FuncParam{Name: "wrong", Type: u32}), Linkage: btf.StaticFunc}
	nullStub := &btf.Func{Name: "tcp_congestion_ops__nullme", Type: proto(u32, btf.FuncParam{Name: "sk__nullable", Type: sockPtr}), Linkage: btf.StaticFunc}
	inner := &btf.Union{Name: "", Size: 4, Members: []btf.Member{{Name: "snd_cwnd", Type: u32}, {Name: "alias", Type: u32}}}
	tcpSock := &btf.Struct{Name: "tcp_sock", Size: 32, Members: []btf.Member{
		{Name: "sk", Type: sock, Offset: 0},
		{Name: "", Type: inner, Offset: 64},
		{Name: "delta", Type: s16, Offset: 96},
		{Name: "bits", Type: u32, Offset: 128, BitfieldSize: 3},
		{Name: "nested", Type: &btf.Struct{Name: "inner_s", Size: 8, Members: []btf.Member{{Name: "deep", Type: u32, Offset: 32}}}, Offset: 192},
	}}
	raw := btfMarshal(t, []btf.Type{value, stub, decoy, nullStub, tcpSock})
	path := filepath.Join(t.TempDir(), "vmlinux.btf")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadKernel(t *testing.T, s Spec) (*model.Ops, error) {
	t.Helper()
	s.BTF, s.Ops = kernelBTF(t), "tcp_congestion_ops"
	o, err := Load(s)
	if err != nil {
		return nil, err
	}
	return o, model.Validate(o)
}

func TestKernelStubNames(t *testing.T) {
	o, err := loadKernel(t, Spec{Set: []string{"name=x"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Member("ssthresh").Func.Params[0]; p.Name != "sk" || p.Nullable {
		t.Errorf("ssthresh param = %+v, want sk from the stub bpf_tcp_ca_ssthresh, not nullable", p)
	}
	if p := o.Member("undo_cwnd").Func.Params[0]; p.Name != "arg0" {
		t.Errorf("undo_cwnd param = %q, want arg0 (the only *_undo_cwnd function has another prototype)", p.Name)
	}
	if p := o.Member("nullme").Func.Params[0]; p.Name != "sk" || !p.Nullable {
		t.Errorf("nullme param = %+v, want sk, nullable", p)
	}
}

func TestKernelDefaults(t *testing.T) {
	o, err := loadKernel(t, Spec{Set: []string{"name=gocc.v2", "flags=0x3"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ssthresh", "undo_cwnd", "cong_avoid"}; !slices.Equal(o.Implemented, want) {
		t.Errorf("implemented %v, want the required %v", o.Implemented, want)
	}
	if !bytes.Equal(o.Data["name"], []byte("gocc.v2")) || !bytes.Equal(o.Data["flags"], []byte{3, 0, 0, 0}) {
		t.Errorf("data %q", o.Data)
	}
	files, err := Render(o, Options{GoImport: "example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path != "tcpcongestionops/ops.go" {
			continue
		}
		src := string(f.Data)
		for _, cb := range []string{"ssthresh", "undo_cwnd", "cong_avoid"} {
			if !strings.Contains(src, `"`+cb+`": `) {
				t.Errorf("Programs lacks %s", cb)
			}
		}
		for _, cb := range []string{"cong_control", "get_info", "nullme"} {
			if strings.Contains(src, `"`+cb+`": `) {
				t.Errorf("Programs has %s, which was not asked for", cb)
			}
		}
		if !strings.Contains(src, `"name":  []byte("gocc.v2")`) {
			t.Errorf("ops.go does not carry the name:\n%s", src)
		}
	}
}

// TestKernelErrors: what the kernel would refuse at load is refused at
// generation, naming the member and the fix.
func TestKernelErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want []string
	}{
		{Spec{}, []string{"requires name", "set name=VALUE"}},
		{Spec{Set: []string{"name=x"}, Members: []string{"ssthresh", "cong_avoid"}}, []string{"requires callback undo_cwnd"}},
		{Spec{Set: []string{"name=x"}, Members: []string{"ssthresh"}}, []string{"requires callback undo_cwnd", "requires callback one of cong_avoid, cong_control"}},
		{Spec{Set: []string{"name=x"}, Members: []string{"ssthresh", "undo_cwnd", "cong_control", "get_info"}}, []string{"get_info", "refuses"}},
		{Spec{Set: []string{"name=x"}, Members: []string{"nosuch"}}, []string{"no callback nosuch"}},
		{Spec{Set: []string{"name=x"}, Members: []string{"flags"}}, []string{"is a data member", "(flags=VALUE)"}},
		{Spec{Set: []string{"name=" + strings.Repeat("a", 16)}}, []string{"16 bytes do not fit char name[16]", "at most 15 characters"}},
		{Spec{Set: []string{"name="}}, []string{"must not be empty"}},
		{Spec{Set: []string{"name=a b"}}, []string{`character ' ' is not allowed`}},
		{Spec{Set: []string{"nosuch=1"}}, []string{"has no member nosuch", "settable: name, flags"}},
		{Spec{Set: []string{"owner=1"}}, []string{"owned by the kernel", "settable: flags, name"}},
		{Spec{Set: []string{"key=1"}}, []string{"owned by the kernel"}},
		{Spec{Set: []string{"ssthresh=1"}}, []string{"is a callback"}},
		{Spec{Set: []string{"flags=0x20"}}, []string{"bits 0x20 are not allowed (allowed: 0x1f: TCP_CONG_NON_RESTRICTED 0x1, TCP_CONG_NEEDS_ECN 0x2, TCP_CONG_NEEDS_ACCECN 0x4 (6.18+)"}},
		{Spec{Set: []string{"flags=0x100000000"}}, []string{"not a u32 (0 to 4294967295)", "out of range"}},
		{Spec{Set: []string{"flags=-1"}}, []string{"not a u32"}},
		{Spec{Set: []string{"flags"}}, []string{"want member=value"}},
		{Spec{Set: []string{"name=x"}, Fields: []string{"tcp_sock.nosuch"}}, []string{"field tcp_sock.nosuch", "no member nosuch"}},
		{Spec{Set: []string{"name=x"}, Fields: []string{"tcp_sock.bits"}}, []string{"bitfield"}},
		{Spec{Set: []string{"name=x"}, Fields: []string{"tcp_sock.sk"}}, []string{"not an integer"}},
		{Spec{Set: []string{"name=x"}, Fields: []string{"nostruct.x"}}, []string{"no struct nostruct"}},
	} {
		_, err := loadKernel(t, c.spec)
		if err == nil {
			t.Errorf("%+v: no error, want %q", c.spec, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v\nwant it to say %q", c.spec, err, w)
			}
		}
	}
	// every TCP_CONG_* bit any kernel has is accepted at generation time
	// (6.18 added the AccECN ones; an older kernel refuses them at load)
	if o, err := loadKernel(t, Spec{Set: []string{"name=x", "flags=0x1f"}}); err != nil || !bytes.Equal(o.Data["flags"], []byte{0x1f, 0, 0, 0}) {
		t.Errorf("flags=0x1f: %v", err)
	}
	// a name of exactly 15 characters fits with its NUL
	if _, err := loadKernel(t, Spec{Set: []string{"name=" + strings.Repeat("a", 15)}}); err != nil {
		t.Errorf("15-character name: %v", err)
	}
	if _, err := Load(Spec{Set: []string{"name=x"}}); err == nil || !strings.Contains(err.Error(), "for existing kernel types") {
		t.Errorf("--set with the built-in spec: %v", err)
	}
}

func TestResolveFields(t *testing.T) {
	o, err := loadKernel(t, Spec{Set: []string{"name=x"}, Fields: []string{"tcp_sock.alias", "tcp_sock.delta", "tcp_sock.nested.deep"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]model.Field{}
	for _, f := range o.Fields {
		got[f.Path] = f
	}
	for _, w := range []model.Field{
		{Path: "tcp_sock.alias", Struct: "tcp_sock", Member: "alias", Offset: 8, Size: 4},                // in the anonymous union at 8
		{Path: "tcp_sock.delta", Struct: "tcp_sock", Member: "delta", Offset: 12, Size: 2, Signed: true}, // signed short
		{Path: "tcp_sock.nested.deep", Struct: "tcp_sock", Member: "nested.deep", Offset: 24 + 4, Size: 4},
	} {
		if g := got[w.Path]; g != w {
			t.Errorf("%s = %+v, want %+v", w.Path, g, w)
		}
	}
	// the rules' fields: tcp_sock.snd_cwnd is in the anonymous union, writable
	if g := got["tcp_sock.snd_cwnd"]; g.Offset != 8 || !g.Writable || g.Err != "" {
		t.Errorf("tcp_sock.snd_cwnd = %+v, want offset 8, writable", g)
	}
	if g := got["tcp_sock.snd_cwnd"].GoName(); g != "TcpSockSndCwnd" {
		t.Errorf("model.GoName %s", g)
	}
}

// TestKernelErrorKinds: the errors of data member assignments, callback
// selections and instances carry their kind and the input as given, so a
// command line names its flag without reading the message.
func TestKernelErrorKinds(t *testing.T) {
	path := kernelBTF(t)
	for _, c := range []struct {
		spec  Spec
		kind  error
		input string
	}{
		{Spec{Set: []string{"noequals"}}, model.ErrSet, `"noequals"`},
		{Spec{Set: []string{"nosuch=1"}}, model.ErrSet, "nosuch"},
		{Spec{Set: []string{"name=a b"}}, model.ErrSet, "name=a b"},
		{Spec{Set: []string{"name=x"}, Members: []string{"nosuch"}}, model.ErrMembers, "nosuch"},
		{Spec{Set: []string{"name=x"}, Members: []string{"ssthresh", "ssthresh"}}, model.ErrMembers, "ssthresh"},
		{Spec{Set: []string{"name=x"}, Instances: 2}, model.ErrInstances, "2"},
	} {
		c.spec.BTF, c.spec.Ops = path, "tcp_congestion_ops"
		_, err := Load(c.spec)
		var e *model.Error
		if !errors.As(err, &e) || !errors.Is(err, c.kind) || e.Input != c.input {
			t.Errorf("%+v: %v (input %q), want kind %v and input %q", c.spec, err, inputOf(e), c.kind, c.input)
		}
		if err != nil && strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: %v names a flag", c.spec, err)
		}
	}
	if _, err := Load(Spec{Instances: model.MaxInstances + 1}); !errors.Is(err, model.ErrInstances) {
		t.Errorf("%d instances: %v", model.MaxInstances+1, err)
	}
}

func inputOf(e *model.Error) string {
	if e == nil {
		return ""
	}
	return e.Input
}

// Split BTF read on a base it was not built on is ErrBTFBase, so that the
// command line can name --btf-base.
func TestListWrongBase(t *testing.T) {
	_, err := List("testdata/btf/mod_ops.btf", "testdata/btf/ops.btf")
	if !errors.Is(err, ErrBTFBase) {
		t.Fatalf("List on a wrong base: %v, want ErrBTFBase", err)
	}
	if _, err := List("testdata/btf/mod_ops.btf", "testdata/btf/base.btf"); err != nil {
		t.Fatalf("List on its base: %v", err)
	}
}
