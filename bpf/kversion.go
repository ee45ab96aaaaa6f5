package bpf

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// KernelVersion is the numeric part of a kernel release, e.g. 6.12.117 of
// "6.12.117+deb12-amd64".
type KernelVersion struct{ Major, Minor, Patch int }

func (v KernelVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Less reports whether v is an older kernel than w.
func (v KernelVersion) Less(w KernelVersion) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// ParseKernelRelease reads the version at the start of a release string
// as uname -r prints it: "6.12.117+deb12-amd64", "6.8.0-45-generic",
// "6.11.0-rc3", "7.0". A missing patch level is 0.
func ParseKernelRelease(release string) (KernelVersion, error) {
	num := release
	if i := strings.IndexFunc(release, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }); i >= 0 {
		num = release[:i]
	}
	parts := strings.Split(strings.TrimSuffix(num, "."), ".")
	if len(parts) < 2 {
		return KernelVersion{}, fmt.Errorf("kernel release %q: want <major>.<minor>[.<patch>]", release)
	}
	var n [3]int
	for i := 0; i < len(parts) && i < 3; i++ {
		v, err := strconv.Atoi(parts[i])
		if err != nil {
			return KernelVersion{}, fmt.Errorf("kernel release %q: want <major>.<minor>[.<patch>]", release)
		}
		n[i] = v
	}
	return KernelVersion{n[0], n[1], n[2]}, nil
}

// MinKernel is the oldest kernel that can attach a struct_ops type like
// ops, and the features that set the bound.
func MinKernel(ops *Ops) (KernelVersion, string) {
	if sa := stackArgs(ops); len(sa) > 0 {
		return KernelVersion{7, 3, 0}, "callbacks with more than 6 arguments (" + strings.Join(sa, ", ") +
			") get the 7th and later from the stack, which the x86-64 struct_ops trampoline of 6.12 hands to BPF one slot off; 7.3 passes them right"
	}
	if ops.Module != "" && len(ops.Refs) > 0 {
		return KernelVersion{6, 15, 0}, "callback arguments marked __ref (" + strings.Join(ops.Refs, ", ") + ") need 6.15"
	}
	if ops.Module != "" {
		return KernelVersion{6, 11, 0}, "struct_ops types defined by modules need 6.9, and reg/unreg callbacks taking the struct bpf_link * (as generated modules have) need 6.11"
	}
	return KernelVersion{6, 4, 0}, "struct_ops maps attached through a link (BPF_F_LINK), which the loader uses, need 6.4"
}

// kernelRelease returns uname -r (a variable for tests).
var kernelRelease = func() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// checkKernelVersion fails when the running kernel is older than
// MinKernel(ops). A release it cannot read passes: the load then fails with
// the kernel's own error.
func checkKernelVersion(ops *Ops) error {
	release, err := kernelRelease()
	if err != nil {
		return nil
	}
	return compareKernel(ops, release)
}

func compareKernel(ops *Ops, release string) error {
	v, err := ParseKernelRelease(release)
	if err != nil {
		return nil
	}
	min, why := MinKernel(ops)
	if v.Less(min) {
		return fmt.Errorf("struct_ops type %s needs Linux %d.%d or newer, this is %s: %s", ops.Name, min.Major, min.Minor, release, why)
	}
	return nil
}

// stackArgs lists the callbacks of a generated module (one with a
// trigger) whose arguments take more than 6 slots (a struct of 9 to 16
// bytes two), so some travel on the stack.
func stackArgs(ops *Ops) []string {
	if !ops.HasTrigger() {
		return nil
	}
	var out []string
	for _, m := range ops.Members {
		if m.Sig != nil && m.Sig.Slots() > 6 {
			out = append(out, m.Name)
		}
	}
	return out
}
