package bpf

import (
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	sasm "github.com/structops/structops-gen/asm"
)

// TestKfuncSlots: a kfunc call gets its BTF ID, and for a module's kfunc
// the fd_array slot of that module's BTF (one per module, slot 0 unused:
// the kernel reads Offset 0 as vmlinux).
func TestKfuncSlots(t *testing.T) {
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"p1": {Instructions: sasm.Seq(sasm.Kfunc("in_mod_b"), sasm.Kfunc("in_vmlinux"), sasm.Kfunc("in_mod_c"))},
		"p2": {Instructions: sasm.Seq(sasm.Kfunc("in_mod_c2"), sasm.Kfunc("in_mod_b"))},
	}}
	lk := &kernelLookup{kfuncs: map[string]kfuncRef{
		"in_vmlinux": {id: 7},
		"in_mod_b":   {id: 100, module: "mod_b"},
		"in_mod_c":   {id: 200, module: "mod_c"},
		"in_mod_c2":  {id: 201, module: "mod_c"},
	}}
	slots, err := resolveRawRefs(&Ops{Name: "x_ops"}, spec, &kernelBTF{}, lk)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slots, []string{"", "mod_b", "mod_c"}) {
		t.Errorf("slots %q, want \"\", mod_b, mod_c", slots)
	}
	type call struct {
		id     int64
		offset int16
	}
	var got []call
	for _, p := range []string{"p1", "p2"} {
		for _, ins := range spec.Programs[p].Instructions {
			got = append(got, call{ins.Constant, ins.Offset})
		}
	}
	want := []call{{100, 1}, {7, 0}, {200, 2}, {201, 2}, {100, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}

	spec.Programs["p3"] = &ebpf.ProgramSpec{Instructions: sasm.Kfunc("nowhere")}
	_, err = resolveRawRefs(&Ops{Name: "x_ops", Module: "mod_b"}, spec, &kernelBTF{}, lk)
	if err == nil || !strings.Contains(err.Error(), "program p3 of x_ops: kfunc nowhere: not in module mod_b's BTF") {
		t.Errorf("a kfunc no BTF has: %v", err)
	}
}
