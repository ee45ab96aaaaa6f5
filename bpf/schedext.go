package bpf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/cilium/ebpf/btf"

	sasm "github.com/structops/structops-gen/asm"
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

// SchedExtOpsName is the kernel's struct_ops type of a sched_ext scheduler.
const SchedExtOpsName = "sched_ext_ops"

// SchedExt reports whether the type is sched_ext's: an implementation is a
// CPU scheduler that takes over every normal task while attached (the
// loader then runs it with RunSchedExt instead of calling its callbacks).
func (o *Ops) SchedExt() bool { return o != nil && o.Name == SchedExtOpsName }

// ErrNoExitInfo is returned by Impl.SchedExtExit when no program uses an
// exit-info map (sasm.NewExitInfo).
var ErrNoExitInfo = errors.New("no program records the exit information (declare it with sasm.NewExitInfo and build exit with its Callback)")

// exitRecordType is the value type that marks an exit-info map.
var exitRecordType = reflect.TypeFor[sasm.ExitRecord]()

// SchedExtExit reads the exit record the scheduler's exit callback wrote
// into its exit-info map (the declared map whose values are
// sasm.ExitRecord), and false while exit has not run. Without such a map
// it returns an error wrapping ErrNoExitInfo.
func (i *Impl) SchedExtExit() (SchedExtExit, bool, error) {
	if i == nil || i.coll == nil {
		return SchedExtExit{}, false, fmt.Errorf("exit info: the implementation is not loaded")
	}
	var def *sasm.MapDef
	if i.maps != nil {
		for _, name := range sortedKeys(i.maps.defs) {
			if d := i.maps.defs[name]; d.Value == exitRecordType {
				def = d
				break
			}
		}
	}
	if def == nil {
		return SchedExtExit{}, false, fmt.Errorf("%s: %w", i.ops.Name, ErrNoExitInfo)
	}
	m, err := MapOf(i, &sasm.Map[uint32, sasm.ExitRecord]{MapDef: def})
	if err != nil {
		return SchedExtExit{}, false, err
	}
	rec, err := m.Lookup(0)
	if err != nil {
		return SchedExtExit{}, false, fmt.Errorf("read the exit record %s: %w", def.Name, err)
	}
	e := DecodeExit(rec)
	return e, e.Kind != 0, nil
}

// DecodeExit turns an exit record into a SchedExtExit.
func DecodeExit(r sasm.ExitRecord) SchedExtExit {
	return SchedExtExit{Kind: r.Kind, ExitCode: r.ExitCode, Reason: cstring(r.Reason[:]), Msg: cstring(r.Msg[:])}
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// ErrSchedExtEjected is returned by RunSchedExt when the kernel disabled
// the scheduler (an SCX_EXIT_ERROR* exit: a stall, an error in a
// callback); the error wrapping it carries the kernel's exit kind, reason
// and message.
var ErrSchedExtEjected = errors.New("the kernel ejected the scheduler")

// Scheduler is what RunSchedExt drives: a loaded sched_ext implementation
// (*Impl, or a fake in tests).
type Scheduler interface {
	Attach() error
	Detach() error
	// SchedExtExit reads the exit record (an error wrapping ErrNoExitInfo
	// when there is none: RunSchedExt then watches the state alone).
	SchedExtExit() (SchedExtExit, bool, error)
}

// SchedExtRunOptions configure RunSchedExt.
type SchedExtRunOptions struct {
	// Name is the scheduler's name in progress lines.
	Name string
	// Once: run for Duration (0: 2 s), then detach; else until ctx ends or
	// a signal arrives on Signals.
	Once     bool
	Duration time.Duration
	// Stats, if set, prints the scheduler's statistics to w: every
	// Interval (0: 1 s) and once more before detaching.
	Stats    func(w io.Writer) error
	Interval time.Duration
	// Signals detach the scheduler (catch them before loading, so that an
	// early Ctrl-C still detaches).
	Signals <-chan os.Signal
	// Stdout gets the state, statistics and exit lines; Stderr progress.
	Stdout, Stderr io.Writer
}

// schedExtPoll is how often RunSchedExt checks whether the kernel ejected
// the scheduler.
var schedExtPoll = 20 * time.Millisecond

// RunSchedExt attaches a loaded scheduler, waits until sched_ext reports
// it enabled (printing "state: enabled" and "ops: <root/ops>"), runs it
// until Duration passes (Once), ctx ends or a signal arrives, printing its
// statistics, and detaches it, printing the exit record ("exit: ...") when
// there is one. When the kernel ejects the scheduler meanwhile, it prints
// the exit record and returns an error wrapping ErrSchedExtEjected with
// the kernel's reason; a scheduler without an exit record is seen ejected
// when the state leaves "enabled".
func RunSchedExt(ctx context.Context, s Scheduler, o SchedExtRunOptions) error {
	if o.Duration <= 0 {
		o.Duration = 2 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	readExit := func() (SchedExtExit, bool, error) {
		e, ok, err := s.SchedExtExit()
		if errors.Is(err, ErrNoExitInfo) {
			return e, false, nil
		}
		return e, ok, err
	}
	_, _, err := s.SchedExtExit()
	hasExit := !errors.Is(err, ErrNoExitInfo)
	stats := func() {
		if o.Stats == nil {
			return
		}
		if err := o.Stats(o.Stdout); err != nil {
			fmt.Fprintf(o.Stderr, "%s: statistics: %v\n", o.Name, err)
		}
	}
	ejected := func(e SchedExtExit, known bool) error {
		stats()
		if known {
			fmt.Fprintf(o.Stdout, "exit: %s\n", e)
		}
		s.Detach()
		if !known {
			st, _ := SchedExtState()
			return fmt.Errorf("%s: %w (sched_ext state %q; no exit record to say why: record it with sasm.NewExitInfo)", o.Name, ErrSchedExtEjected, st)
		}
		if !e.Error() {
			return fmt.Errorf("%s: the kernel disabled the scheduler: %s", o.Name, e)
		}
		return fmt.Errorf("%s: %w: %s", o.Name, ErrSchedExtEjected, e)
	}

	if err := s.Attach(); err != nil {
		return err
	}
	fmt.Fprintf(o.Stderr, "%s: attached\n", o.Name)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	state, err := WaitSchedExtState(wctx, "enabled")
	cancel()
	if err != nil {
		if e, ok, _ := readExit(); ok {
			return ejected(e, true)
		}
		s.Detach()
		return fmt.Errorf("%s attached, but %w", o.Name, err)
	}
	ops, _ := SchedExtRootOps()
	fmt.Fprintf(o.Stdout, "state: %s\nops: %s\n", state, ops)

	var end <-chan time.Time
	if o.Once {
		end = time.After(o.Duration)
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	poll := time.NewTicker(schedExtPoll)
	defer poll.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case sig := <-o.Signals:
			fmt.Fprintf(o.Stderr, "%s: %v: detaching\n", o.Name, sig)
			done = true
		case <-end:
			done = true
		case <-tick.C:
			stats()
		case <-poll.C:
			if hasExit {
				e, ok, err := readExit()
				if err != nil {
					s.Detach()
					return err
				}
				if ok {
					return ejected(e, true)
				}
			} else if st, err := SchedExtState(); err == nil && st != "enabled" {
				return ejected(SchedExtExit{}, false)
			}
		}
	}
	stats()
	if err := s.Detach(); err != nil {
		return err
	}
	if e, ok, _ := readExit(); ok {
		fmt.Fprintf(o.Stdout, "exit: %s\n", e)
	}
	state, _ = SchedExtState()
	fmt.Fprintf(o.Stderr, "%s: detached (sched_ext state: %s)\n", o.Name, state)
	return nil
}
