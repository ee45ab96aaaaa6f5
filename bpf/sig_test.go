package bpf

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
)

// TestCheckSig compares callback signatures with the host kernel's
// tcp_congestion_ops: the right one passes, another return type, width,
// signedness or argument count is refused naming both.
func TestCheckSig(t *testing.T) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var st *btf.Struct
	if err := spec.TypeByName("tcp_congestion_ops", &st); err != nil {
		t.Skipf("kernel without tcp_congestion_ops: %v", err)
	}
	member := func(name string) btf.Type {
		for _, m := range st.Members {
			if m.Name == name {
				return m.Type
			}
		}
		t.Fatalf("tcp_congestion_ops has no %s", name)
		return nil
	}
	ops := &Ops{Name: "tcp_congestion_ops"}
	// u32 (*ssthresh)(struct sock *sk); void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked)
	if err := checkSig(ops, sasm.Sig{Name: "ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}, member("ssthresh")); err != nil {
		t.Errorf("ssthresh: %v", err)
	}
	if err := checkSig(ops, sasm.Sig{Name: "cong_avoid", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U32, sasm.U32}}, member("cong_avoid")); err != nil {
		t.Errorf("cong_avoid: %v", err)
	}
	for _, bad := range []sasm.Sig{
		{Name: "ssthresh", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr}},
		{Name: "ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.U64}},
		{Name: "ssthresh", Return: sasm.U32},
		{Name: "cong_avoid", Return: sasm.Void, Args: []sasm.Type{sasm.Ptr, sasm.U32, sasm.S32}},
	} {
		err := checkSig(ops, bad, member(bad.Name))
		if err == nil || !strings.Contains(err.Error(), "in the kernel, "+sigString(bad)+" in the spec") {
			t.Errorf("%s: %v, want a mismatch naming both signatures", sigString(bad), err)
		}
	}
	if err := checkSig(ops, sasm.Sig{Name: "ssthresh", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr}}, member("ssthresh")); err == nil ||
		!strings.Contains(err.Error(), "callback ssthresh is u32 ssthresh(ptr) in the kernel") {
		t.Errorf("message: %v", err)
	}
	mod := &Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod"}
	if err := checkSig(mod, sasm.Sig{Name: "ssthresh", Return: sasm.S32, Args: []sasm.Type{sasm.Ptr}}, member("ssthresh")); err == nil ||
		!strings.Contains(err.Error(), "the module and the loader come from different specs") {
		t.Errorf("module type: %v", err)
	}
}
