package bpf

import (
	"strings"
	"testing"

	sasm "github.com/structops/structops-gen/asm"
)

func TestParseKernelRelease(t *testing.T) {
	for _, c := range []struct {
		in   string
		want KernelVersion
	}{
		{"6.12.117+deb12-amd64", KernelVersion{6, 12, 117}},
		{"6.8.0-45-generic", KernelVersion{6, 8, 0}},
		{"6.11.0-rc3", KernelVersion{6, 11, 0}},
		{"6.11-rc3", KernelVersion{6, 11, 0}},
		{"7.0", KernelVersion{7, 0, 0}},
		{"5.15.167.4-microsoft-standard-WSL2", KernelVersion{5, 15, 167}},
		{"6.18.44-fc-v595", KernelVersion{6, 18, 44}},
	} {
		got, err := ParseKernelRelease(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseKernelRelease(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "6", "linux", "6.x.1", ".12"} {
		if v, err := ParseKernelRelease(bad); err == nil {
			t.Errorf("ParseKernelRelease(%q) = %v, want an error", bad, v)
		}
	}
}

func TestKernelVersionLess(t *testing.T) {
	order := []KernelVersion{{5, 15, 200}, {6, 4, 0}, {6, 9, 12}, {6, 11, 0}, {6, 11, 1}, {6, 12, 0}, {7, 0, 0}}
	for i, a := range order {
		for j, b := range order {
			if got := a.Less(b); got != (i < j) {
				t.Errorf("%v.Less(%v) = %v", a, b, got)
			}
		}
	}
}

func TestCompareKernel(t *testing.T) {
	mod := &Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod"}
	vml := &Ops{Name: "tcp_congestion_ops"}
	refs := &Ops{Name: "refs_ops", Module: "refs", Refs: []string{"on_task.task"}}
	seven := &sasm.Sig{Name: "seven", Args: make([]sasm.Type, 7)}
	six := &sasm.Sig{Name: "six", Args: make([]sasm.Type, 6)}
	stack := &Ops{Name: "stack_ops", Module: "stack", Members: []Member{{Name: "six", Func: true, Sig: six}, {Name: "seven", Func: true, Sig: seven}}}
	regs := &Ops{Name: "regs_ops", Module: "regs", Members: []Member{{Name: "six", Func: true, Sig: six}}}
	// a kernel module's own type (no trigger): its kernel decides
	kernelStack := &Ops{Name: "k_ops", Module: "k", NoTrigger: true, Members: []Member{{Name: "seven", Func: true, Sig: seven}}}
	for _, c := range []struct {
		ops     *Ops
		release string
		want    string // "" for no error
	}{
		{mod, "6.12.117+deb12-amd64", ""},
		{mod, "6.11.0-rc1", ""},
		{mod, "6.10.14-generic", "struct_ops type bpf_testmod_ops needs Linux 6.11 or newer, this is 6.10.14-generic: struct_ops types defined by modules need 6.9, and reg/unreg callbacks taking the struct bpf_link * (as generated modules have) need 6.11"},
		{mod, "6.8.0-45-generic", "needs Linux 6.11"},
		{vml, "6.8.0-45-generic", ""},
		{vml, "6.1.0-26-amd64", "struct_ops type tcp_congestion_ops needs Linux 6.4 or newer, this is 6.1.0-26-amd64: struct_ops maps attached through a link (BPF_F_LINK)"},
		{mod, "unparsable", ""},
		{refs, "7.3.4+deb13-amd64", ""},
		{refs, "6.15.0", ""},
		{refs, "6.12.117+deb12-amd64", "struct_ops type refs_ops needs Linux 6.15 or newer, this is 6.12.117+deb12-amd64: callback arguments marked __ref (on_task.task) need 6.15"},
		{stack, "7.3.4+deb13-amd64", ""},
		{stack, "6.12.117+deb12-amd64", "struct_ops type stack_ops needs Linux 7.3 or newer, this is 6.12.117+deb12-amd64: callbacks with more than 6 arguments (seven) get the 7th and later from the stack, which the x86-64 struct_ops trampoline of 6.12 hands to BPF one slot off"},
		{regs, "6.12.117+deb12-amd64", ""},
		{kernelStack, "6.12.117+deb12-amd64", ""},
	} {
		err := compareKernel(c.ops, c.release)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s on %s: %v, want no error", c.ops.Name, c.release, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s on %s: %v, want an error with %q", c.ops.Name, c.release, err, c.want)
		}
	}
}

func TestCheckKernelVersionUsesUname(t *testing.T) {
	saved := kernelRelease
	defer func() { kernelRelease = saved }()
	kernelRelease = func() (string, error) { return "6.6.30-lts", nil }
	err := checkKernelVersion(&Ops{Name: "x_ops", Module: "x"})
	if err == nil || !strings.Contains(err.Error(), "this is 6.6.30-lts") {
		t.Fatalf("checkKernelVersion: %v, want the running release in the error", err)
	}
}
