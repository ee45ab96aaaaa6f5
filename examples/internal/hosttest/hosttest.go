// Package hosttest holds what the examples' host tests share: skipping
// where they cannot run, and the drift check of a generated example.
package hosttest

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/structops/structops-gen/gen"
)

// VmlinuxBTF is the running kernel's BTF the examples are generated from.
const VmlinuxBTF = "/sys/kernel/btf/vmlinux"

// NeedBTF skips unless the running kernel exposes its BTF.
func NeedBTF(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(VmlinuxBTF); err != nil {
		t.Skipf("skipped: %s: %v (a kernel with CONFIG_DEBUG_INFO_BTF is needed)", VmlinuxBTF, err)
	}
}

// NeedBPF skips unless the test runs as root on a kernel that loads BPF
// programs.
func NeedBPF(t *testing.T) {
	t.Helper()
	NeedBTF(t)
	if os.Geteuid() != 0 {
		t.Skip("skipped: loading struct_ops programs needs root (run go test as root)")
	}
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.SocketFilter,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		t.Skipf("skipped: this kernel does not load BPF programs: %v", err)
	}
	p.Close()
}

// CheckDrift renders spec into the example directory dir (import path
// goImport) and fails naming every generated file that differs: the
// example must be what structops-gen writes (callbacks.go, the user's, only
// has to exist).
func CheckDrift(t *testing.T, spec gen.Spec, dir, goImport string) {
	t.Helper()
	NeedBTF(t)
	o, err := gen.Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Render(o, gen.Options{GoImport: goImport})
	if err != nil {
		t.Fatal(err)
	}
	drift, err := files.Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drift {
		t.Errorf("%s (regenerate with go generate in %s; if the kernel changed, its layout did)", d, dir)
	}
	if len(drift) == 0 && len(files) == 0 {
		t.Fatal(errors.New("no files rendered"))
	}
}
