package loadercmd

// Main with fakes in place of the kernel: no BPF, no proc file, no signals,
// no timers.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/bpf/trigger"
)

var testmodOps = &bpf.Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod", Size: 24, Members: []bpf.Member{
	{Name: "test_1", Offset: 0, Size: 8, Func: true},
	{Name: "test_2", Offset: 8, Size: 8, Func: true},
	{Name: "test_3", Offset: 16, Size: 8, Func: true},
}}

func testmodProgs() (map[string]asm.Instructions, error) {
	return map[string]asm.Instructions{"test_1": {asm.Mov.Imm(asm.R0, 42), asm.Return()}}, nil
}

// fake records what Main does.
type fake struct {
	events   []string
	loadErr  error
	attachEr error
	opts     *bpf.Options
	// answer returns what reading the trigger gives after writing line
	answer func(line string) string
	last   string
	stop   chan os.Signal
	tick   chan time.Time
	// after n writes, deliver SIGINT
	stopAfter int
	writes    int
	linkID    uint32
	// module is the module that defines the type, if not the spec's
	module string
	// readErr is what reading the trigger fails with
	readErr error
	// counts are the call counts CallCounts returns, each call adding 1
	// to every member's
	counts []bpf.CallCount
	// sched plays the kernel's sched_ext side, for sched_ext_ops
	sched *fakeSched
}

func (f *fake) Attach() error {
	f.events = append(f.events, "attach")
	if f.sched != nil && f.attachEr == nil {
		f.sched.attach()
	}
	return f.attachEr
}
func (f *fake) Detach() error {
	f.events = append(f.events, "detach")
	if f.sched != nil {
		f.sched.detach()
	}
	return nil
}
func (f *fake) CallCounts() ([]bpf.CallCount, error) {
	if f.counts == nil {
		return nil, errors.New("fake: no counts")
	}
	out := slices.Clone(f.counts)
	for i := range f.counts {
		f.counts[i].Calls++
	}
	return out, nil
}
func (f *fake) SchedExtExit() (bpf.SchedExtExit, bool, error) {
	if f.sched == nil {
		return bpf.SchedExtExit{}, false, bpf.ErrNoExitInfo
	}
	return f.sched.exitInfo()
}
func (f *fake) Close() error   { f.events = append(f.events, "close"); return nil }
func (f *fake) Module() string { return f.module }
func (f *fake) LinkID() (uint32, error) {
	f.events = append(f.events, "link id")
	return f.linkID, nil
}

// The trigger's file operations in the tests: the fake's.
var (
	writeTrigger func(path string, b []byte) error
	readTrigger  func(path string) ([]byte, error)
)

// install replaces the kernel-facing functions with f for the test.
func (f *fake) install(t *testing.T) {
	f.stop = make(chan os.Signal, 1)
	f.tick = make(chan time.Time, 10)
	oldLoad, oldTrig, oldW, oldR, oldN, oldT := loadImpl, newTrigger, writeTrigger, readTrigger, notifyStop, newTicker
	t.Cleanup(func() {
		loadImpl, newTrigger, writeTrigger, readTrigger, notifyStop, newTicker = oldLoad, oldTrig, oldW, oldR, oldN, oldT
	})
	loadImpl = func(ops *bpf.Ops, progs map[string]asm.Instructions, opts *bpf.Options) (implementation, error) {
		f.events = append(f.events, "load "+ops.Name)
		if f.module == "" {
			f.module = ops.Module
		}
		f.opts = opts
		if f.loadErr != nil {
			return nil, f.loadErr
		}
		return f, nil
	}
	newTrigger = func(path string) *trigger.Client {
		c := trigger.New(path)
		c.WriteFile = func(path string, b []byte, _ os.FileMode) error { return writeTrigger(path, b) }
		c.ReadFile = func(path string) ([]byte, error) { return readTrigger(path) }
		return c
	}
	writeTrigger = func(path string, b []byte) error {
		f.events = append(f.events, fmt.Sprintf("write %s %q", path, b))
		f.last = string(b)
		f.writes++
		if f.stopAfter > 0 && f.writes == f.stopAfter {
			f.stop <- unix.SIGINT
		} else if f.stopAfter > 0 {
			f.tick <- time.Time{} // the next periodic trigger is due
		}
		return nil
	}
	readTrigger = func(path string) ([]byte, error) {
		f.events = append(f.events, "read "+path)
		if f.readErr != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: f.readErr}
		}
		if f.answer == nil {
			return nil, nil
		}
		return []byte(f.answer(f.last)), nil
	}
	notifyStop = func() (<-chan os.Signal, func()) { return f.stop, func() {} }
	newTicker = func(time.Duration) (<-chan time.Time, func()) { return f.tick, func() {} }
}

func runMain(t *testing.T, ops *bpf.Ops, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(args, &o, &e, ops, testmodProgs)
	return code, o.String(), e.String()
}

func TestMainOnce(t *testing.T) {
	f := &fake{answer: func(string) string { return "test_1 42\ntest_2 30\ntest_3 21\n" }}
	f.install(t)
	code, out, errOut := runMain(t, testmodOps, "--once")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if out != "test_1 42\ntest_2 30\ntest_3 21\n" {
		t.Errorf("stdout %q", out)
	}
	if errOut != "bpf_testmod_ops: attached\nbpf_testmod_ops: detached\n" {
		t.Errorf("stderr %q", errOut)
	}
	// the read after attach looks for slots ("@K: link <id>" lines): none
	want := []string{"load bpf_testmod_ops", "attach", "read /proc/bpf_testmod_trigger", `write /proc/bpf_testmod_trigger "Hello from userspace!"`,
		"read /proc/bpf_testmod_trigger", "detach", "close"}
	if strings.Join(f.events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(f.events, "\n"), strings.Join(want, "\n"))
	}
}

func TestMainCall(t *testing.T) {
	f := &fake{answer: func(line string) string {
		if line == "test_2 3 -4" {
			return "test_2 -1\n"
		}
		return ""
	}}
	f.install(t)
	code, out, errOut := runMain(t, testmodOps, "--call", "test_2 3 -4")
	if code != 0 || out != "-1\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if f.events[len(f.events)-2] != "detach" || f.events[len(f.events)-1] != "close" {
		t.Errorf("not detached and closed: %v", f.events)
	}
	// the module does not answer for the member
	code, out, errOut = runMain(t, testmodOps, "--call=test_9 1")
	if code != 1 || out != "" || !strings.Contains(errOut, "answered no line for test_9") {
		t.Errorf("unknown member: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if f.events[len(f.events)-1] != "close" {
		t.Errorf("not closed after a failed call: %v", f.events)
	}
}

// TestMainPeriodic runs the default mode: the first trigger, two periodic
// ones, then SIGINT (delivered by the fake on the third write).
func TestMainPeriodic(t *testing.T) {
	n := 0
	f := &fake{stopAfter: 3, answer: func(line string) string {
		if line == "" { // the read for slots, before any write
			return ""
		}
		n++
		return fmt.Sprintf("test_1 %d\n", n)
	}}
	f.install(t)
	code, out, errOut := runMain(t, testmodOps, "--interval", "5s")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if out != "test_1 1\ntest_1 2\ntest_1 3\n" {
		t.Errorf("stdout %q", out)
	}
	var writes []string
	for _, e := range f.events {
		if strings.HasPrefix(e, "write") {
			writes = append(writes, e)
		}
	}
	want := `write /proc/bpf_testmod_trigger "Hello from userspace!"` + "\n" +
		`write /proc/bpf_testmod_trigger "Periodic trigger"` + "\n" +
		`write /proc/bpf_testmod_trigger "Periodic trigger"`
	if strings.Join(writes, "\n") != want {
		t.Errorf("writes:\n%s", strings.Join(writes, "\n"))
	}
	if last := f.events[len(f.events)-2:]; last[0] != "detach" || last[1] != "close" {
		t.Errorf("did not detach and close at the end: %v", f.events)
	}
}

func TestMainVmlinuxType(t *testing.T) {
	f := &fake{}
	f.install(t)
	f.stop <- unix.SIGTERM // already pending: Main attaches, waits, detaches
	ops := &bpf.Ops{Name: "tcp_congestion_ops", Size: 8, Members: []bpf.Member{{Name: "ssthresh", Size: 8, Func: true}}}
	code, _, errOut := runMain(t, ops)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if strings.Join(f.events, ",") != "load tcp_congestion_ops,attach,detach,close" {
		t.Errorf("events %v", f.events)
	}
	code, _, errOut = runMain(t, ops, "--call", "ssthresh 1")
	if code != 1 || !strings.Contains(errOut, "no trigger file") {
		t.Errorf("--call on a vmlinux type: exit %d, stderr %q", code, errOut)
	}
}

func TestMainErrors(t *testing.T) {
	f := &fake{loadErr: errors.New("struct_ops type bpf_testmod_ops not found in any loaded module's BTF: load the module first: insmod OUT/module/bpf_testmod.ko (OUT: the directory structops-gen wrote)")}
	f.install(t)
	code, _, errOut := runMain(t, testmodOps, "--once", "--verifier-log")
	if code != 1 || !strings.Contains(errOut, "insmod OUT/module/bpf_testmod.ko") {
		t.Errorf("load error: exit %d, stderr %q", code, errOut)
	}
	if f.opts == nil || !f.opts.VerifierLog {
		t.Errorf("--verifier-log did not reach Load: %+v", f.opts)
	}
	f = &fake{attachEr: errors.New("attach bpf_testmod_ops: another bpf_testmod_ops implementation is attached")}
	f.install(t)
	code, _, errOut = runMain(t, testmodOps, "--once")
	if code != 1 || !strings.Contains(errOut, "another bpf_testmod_ops implementation is attached") {
		t.Errorf("attach error: exit %d, stderr %q", code, errOut)
	}
	if f.events[len(f.events)-1] != "close" {
		t.Errorf("not closed after a failed attach: %v", f.events)
	}
}

func TestParseFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want config
		err  string
	}{
		{nil, config{duration: 2 * time.Second, interval: 2 * time.Second}, ""},
		{[]string{"--interval", "500ms", "--once"}, config{duration: 2 * time.Second, interval: 500 * time.Millisecond, once: true}, ""},
		{[]string{"--call", "test_2 1 2"}, config{duration: 2 * time.Second, interval: 2 * time.Second, calls: []string{"test_2 1 2"}}, ""},
		{[]string{"--call", "test_1", "--call", "test_2 1 2"}, config{duration: 2 * time.Second, interval: 2 * time.Second, calls: []string{"test_1", "test_2 1 2"}}, ""},
		{[]string{"--call", "test_2", "1"}, config{}, `unexpected argument "1": quote the --call value`},
		{[]string{"--call", " "}, config{}, "--call needs"},
		{[]string{"--once", "--call", "x"}, config{}, "exclude each other"},
		{[]string{"--interval", "0s"}, config{}, "positive duration"},
		{[]string{"--interval", "soon"}, config{}, "invalid argument"},
		{[]string{"--bogus"}, config{}, "unknown flag: --bogus"},
		{[]string{"--stats", "--pin", "/sys/fs/bpf/x", "--duration", "5s"}, config{interval: 2 * time.Second, stats: true, pin: "/sys/fs/bpf/x", duration: 5 * time.Second, durationSet: true}, ""},
		{[]string{"--duration", "0s"}, config{}, "positive duration"},
	} {
		var stderr bytes.Buffer
		got, err := parseFlags("x", c.args, &stderr)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, %v, want %+v", c.args, got, err, c.want)
		}
	}
	var o, e bytes.Buffer
	if code := Main([]string{"--bogus"}, &o, &e, testmodOps, testmodProgs); code != 2 || !strings.Contains(e.String(), "unknown flag") {
		t.Errorf("usage error: exit %d, stderr %q", code, e.String())
	}
	o.Reset()
	e.Reset()
	if code := Main([]string{"--help"}, &o, &e, testmodOps, testmodProgs); code != 0 || !strings.Contains(e.String(), "--call") {
		t.Errorf("--help: exit %d, stderr %q", code, e.String())
	}
}

// TestMainProgramsError: a callback that misuses a sasm helper fails the
// run before anything is loaded, with bpf.Build's message naming the
// callback and this file's line.
func TestMainProgramsError(t *testing.T) {
	f := &fake{answer: func(string) string { return "test_1 42\n" }}
	f.install(t)
	progs := func() (map[string]asm.Instructions, error) {
		return bpf.Build(map[string]func() asm.Instructions{
			"test_1": func() asm.Instructions { return sasm.Sig{Name: "test_1", Return: sasm.S32}.Arg(asm.R2, 3) },
		})
	}
	var o, e bytes.Buffer
	code := Main([]string{"--once"}, &o, &e, testmodOps, progs)
	if code != 1 || !strings.Contains(e.String(), "main_test.go:") || !strings.Contains(e.String(), "test_1") {
		t.Errorf("exit %d, stderr %q; want 1 and the callback's line", code, e.String())
	}
	if len(f.events) != 0 {
		t.Errorf("events %v: nothing may be loaded", f.events)
	}
}

// TestMainInstance: with a module generated with --instances the loader
// finds the slot of its link in the "@K: link <id>" lines, writes "@K "
// before each line and prints only slot K's answers, without their prefix.
func TestMainInstance(t *testing.T) {
	ops := *testmodOps
	ops.Instances = 2
	slots := "@0: link 7\n@1: link 9\n"
	results := slots + "test_1 42\ntest_2 3\n@1 test_1 43\n@1 test_2 11\n"
	for _, tc := range []struct {
		linkID    uint32
		args      []string
		write     string
		wantOut   string
		wantCode  int
		wantError string
	}{
		{9, []string{"--call", "test_2 5 6"}, "@1 test_2 5 6", "11\n", 0, "attached in slot 1"},
		{7, []string{"--call", "test_2 1 2"}, "@0 test_2 1 2", "3\n", 0, "attached in slot 0"},
		{9, []string{"--once"}, "@1 Hello from userspace!", "test_1 43\ntest_2 11\n", 0, "attached in slot 1"},
		{7, []string{"--once"}, "@0 Hello from userspace!", "test_1 42\ntest_2 3\n", 0, "attached in slot 0"},
		{8, []string{"--once"}, "", "", 1, "lists no slot for link 8"},
	} {
		f := &fake{linkID: tc.linkID, answer: func(line string) string {
			if line == "" {
				return slots
			}
			return results
		}}
		f.install(t)
		code, out, errOut := runMain(t, &ops, tc.args...)
		if code != tc.wantCode || out != tc.wantOut || !strings.Contains(errOut, tc.wantError) {
			t.Errorf("link %d %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.linkID, tc.args, code, out, errOut, tc.wantCode, tc.wantOut, tc.wantError)
		}
		if f.last != tc.write {
			t.Errorf("link %d %q: wrote %q, want %q", tc.linkID, tc.args, f.last, tc.write)
		}
		if f.events[len(f.events)-1] != "close" {
			t.Errorf("link %d %q: not closed: %v", tc.linkID, tc.args, f.events)
		}
	}
	// a module without slots: the loader neither asks for its link nor
	// prefixes, even if its spec says --instances
	f := &fake{answer: func(string) string { return "test_2 3\n" }}
	f.install(t)
	if code, out, errOut := runMain(t, &ops, "--call", "test_2 1 2"); code != 0 || out != "3\n" || f.last != "test_2 1 2" || slices.Contains(f.events, "link id") {
		t.Errorf("no slots: exit %d, stdout %q, stderr %q, wrote %q, events %v", code, out, errOut, f.last, f.events)
	}
}

// TestMainDemoCalls: for a spec other than the tutorial's the default mode
// writes every DemoCalls line, first and then every interval, and prints
// what the trigger reads after the last one.
func TestMainDemoCalls(t *testing.T) {
	ops := *testmodOps
	ops.DemoCalls = []string{"test_2 1 2", "test_1"}
	reads := 0
	f := &fake{answer: func(line string) string {
		if line == "" {
			return ""
		}
		reads++
		return fmt.Sprintf("test_1 %d\ntest_2 3\n", reads)
	}}
	f.install(t)
	// one periodic round is due; SIGINT comes with the round's last write
	f.tick <- time.Time{}
	write := writeTrigger
	newTrigger = func(path string) *trigger.Client {
		c := trigger.New(path)
		c.WriteFile = func(path string, b []byte, _ os.FileMode) error { return writeTrigger(path, b) }
		c.ReadFile = func(path string) ([]byte, error) { return readTrigger(path) }
		return c
	}
	writeTrigger = func(path string, b []byte) error {
		err := write(path, b)
		if f.writes == 4 {
			f.stop <- unix.SIGINT
		}
		return err
	}
	code, out, errOut := runMain(t, &ops, "--interval", "5s")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var writes []string
	for _, e := range f.events {
		if w, ok := strings.CutPrefix(e, "write /proc/bpf_testmod_trigger "); ok {
			writes = append(writes, w)
		}
	}
	if want := []string{`"test_2 1 2"`, `"test_1"`, `"test_2 1 2"`, `"test_1"`}; !slices.Equal(writes, want) {
		t.Errorf("writes %q, want %q", writes, want)
	}
	// one print per round, of the read after its last call
	if want := "test_1 2\ntest_2 3\ntest_1 4\ntest_2 3\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// TestMainModuleWithoutTrigger: a type read from the BTF of a module
// structops-gen did not generate has no trigger: Main attaches and waits
// for the signal without touching /proc, and --call says why it cannot.
func TestMainModuleWithoutTrigger(t *testing.T) {
	ops := &bpf.Ops{Name: "hid_bpf_ops", Module: "hid", NoTrigger: true, Size: 8, Members: []bpf.Member{{Name: "hid_device_event", Size: 8, Func: true}}}
	f := &fake{}
	f.install(t)
	f.stop <- unix.SIGTERM
	if code, _, errOut := runMain(t, ops); code != 0 || strings.Join(f.events, ",") != "load hid_bpf_ops,attach,detach,close" {
		t.Errorf("exit %d, stderr %q, events %v", code, errOut, f.events)
	}
	if code, _, errOut := runMain(t, ops, "--call", "hid_device_event"); code != 1 ||
		!strings.Contains(errOut, "defined by module hid, which structops-gen did not generate: there is no trigger file") {
		t.Errorf("--call: exit %d, stderr %q", code, errOut)
	}
}

// TestMainNoReadBack: a module whose trigger has no read handler (the
// tutorial's hello.ko, reads fail with EIO) still gets its callbacks
// called in every mode: the loader reports the writes on stderr, prints no
// values and exits 0; only a failed write is a failure.
func TestMainNoReadBack(t *testing.T) {
	const note = "bpf_testmod_ops: the trigger has no read-back: read /proc/bpf_testmod_trigger: input/output error: the callbacks run, their values are not printed\n"
	for _, tc := range []struct {
		args      []string
		stopAfter int
		writes    []string
	}{
		{[]string{"--once"}, 0, []string{"Hello from userspace!"}},
		{[]string{"--call", "test_2 1 2", "--call", "test_1"}, 0, []string{"test_2 1 2", "test_1"}},
		{[]string{"--interval", "5s"}, 3, []string{"Hello from userspace!", "Periodic trigger", "Periodic trigger"}},
	} {
		f := &fake{readErr: syscall.EIO, stopAfter: tc.stopAfter, module: "hello"}
		f.install(t)
		code, out, errOut := runMain(t, testmodOps, tc.args...)
		if code != 0 || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
		if strings.Count(errOut, note) != 1 {
			t.Errorf("%q: stderr does not say once why there are no values:\n%s", tc.args, errOut)
		}
		for _, w := range tc.writes {
			if !strings.Contains(errOut, fmt.Sprintf("bpf_testmod_ops: wrote %q to /proc/bpf_testmod_trigger\n", w)) {
				t.Errorf("%q: stderr does not report the write of %q:\n%s", tc.args, w, errOut)
			}
		}
		if !strings.Contains(errOut, "bpf_testmod_ops: attached (registered by module hello)\n") || !strings.HasSuffix(errOut, "detached\n") {
			t.Errorf("%q: stderr does not name the module or the detach:\n%s", tc.args, errOut)
		}
		if n := f.writes; n != len(tc.writes) {
			t.Errorf("%q: %d writes, want %d", tc.args, n, len(tc.writes))
		}
		if f.events[len(f.events)-1] != "close" {
			t.Errorf("%q: not closed: %v", tc.args, f.events)
		}
	}

	// a failed write is a failure, naming the path once
	f := &fake{readErr: syscall.EIO}
	f.install(t)
	write := writeTrigger
	writeTrigger = func(path string, b []byte) error {
		_ = write(path, b)
		return &fs.PathError{Op: "write", Path: path, Err: syscall.EINVAL}
	}
	code, out, errOut := runMain(t, testmodOps, "--call", "test_2 1 2")
	if code != 1 || out != "" || errOut != "bpf_testmod_ops: attached\nbpf_testmod_ops: detached\nbpf_testmod_ops: line \"test_2 1 2\": write /proc/bpf_testmod_trigger: invalid argument\n" {
		t.Errorf("failed write: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestMainErrorPathOnce: a trigger error names the trigger's path once.
func TestMainErrorPathOnce(t *testing.T) {
	for _, e := range []error{syscall.EACCES, syscall.ENOENT} {
		f := &fake{readErr: e}
		f.install(t)
		code, _, errOut := runMain(t, testmodOps, "--once")
		if code != 1 || strings.Count(errOut, "/proc/bpf_testmod_trigger") != 1 || !strings.Contains(errOut, e.Error()) {
			t.Errorf("%v: exit %d, stderr %q", e, code, errOut)
		}
	}
	// the type found in a module that has not the spec's trigger
	f := &fake{readErr: syscall.ENOENT, module: "other"}
	f.install(t)
	if code, _, errOut := runMain(t, testmodOps, "--once"); code != 1 || !strings.Contains(errOut, "module other registers bpf_testmod_ops, but without the trigger of module bpf_testmod: read /proc/bpf_testmod_trigger: no such file or directory") {
		t.Errorf("foreign module without a trigger: exit %d, stderr %q", code, errOut)
	}
}

// TestMainVerifierHint: the runtime's verifier rejection carries the log;
// the loader points at --verifier-log when it shows only the last lines.
func TestMainVerifierHint(t *testing.T) {
	var log []string
	for i := range 20 {
		log = append(log, fmt.Sprintf("%d: (b7) r0 = %d", i, i))
	}
	f := &fake{loadErr: &bpf.VerifierError{Ops: "bpf_testmod_ops", Member: "test_2", Cause: syscall.EACCES, Log: log}}
	f.install(t)
	code, _, errOut := runMain(t, testmodOps, "--once")
	want := "bpf_testmod_ops: the verifier rejected callback test_2 of bpf_testmod_ops: permission denied\nverifier log, last lines (--verifier-log for all):\n\t5: (b7) r0 = 5\n"
	if code != 1 || !strings.HasPrefix(errOut, want) || strings.Contains(errOut, "Options.VerifierLog") {
		t.Errorf("exit %d, stderr %q, want it to start with %q", code, errOut, want)
	}
	f = &fake{loadErr: &bpf.VerifierError{Ops: "bpf_testmod_ops", Member: "test_2", Cause: syscall.EACCES, Log: log, Full: true}}
	f.install(t)
	if code, _, errOut := runMain(t, testmodOps, "--once", "--verifier-log"); code != 1 || !strings.Contains(errOut, "verifier log:\n\t0: (b7) r0 = 0\n") || strings.Contains(errOut, "for all") {
		t.Errorf("--verifier-log: exit %d, stderr %q", code, errOut)
	}
}

// --set hands the data members' bytes to Load; a member the kernel owns
// is refused before anything loads.
func TestMainSet(t *testing.T) {
	ops := &bpf.Ops{Name: "hid_ops", Module: "hid", Size: 24, Members: []bpf.Member{
		{Name: "id", Offset: 0, Size: 4, Data: &bpf.DataMember{Signed: true}},
		{Name: "name", Offset: 4, Size: 8, Data: &bpf.DataMember{String: true}},
		{Name: "owner", Offset: 16, Size: 8, KernelOwned: "the kernel sets it to the module that owns the map"},
	}}
	f := &fake{answer: func(string) string { return "" }}
	f.install(t)
	Main([]string{"--once", "--set", "id=-1", "--set", "name=t1"}, io.Discard, io.Discard, ops, testmodProgs)
	if f.opts == nil || !bytes.Equal(f.opts.Data["id"], []byte{0xff, 0xff, 0xff, 0xff}) || string(f.opts.Data["name"]) != "t1" {
		t.Fatalf("Options.Data = %v", f.opts)
	}
	f = &fake{}
	f.install(t)
	var e bytes.Buffer
	code := Main([]string{"--once", "--set", "owner=1"}, io.Discard, &e, ops, testmodProgs)
	if code == 0 || !strings.Contains(e.String(), "hid_ops.owner is set by the kernel, not the loader") || len(f.events) != 0 {
		t.Errorf("--set owner=1: exit %d, stderr %q, events %v", code, e.String(), f.events)
	}
}
