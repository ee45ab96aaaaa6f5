package loadercmd

// --stats, --pin and the sched_ext mode, with fakes.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
)

// countedOps is testmodOps with call counts.
func countedOps() *bpf.Ops {
	ops := *testmodOps
	ops.Counts = sasm.NewCallCounts("calls", "test_1", "test_2", "test_3")
	return &ops
}

func threeCounts() []bpf.CallCount {
	return []bpf.CallCount{{Member: "test_1", Calls: 5}, {Member: "test_2", Calls: 7}, {Member: "test_3", Calls: 0}}
}

func TestMainStatsAfterCalls(t *testing.T) {
	f := &fake{counts: threeCounts(), answer: func(string) string { return "test_2 3\n" }}
	f.install(t)
	code, out, errOut := runMain(t, countedOps(), "--call", "test_2 1 2", "--stats", "--pin", "/sys/fs/bpf/t")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if want := "3\ntest_1 5\ntest_2 7\ntest_3 0\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if f.opts == nil || f.opts.PinDir != "/sys/fs/bpf/t" {
		t.Errorf("--pin did not reach Options.PinDir: %+v", f.opts)
	}
}

func TestMainStatsPeriodic(t *testing.T) {
	f := &fake{counts: threeCounts(), stopAfter: 3, answer: func(string) string { return "test_1 42\n" }}
	f.install(t)
	code, out, errOut := runMain(t, countedOps(), "--stats")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var want strings.Builder
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&want, "test_1 42\ntest_1 %d\ntest_2 %d\ntest_3 %d\n", 5+i, 7+i, i)
	}
	if out != want.String() {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want.String())
	}
}

// TestMainStatsVmlinux: a type without a trigger prints the counts once
// with --once, and at the end of the periodic mode.
func TestMainStatsVmlinux(t *testing.T) {
	ops := &bpf.Ops{Name: "tcp_congestion_ops", Size: 8, Members: []bpf.Member{{Name: "ssthresh", Size: 8, Func: true}},
		Counts: sasm.NewCallCounts("calls", "ssthresh")}
	for _, args := range [][]string{{"--once", "--stats"}, {"--stats"}} {
		f := &fake{counts: []bpf.CallCount{{Member: "ssthresh", Calls: 12}}}
		f.install(t)
		f.stop <- unix.SIGINT
		code, out, errOut := runMain(t, ops, args...)
		if code != 0 || out != "ssthresh 12\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %s", args, code, out, errOut)
		}
		if got := strings.Join(f.events, ","); got != "load tcp_congestion_ops,attach,detach,close" {
			t.Errorf("%q: events %s", args, got)
		}
	}
}

func TestMainFlagsForTheType(t *testing.T) {
	for _, c := range []struct {
		ops  *bpf.Ops
		args []string
		want string
	}{
		{testmodOps, []string{"--stats"}, "count no calls"},
		{testmodOps, []string{"--once", "--duration", "1s"}, "only a sched_ext scheduler"},
		{schedOps(nil), []string{"--call", "enqueue 1"}, "has no trigger"},
	} {
		f := &fake{}
		f.install(t)
		code, _, errOut := runMain(t, c.ops, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || len(f.events) > 0 {
			t.Errorf("%q: exit %d, stderr %q, events %v; want exit 2 saying %q, nothing loaded", c.args, code, errOut, f.events, c.want)
		}
	}
}

// fakeSched plays the kernel's side of sched_ext in a temporary
// bpf.SchedExtDir.
type fakeSched struct {
	t    *testing.T
	dir  string
	mu   sync.Mutex
	exit bpf.SchedExtExit
}

func newFakeSched(t *testing.T) *fakeSched {
	dir := t.TempDir()
	old := bpf.SchedExtDir
	bpf.SchedExtDir = dir
	t.Cleanup(func() { bpf.SchedExtDir = old })
	s := &fakeSched{t: t, dir: dir}
	s.state("disabled")
	return s
}

func (s *fakeSched) state(st string) {
	if err := os.WriteFile(filepath.Join(s.dir, "state"), []byte(st+"\n"), 0o644); err != nil {
		s.t.Error(err)
	}
}

func (s *fakeSched) attach() {
	os.MkdirAll(filepath.Join(s.dir, "root"), 0o755)
	os.WriteFile(filepath.Join(s.dir, "root", "ops"), []byte("mysched\n"), 0o644)
	s.state("enabled")
}

func (s *fakeSched) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exit.Kind == 0 {
		s.exit = bpf.SchedExtExit{Kind: 64, Reason: "unregistered from user space"}
	}
	os.RemoveAll(filepath.Join(s.dir, "root"))
	s.state("disabled")
}

func (s *fakeSched) eject() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exit = bpf.SchedExtExit{Kind: 1026, Reason: "runnable task stall", Msg: "spin[42] failed to run for 1.5s"}
	s.state("disabled")
}

func (s *fakeSched) exitInfo() (bpf.SchedExtExit, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exit, s.exit.Kind != 0, nil
}

// schedOps is a sched_ext_ops stack named mysched, counting the calls of
// its callbacks if counts is set.
func schedOps(counts *sasm.CallCounts) *bpf.Ops {
	return &bpf.Ops{Name: "sched_ext_ops", Size: 512, Members: []bpf.Member{{Name: "enqueue", Offset: 8, Size: 8, Func: true}},
		Data: map[string][]byte{"name": []byte("mysched")}, Counts: counts}
}

func TestMainSchedExtOnce(t *testing.T) {
	f := &fake{counts: []bpf.CallCount{{Member: "enqueue", Calls: 3}}}
	f.install(t)
	f.sched = newFakeSched(t)
	code, out, errOut := runMain(t, schedOps(sasm.NewCallCounts("calls", "enqueue")), "--once", "--duration", "150ms", "--interval", "60ms")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if !strings.HasPrefix(out, "state: enabled\nops: mysched\nenqueue 3\n") ||
		!strings.HasSuffix(out, "\nexit: SCX_EXIT_UNREG (64): unregistered from user space\n") {
		t.Errorf("stdout:\n%s", out)
	}
	if got := strings.Join(f.events, ","); got != "load sched_ext_ops,attach,detach,close" {
		t.Errorf("events %s", got)
	}
	if !strings.Contains(errOut, "mysched: detached (sched_ext state: disabled)") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// TestMainSchedExtEjected: the kernel ejects the scheduler while the
// loader runs it: exit 1 with the kernel's reason; without call counts
// no statistics are printed.
func TestMainSchedExtEjected(t *testing.T) {
	f := &fake{}
	f.install(t)
	f.sched = newFakeSched(t)
	go func() {
		time.Sleep(80 * time.Millisecond)
		f.sched.eject()
	}()
	code, out, errOut := runMain(t, schedOps(nil), "--interval", "20ms")
	if code != 1 || !strings.Contains(errOut, "the kernel ejected the scheduler: SCX_EXIT_ERROR_STALL (1026): runnable task stall: spin[42] failed to run for 1.5s") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	if out != "state: enabled\nops: mysched\nexit: SCX_EXIT_ERROR_STALL (1026): runnable task stall: spin[42] failed to run for 1.5s\n" {
		t.Errorf("stdout:\n%s", out)
	}
	if f.events[len(f.events)-1] != "close" {
		t.Errorf("events %v", f.events)
	}
}

// TestMainSchedExtSignal: Ctrl-C detaches and exits 0.
func TestMainSchedExtSignal(t *testing.T) {
	f := &fake{}
	f.install(t)
	f.sched = newFakeSched(t)
	f.stop <- unix.SIGINT
	code, out, errOut := runMain(t, schedOps(nil))
	if code != 0 || !strings.Contains(errOut, "interrupt: detaching") || !strings.Contains(out, "exit: SCX_EXIT_UNREG") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
