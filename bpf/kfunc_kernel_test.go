package bpf_test

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// TestKfuncSigChecked: a kfunc call built with its signature
// (sasm.KfuncSig.Call) is checked against the kernel's BTF before load:
// the signature, the declaring module and KF_SLEEPABLE; a right one loads.
func TestKfuncSigChecked(t *testing.T) {
	needRoot(t)
	ssthresh := func(k sasm.KfuncSig) map[string]asm.Instructions {
		progs := minimalCC()
		progs["ssthresh"] = sasm.Seq(
			sigSsthresh.Arg(asm.R1, 0), // r1 = sk
			k.Call(asm.R1),
			sigSsthresh.Ret(asm.R0),
		)
		return progs
	}
	opts := &bpf.Options{Data: map[string][]byte{"name": []byte(ccName("k"))}}
	right := sasm.KfuncSig{Name: "tcp_reno_ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}}
	for _, c := range []struct {
		what string
		k    sasm.KfuncSig
		want string
	}{
		{"signature", sasm.KfuncSig{Name: "tcp_reno_ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.U64}},
			"program ssthresh of tcp_congestion_ops: kfunc tcp_reno_ssthresh: the running kernel's vmlinux BTF declares u32 tcp_reno_ssthresh(ptr), the program calls u32 tcp_reno_ssthresh(u64)"},
		{"module", sasm.KfuncSig{Name: "tcp_reno_ssthresh", Module: "nosuchmod", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}},
			"kfunc tcp_reno_ssthresh: module nosuchmod does not export it (its BTF has no such function); the running kernel's vmlinux BTF has one of that name"},
		{"sleepable", sasm.KfuncSig{Name: "tcp_reno_ssthresh", Return: sasm.U32, Args: []sasm.Type{sasm.Ptr}, Sleepable: true},
			"kfunc tcp_reno_ssthresh may sleep (KF_SLEEPABLE) and the program is not sleepable"},
	} {
		impl, err := bpf.LoadPrograms(tcpOps, ssthresh(c.k), opts)
		if err == nil {
			impl.Close()
			t.Errorf("%s: loaded", c.what)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.what, err, c.want)
		}
	}
	impl, err := bpf.LoadPrograms(tcpOps, ssthresh(right), opts)
	if err != nil {
		t.Fatalf("the right signature: %v", err)
	}
	impl.Close()
}
