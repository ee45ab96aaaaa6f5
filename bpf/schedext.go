package bpf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cilium/ebpf/btf"

	"github.com/structops/structops-gen/internal/btfx"
)

// SchedExtDir is where the kernel shows the state of sched_ext (a variable
// for tests).
var SchedExtDir = "/sys/kernel/sched_ext"

// SchedExtState returns the contents of /sys/kernel/sched_ext/state:
// "enabled" while a BPF scheduler runs, "disabled" when the fair class has
// every task again ("enabling", "disabling" in between).
func SchedExtState() (string, error) {
	b, err := os.ReadFile(SchedExtDir + "/state")
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s/state: %w: the kernel has no sched_ext (CONFIG_SCHED_CLASS_EXT, Linux 6.12+)", SchedExtDir, err)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// SchedExtRootOps returns the name of the scheduler attached at the root
// (/sys/kernel/sched_ext/root/ops), or "" when there is none.
func SchedExtRootOps() (string, error) {
	b, err := os.ReadFile(SchedExtDir + "/root/ops")
	if errors.Is(err, os.ErrNotExist) {
		return "", nil // the root directory exists only while a scheduler is attached
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// WaitSchedExtState polls the state until it reads want, the context ends
// (its error then says the last state seen), or the state becomes one of
// stop (e.g. "disabled" while waiting for "enabled": the kernel refused or
// ejected the scheduler).
func WaitSchedExtState(ctx context.Context, want string, stop ...string) (string, error) {
	last := ""
	for {
		s, err := SchedExtState()
		if err != nil {
			return s, err
		}
		last = s
		if s == want {
			return s, nil
		}
		for _, st := range stop {
			if s == st {
				return s, fmt.Errorf("sched_ext state is %q, not %q", s, want)
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("sched_ext state still %q, not %q: %w", last, want, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SchedExtExit is what the kernel tells a scheduler's ops.exit (struct
// scx_exit_info): why it was disabled.
type SchedExtExit struct {
	Kind     uint32 // enum scx_exit_kind
	ExitCode int64
	Reason   string // the kernel's text for Kind
	Msg      string // details, e.g. the stalled task
}

// exitKinds names enum scx_exit_kind (include/linux/sched/ext.h; the values
// are stable across kernels).
var exitKinds = map[uint32]string{
	0: "SCX_EXIT_NONE", 1: "SCX_EXIT_DONE",
	64: "SCX_EXIT_UNREG", 65: "SCX_EXIT_UNREG_BPF", 66: "SCX_EXIT_UNREG_KERN", 67: "SCX_EXIT_SYSRQ",
	68: "SCX_EXIT_PARENT", 69: "SCX_EXIT_PARENT_KILL",
	1024: "SCX_EXIT_ERROR", 1025: "SCX_EXIT_ERROR_BPF", 1026: "SCX_EXIT_ERROR_STALL",
	1027: "SCX_EXIT_ERROR_REENQ", 1028: "SCX_EXIT_ERROR_RESCUE",
}

// KindName is the SCX_EXIT_* name of Kind (its number when unknown).
func (e SchedExtExit) KindName() string {
	if n, ok := exitKinds[e.Kind]; ok {
		return n
	}
	return fmt.Sprintf("exit kind %d", e.Kind)
}

// Error reports whether the kernel ejected the scheduler (SCX_EXIT_ERROR
// and above) rather than it being unregistered.
func (e SchedExtExit) Error() bool { return e.Kind >= 1024 }

func (e SchedExtExit) String() string {
	s := fmt.Sprintf("%s (%d): %s", e.KindName(), e.Kind, e.Reason)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.ExitCode != 0 {
		s += fmt.Sprintf(" (exit code %#x)", e.ExitCode)
	}
	return s
}

// KernelFuncs reports which of names the running kernel's vmlinux BTF has
// as functions (kfuncs among them), by exact name: schedulers pick the
// kfunc names of the kernel they run on (sched_ext renamed
// scx_bpf_dispatch to scx_bpf_dsq_insert and scx_bpf_consume to
// scx_bpf_dsq_move_to_local in 6.13). One scan of the raw BTF, as Load
// does (kernelbtf.go).
func KernelFuncs(names ...string) (map[string]bool, error) {
	vmlinux, err := btfx.Open(btfDir+"/vmlinux", nil)
	if err != nil {
		return nil, fmt.Errorf("read the kernel's BTF: %w", permissionHint(err))
	}
	defer vmlinux.Close()
	wants := make([]btfx.Want, len(names))
	for i, n := range names {
		wants[i] = btfx.Want{Kind: btfx.KindFunc, Name: n}
	}
	ids, err := vmlinux.Lookup(wants)
	if err != nil {
		return nil, fmt.Errorf("read the kernel's BTF: %w", err)
	}
	has := make(map[string]bool, len(names))
	for i, n := range names {
		has[n] = ids[i] != 0
	}
	return has, nil
}

// kernelFunc finds the function called exactly name in spec. TypeByName
// would not do: cilium/ebpf matches names without their "___flavor" suffix,
// so scx_bpf_dsq_insert also matches the 6.19+ scx_bpf_dsq_insert___v2_impl
// and the lookup fails with "multiple matching types".
func kernelFunc(spec *btf.Spec, name string) (*btf.Func, error) {
	types, err := spec.AnyTypesByName(name)
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if fn, ok := t.(*btf.Func); ok && fn.Name == name {
			return fn, nil
		}
	}
	return nil, fmt.Errorf("no function %s: %w", name, btf.ErrNotFound)
}
