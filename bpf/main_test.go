package bpf

// Main with fakes in place of the kernel: no BPF, no proc file, no signals,
// no timers.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	sasm "github.com/structops/structops-gen/asm"
)

var testmodOps = &Ops{Name: "bpf_testmod_ops", Module: "bpf_testmod", Size: 24, Members: []Member{
	{Name: "test_1", Offset: 0, Size: 8, Func: true},
	{Name: "test_2", Offset: 8, Size: 8, Func: true},
	{Name: "test_3", Offset: 16, Size: 8, Func: true},
}}

func testmodProgs() map[string]asm.Instructions {
	return map[string]asm.Instructions{"test_1": {asm.Mov.Imm(asm.R0, 42), asm.Return()}}
}

// fake records what Main does.
type fake struct {
	events   []string
	loadErr  error
	attachEr error
	opts     *Options
	// answer returns what reading the trigger gives after writing line
	answer func(line string) string
	last   string
	stop   chan os.Signal
	tick   chan time.Time
	// after n writes, deliver SIGINT
	stopAfter int
	writes    int
	linkID    uint32
}

func (f *fake) Attach() error {
	f.events = append(f.events, "attach")
	return f.attachEr
}
func (f *fake) Detach() error { f.events = append(f.events, "detach"); return nil }
func (f *fake) Close() error  { f.events = append(f.events, "close"); return nil }
func (f *fake) LinkID() (uint32, error) {
	f.events = append(f.events, "link id")
	return f.linkID, nil
}

// install replaces the kernel-facing functions with f for the test.
func (f *fake) install(t *testing.T) {
	f.stop = make(chan os.Signal, 1)
	f.tick = make(chan time.Time, 10)
	oldLoad, oldW, oldR, oldN, oldT := loadImpl, writeTrigger, readTrigger, notifyStop, newTicker
	t.Cleanup(func() { loadImpl, writeTrigger, readTrigger, notifyStop, newTicker = oldLoad, oldW, oldR, oldN, oldT })
	loadImpl = func(ops *Ops, progs map[string]asm.Instructions, opts *Options) (implementation, error) {
		f.events = append(f.events, "load "+ops.Name)
		f.opts = opts
		if f.loadErr != nil {
			return nil, f.loadErr
		}
		return f, nil
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
		if f.answer == nil {
			return nil, nil
		}
		return []byte(f.answer(f.last)), nil
	}
	notifyStop = func() (<-chan os.Signal, func()) { return f.stop, func() {} }
	newTicker = func(time.Duration) (<-chan time.Time, func()) { return f.tick, func() {} }
}

func runMain(t *testing.T, ops *Ops, args ...string) (code int, stdout, stderr string) {
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
	ops := &Ops{Name: "tcp_congestion_ops", Size: 8, Members: []Member{{Name: "ssthresh", Size: 8, Func: true}}}
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
	f := &fake{loadErr: errors.New("struct_ops type bpf_testmod_ops not found: load the module first: insmod module/bpf_testmod.ko")}
	f.install(t)
	code, _, errOut := runMain(t, testmodOps, "--once", "--verifier-log")
	if code != 1 || !strings.Contains(errOut, "insmod module/bpf_testmod.ko") {
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
		{nil, config{interval: 2 * time.Second}, ""},
		{[]string{"--interval", "500ms", "--once"}, config{interval: 500 * time.Millisecond, once: true}, ""},
		{[]string{"--call", "test_2 1 2"}, config{interval: 2 * time.Second, calls: []string{"test_2 1 2"}}, ""},
		{[]string{"--call", "test_1", "--call", "test_2 1 2"}, config{interval: 2 * time.Second, calls: []string{"test_1", "test_2 1 2"}}, ""},
		{[]string{"--call", "test_2", "1"}, config{}, `unexpected argument "1": quote the --call value`},
		{[]string{"--call", " "}, config{}, "--call needs"},
		{[]string{"--once", "--call", "x"}, config{}, "exclude each other"},
		{[]string{"--interval", "0s"}, config{}, "positive duration"},
		{[]string{"--interval", "soon"}, config{}, "invalid argument"},
		{[]string{"--bogus"}, config{}, "unknown flag: --bogus"},
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

func TestSpec(t *testing.T) {
	ops := &Ops{Name: "tcp_congestion_ops", Size: 40, Members: []Member{
		{Name: "ssthresh", Offset: 0, Size: 8, Func: true},
		{Name: "a_very_long_callback_name", Offset: 8, Size: 8, Func: true},
		{Name: "name", Offset: 16, Size: 16},
		{Name: "flags", Offset: 32, Size: 4},
	}}
	progs := map[string]asm.Instructions{
		"ssthresh":                  {asm.Mov.Imm(asm.R0, 1), asm.Return()},
		"a_very_long_callback_name": {asm.Mov.Imm(asm.R0, 1), asm.Return()},
	}
	spec, err := Spec(ops, progs, &Options{Data: map[string][]byte{"name": []byte("cc")}})
	if err != nil {
		t.Fatal(err)
	}
	p := spec.Programs["a_very_long_callback_name"]
	if p.Name != "a_very_long_cal" || p.AttachTo != "tcp_congestion_ops:a_very_long_callback_name" || p.License != "GPL" {
		t.Errorf("program spec %+v", p)
	}
	if _, ok := spec.Maps[".rodata"]; ok {
		t.Error("a .rodata map without strings")
	}
	m := spec.Maps["tcp_congestion_ops"]
	if m.Flags != 0x2000 || m.MaxEntries != 1 || m.KeySize != 4 {
		t.Errorf("map spec %+v", m)
	}
	st := m.Value.(*btf.Struct)
	var names []string
	for _, mem := range st.Members {
		names = append(names, fmt.Sprintf("%s@%d", mem.Name, mem.Offset.Bytes()))
	}
	// flags has no data: left out
	if strings.Join(names, " ") != "ssthresh@0 a_very_long_callback_name@8 name@16" || st.Size != 40 {
		t.Errorf("value struct members %v size %d", names, st.Size)
	}
	value := m.Contents[0].Value.([]byte)
	if len(value) != 40 || string(value[16:18]) != "cc" || value[18] != 0 {
		t.Errorf("value %q", value)
	}

	// strings make a frozen .rodata; the caller's programs are not modified
	with := map[string]asm.Instructions{"ssthresh": append(sasm.String(asm.R1, "hi"), asm.Return())}
	spec, err = Spec(ops, with, &Options{Data: map[string][]byte{"name": []byte("cc")}})
	if err != nil {
		t.Fatal(err)
	}
	ro := spec.Maps[".rodata"]
	if ro == nil || string(ro.Contents[0].Value.([]byte)) != "hi\x00" || ro.Flags != 0x80 {
		t.Fatalf(".rodata %+v", ro)
	}
	if with["ssthresh"][0].Reference() != "" || spec.Programs["ssthresh"].Instructions[0].Reference() != ".rodata" {
		t.Error("Spec changed the caller's instructions or did not link its copy")
	}

	for _, c := range []struct {
		ops   *Ops
		progs map[string]asm.Instructions
		data  map[string][]byte
		err   string
	}{
		{ops, map[string]asm.Instructions{"nope": progs["ssthresh"]}, nil, "has no callback nope"},
		{ops, map[string]asm.Instructions{"name": progs["ssthresh"]}, nil, "has no callback name"},
		{ops, progs, map[string][]byte{"name": make([]byte, 17)}, "17 bytes do not fit the 16-byte member"},
		{ops, progs, map[string][]byte{"ssthresh": {1}}, "no data member ssthresh"},
		{ops, nil, nil, "no programs"},
		{&Ops{Name: "x", Size: 8, Members: []Member{{Name: "f", Offset: 4, Size: 8, Func: true}}}, nil, nil, "does not fit"},
		{&Ops{Name: "x", Size: 16, Members: []Member{{Name: "f", Offset: 4, Size: 8, Func: true}}}, nil, nil, "8-aligned"},
		{&Ops{Size: 8}, nil, nil, "without a name"},
	} {
		_, err := Spec(c.ops, c.progs, &Options{Data: c.data})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("Spec: %v, want %q", err, c.err)
		}
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
	ops := &Ops{Name: "hid_bpf_ops", Module: "hid", NoTrigger: true, Size: 8, Members: []Member{{Name: "hid_device_event", Size: 8, Func: true}}}
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
