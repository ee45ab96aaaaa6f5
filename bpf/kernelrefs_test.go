package bpf

import (
	"os"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
)

func vmlinuxSpec(t *testing.T) *btf.Spec {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("skipped: no kernel BTF: %v", err)
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("skipped: read the kernel's BTF: %v", err)
	}
	return spec
}

// TestResolveKernelRefs checks fields against the running kernel's BTF
// (offsets computed here from the BTF itself) and sets kfunc ids.
func TestResolveKernelRefs(t *testing.T) {
	spec := vmlinuxSpec(t)
	var st *btf.Struct
	if err := spec.TypeByName("bpf_dummy_ops_state", &st); err != nil {
		t.Skipf("skipped: no bpf_dummy_ops_state: %v", err)
	}
	m := st.Members[0]
	size, _ := btf.Sizeof(m.Type)
	good := sasm.Field{Struct: st.Name, Member: m.Name, Offset: int(m.Offset.Bytes()), Size: size}
	var fn *btf.Func
	if err := spec.TypeByName("tcp_reno_cong_avoid", &fn); err != nil {
		t.Skipf("skipped: no kfunc tcp_reno_cong_avoid: %v", err)
	}
	wantID, _ := spec.TypeID(fn)
	ops := &Ops{Name: "x_ops"}
	cs := func(insns ...asm.Instructions) *ebpf.CollectionSpec {
		return &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{"p": {Instructions: sasm.Seq(insns...)}}}
	}
	c := cs(good.Load(asm.R0, asm.R1), sasm.Kfunc("tcp_reno_cong_avoid"))
	if err := resolveKernelRefs(ops, c, spec, spec); err != nil {
		t.Fatal(err)
	}
	call := c.Programs["p"].Instructions[len(c.Programs["p"].Instructions)-1]
	if call.Constant != int64(wantID) || call.Offset != 0 {
		t.Errorf("kfunc call %v, want id %d", call, wantID)
	}

	for _, bad := range []struct {
		spec *ebpf.CollectionSpec
		want string
	}{
		{cs(sasm.Field{Struct: good.Struct, Member: good.Member, Offset: good.Offset + 4, Size: good.Size}.Load(asm.R0, asm.R1)),
			"the running kernel has it at offset"},
		{cs(sasm.Field{Struct: good.Struct, Member: good.Member, Offset: good.Offset, Size: 8}.Load(asm.R0, asm.R1)),
			"regenerate"},
		{cs(sasm.Field{Struct: good.Struct, Member: "no_such_member", Size: 4}.Load(asm.R0, asm.R1)), "has no member no_such_member"},
		{cs(sasm.Field{Struct: "no_such_struct_x", Member: "a", Size: 4}.Load(asm.R0, asm.R1)), "has no struct no_such_struct_x"},
		{cs(sasm.Kfunc("no_such_kfunc_x")), "kfunc no_such_kfunc_x"},
	} {
		err := resolveKernelRefs(ops, bad.spec, spec, spec)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("got %v, want an error saying %q", err, bad.want)
		}
	}
}

// TestOpsData: generated defaults fill the value, Options.Data overrides
// them member by member.
func TestOpsData(t *testing.T) {
	ops := &Ops{Name: "x_ops", Size: 24, Members: []Member{
		{Name: "cb", Offset: 0, Size: 8, Func: true},
		{Name: "name", Offset: 8, Size: 8},
		{Name: "flags", Offset: 16, Size: 4},
	}, Data: map[string][]byte{"name": []byte("gen"), "flags": {1}}}
	progs := map[string]asm.Instructions{"cb": {asm.Mov.Imm(asm.R0, 0), asm.Return()}}
	spec, err := Spec(ops, progs, &Options{Data: map[string][]byte{"name": []byte("opt")}})
	if err != nil {
		t.Fatal(err)
	}
	v := spec.Maps["x_ops"].Contents[0].Value.([]byte)
	if string(v[8:11]) != "opt" || v[16] != 1 {
		t.Errorf("value %q: want name from Options, flags from the defaults", v)
	}
	if ops.Data["name"] == nil || string(ops.Data["name"]) != "gen" {
		t.Errorf("the defaults were modified: %q", ops.Data)
	}
}
