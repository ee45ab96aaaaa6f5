package e2e

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/bpf"
	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/read/btfspec"
	"github.com/structops/structops-gen/vm"
)

const modulePath = "github.com/structops/structops-gen"

// kernel returns the VM kernel. With STRUCTOPS_VM=1 (make test sets it) it
// is fetched when missing and every failure is fatal; otherwise the test
// skips unless a kernel is cached and qemu installed.
func kernel(t *testing.T) *vm.Kernel {
	t.Helper()
	return kernelSeries(t, "")
}

// kernelSeries is kernel for a given Debian kernel series ("" for the
// default, 6.12).
func kernelSeries(t *testing.T, series string) *vm.Kernel {
	t.Helper()
	required := os.Getenv("STRUCTOPS_VM") == "1"
	if !required {
		if testing.Short() {
			t.Skip("boots a VM: skipped in -short mode (STRUCTOPS_VM=1 forces it)")
		}
		if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
			t.Skip("qemu-system-x86_64 not installed; STRUCTOPS_VM=1 (make test) makes this a failure")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	k, err := vm.Prepare(ctx, vm.Config{Series: series, CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Offline: !required, Progress: logWriter{t}})
	if err != nil {
		if !required {
			fetch := "go run ./cmd/structops-vm fetch"
			if series != "" {
				fetch += " --series " + series
			}
			t.Skipf("no cached kernel (%v): run `%s` or set STRUCTOPS_VM=1", err, fetch)
		}
		t.Fatal(err)
	}
	return k
}

type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// stack is one generated stack under test: its model, module source dir and
// loader package.
type stack struct {
	name   string
	ops    *model.Ops
	dir    string // output dir of the generator
	loader string // guest path of the loader binary
}

func goldenStack(t *testing.T, name, header string) stack {
	return goldenStackSpec(t, name, gen.Spec{Header: header})
}

// goldenStackSpec is goldenStack for a spec with options (--ops, -I).
func goldenStackSpec(t *testing.T, name string, spec gen.Spec) stack {
	o, err := gen.Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	// the built-in spec's golden files are the checked-in default stack
	dir := filepath.Join("..", "gen", "testdata", "golden", name, "want")
	if name == "default" {
		dir = ".."
	}
	return stack{name: name, ops: o, dir: dir, loader: "/bin/" + name + "-loader"}
}

// generated renders a spec into e2e/testdata/out/<name> (inside the Go
// module, so its loader builds).
func generated(t *testing.T, name, header string) stack {
	o, err := gen.Load(gen.Spec{Header: header})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "out", name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	fs, err := gen.Render(o, gen.Options{GoImport: modulePath + "/e2e/testdata/out/" + name})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Write(dir); err != nil {
		t.Fatal(err)
	}
	return stack{name: name, ops: o, dir: dir, loader: "/bin/" + name + "-loader"}
}

// stackSteps checks a header spec's stack: --once calls every callback
// with the spec's demo arguments, then every callback is called with
// arguments that exercise each width and signedness, each returning what
// its default body computes (worked out here, in Go), then malformed
// trigger lines must not crash the module.
func stackSteps(t *testing.T, s stack) []Step {
	t.Helper()
	argv := []string{s.loader}
	var want []string
	for _, c := range Calls(s.ops) {
		argv = append(argv, "--call", c.Line)
		want = append(want, c.Want)
	}
	// the loader prints the trigger's data member lines first: the
	// members it sets, zero unless --set
	var once []string
	for _, m := range s.ops.DataMembers() {
		switch init, _ := m.DataInit(); init {
		case model.DataCopy:
			once = append(once, "."+m.Name+" 0")
		case model.DataString:
			once = append(once, "."+m.Name+` ""`)
		}
	}
	for _, line := range s.ops.DemoCalls {
		member, v, err := Expect(s.ops, line)
		if err != nil {
			t.Fatal(err)
		}
		once = append(once, member+" "+v)
	}
	steps := []Step{
		{Name: s.name + "-once", Argv: []string{s.loader, "--once"}, WantStdout: once, WantStderr: []string{"detached"}},
		{Name: s.name + "-calls", Argv: argv, WantStdout: want},
		statsStep(t, s),
	}
	return append(steps, malformed(s)...)
}

// statsStep calls a stack's first callback 3 times and its second once
// (the first alone if it has one) with --stats: the loader prints the
// values, then each implemented callback's count, which is its number of
// calls in this run (the counts start at 0 with each load).
func statsStep(t *testing.T, s stack) Step {
	t.Helper()
	c := s.ops.Counts
	if c == nil {
		t.Fatalf("%s: the stack counts no calls", s.name)
	}
	calls := Calls(s.ops)
	picked := []Call{calls[0], calls[0], calls[0]}
	if len(calls) > 1 {
		picked = append(picked, calls[1])
	}
	argv := []string{s.loader, "--stats"}
	var want []string
	n := map[string]int{}
	for _, cl := range picked {
		argv = append(argv, "--call", cl.Line)
		want = append(want, cl.Want)
		n[strings.Fields(cl.Line)[0]]++
	}
	for _, m := range c.Members {
		want = append(want, fmt.Sprintf("%s %d", m, n[m]))
	}
	return Step{Name: s.name + "-stats", Argv: argv, WantStdout: want}
}

// checkModuleBTF reads a built module's BTF back: it must describe the
// same struct, with the same type definitions, as the spec it came from,
// and the same CFI stub names.
func checkModuleBTF(t *testing.T, s stack, ko string, k *vm.Kernel) *model.Ops {
	t.Helper()
	fromBTF := readModuleBTF(t, ko, k, s.ops.Name)
	if d := s.ops.Equal(fromBTF); d != "" {
		t.Errorf("%s: the spec and the built module's BTF disagree: %s", s.name, d)
	}
	if d := stubNamesDiffer(s.ops, fromBTF); d != "" {
		t.Errorf("%s: the spec and the built module's CFI stubs disagree: %s", s.name, d)
	}
	return fromBTF
}

// readModuleBTF reads struct name from a built module's BTF as a whole
// spec: the ops struct and the definitions of the types the module
// defines (btfspec.ReadModule, what --emit-module reads).
func readModuleBTF(t *testing.T, ko string, k *vm.Kernel, name string) *model.Ops {
	t.Helper()
	f, err := btfspec.Load(ko, filepath.Join(k.KDir, "vmlinux"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := btfspec.ReadModule(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// stubNamesDiffer compares the parameters' CFI stub names (with their
// __nullable and __ref marks, which live only on the stubs) of a spec and
// of the model read back from a built module's BTF.
func stubNamesDiffer(spec, built *model.Ops) string {
	for _, m := range spec.Callbacks() {
		for _, b := range built.Callbacks() {
			if b.Name != m.Name || len(b.Func.Params) != len(m.Func.Params) {
				continue
			}
			for j, p := range m.Func.Params {
				if got := b.Func.Params[j].StubName(); got != p.StubName() {
					return fmt.Sprintf("%s: parameter %d is %s in the BTF, %s in the spec", m.Name, j, got, p.StubName())
				}
			}
		}
	}
	return ""
}

// tooNew says why a stack's module cannot run on kernel k, or "".
func tooNew(o *model.Ops, k *vm.Kernel) string {
	v, err := bpf.ParseKernelRelease(k.Version)
	if err != nil {
		return ""
	}
	if sa := o.StackArgs(); len(sa) > 0 && v.Less(bpf.KernelVersion{Major: model.StackArgsSince[0], Minor: model.StackArgsSince[1]}) {
		return fmt.Sprintf("its callbacks with stack arguments (%s) need %d.%d", strings.Join(sa, ", "), model.StackArgsSince[0], model.StackArgsSince[1])
	}
	if refs := o.Refs(); len(refs) > 0 && v.Less(bpf.KernelVersion{Major: 6, Minor: 15}) {
		return fmt.Sprintf("its __ref arguments (%s) need 6.15", strings.Join(refs, ", "))
	}
	return ""
}

// tooOldRefusal is what a stack's loader says on a kernel tooNew
// refuses: the version it needs and the feature that needs it.
func tooOldRefusal(o *model.Ops, k *vm.Kernel) []string {
	if len(o.StackArgs()) > 0 {
		return []string{fmt.Sprintf("struct_ops type %s needs Linux %d.%d or newer, this is %s", o.Name,
			model.StackArgsSince[0], model.StackArgsSince[1], k.Version), "more than 6 arguments"}
	}
	return []string{"struct_ops type " + o.Name + " needs Linux 6.15 or newer, this is " + k.Version, "__ref"}
}

// malformed writes Malformed lines to the stack's trigger: any answer is
// fine, a crash is not (the test checks the kernel log for oopses).
func malformed(s stack) []Step {
	var steps []Step
	for i, line := range Malformed(s.ops) {
		steps = append(steps, Step{Name: fmt.Sprintf("%s-malformed-%d", s.name, i), Write: s.ops.TriggerPath(), Data: line, AnyResult: true})
	}
	return steps
}

// breakTest2 makes the test_2 program of a default stack read a third
// argument test_2 does not have (ctx[2]): the module's verifier ops
// (bpf_tracing_btf_ctx_access) must refuse it.
func breakTest2(t *testing.T, s stack) {
	t.Helper()
	name := filepath.Join(s.dir, model.GoPackage(s.ops.Name), "callbacks.go")
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(b), "func Test2()")
	const arg = "s.Arg(asm.R4, 1),"
	if !ok || !strings.Contains(body, arg) {
		t.Fatalf("%s: no %q in Test2: the default body changed, update breakTest2", name, arg)
	}
	body = strings.Replace(body, arg, "asm.Instructions{asm.LoadMem(asm.R4, asm.R1, 16, asm.DWord)}, // ctx[2]: past the arguments", 1)
	head, _, _ := strings.Cut(string(b), "func Test2()")
	if err := os.WriteFile(name, []byte(head+"func Test2()"+body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func goBuild(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

var stepLine = regexp.MustCompile(`(?m)^E2E-STEP (\S+): (PASS|FAIL)(.*)$`)

// TestGeneratedStacksInVM boots every golden stack in one VM: the modules
// load and register, the loaders attach, every callback called through
// the trigger returns what its body computes, --stats counts exactly the
// calls made, detach and rmmod are clean, and a loader for the wrong spec
// fails with a clear message. e2e/mapsguest checks, on the kn_ops stack,
// that the counts survive a hot swap and a ring buffer delivers events in
// order.
func TestGeneratedStacksInVM(t *testing.T) {
	k := kernel(t)
	ctx := context.Background()
	work := t.TempDir()

	stacks := []stack{goldenStack(t, "default", "")}
	var newer []stack // for a newer kernel: their loaders must say so
	specs := goldenHeaderSpecs(t)
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		s := goldenStackSpec(t, name, specs[name])
		if why := tooNew(s.ops, k); why != "" {
			runner := "TestDefaultStackSeries2InVM"
			if len(s.ops.StackArgs()) > 0 {
				runner = "TestStackArgsSeries2InVM"
			}
			t.Logf("%s: not on %s: %s (%s runs it)", s.name, k.Version, why, runner)
			newer = append(newer, s)
			continue
		}
		stacks = append(stacks, s)
	}
	mismatchMember := generated(t, "mismatch_member", "testdata/mismatch_member.h")
	mismatchSig := generated(t, "mismatch_sig", "testdata/mismatch_sig.h")
	subset := generated(t, "subset", "testdata/subset.h")
	badProg := generated(t, "badprog", "")
	breakTest2(t, badProg)

	var kos []string
	var files []vm.File
	for _, s := range stacks {
		built, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(s.dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build-"+s.name), W1: true})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		kos = append(kos, built...)
		checkModuleBTF(t, s, built[0], k)
	}
	for _, s := range append(append(stacks, newer...), mismatchMember, mismatchSig, subset, badProg) {
		bin := filepath.Join(work, s.name+"-loader")
		goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(s.dir, model.GoPackage(s.ops.Name), "loader")))
		files = append(files, vm.File{HostPath: bin, GuestPath: s.loader})
	}
	mapsGuest := filepath.Join(work, "mapsguest")
	goBuild(t, mapsGuest, "./mapsguest")
	files = append(files, vm.File{HostPath: mapsGuest, GuestPath: "/bin/mapsguest"})
	def := stacks[0]
	trigger := def.ops.TriggerPath()
	plan := Plan{Steps: []Step{
		// --timing says how vmlinux's BTF was read (6.12 does not map the file: a module's type reads only what it follows)
		{Name: "default-once", Argv: []string{def.loader, "--once", "--timing"},
			WantStdout: []string{"test_1 42", "test_2 30", "test_3 21"}, WantStderr: []string{"attached", "detached", "timing: kernel BTF: vmlinux paged,"}},
		{Name: "default-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 1},
		{Name: "default-trace-test_2", Trace: "BPF test_2 called: 10 + 20 = 30"},
		{Name: "default-trace-test_3", Trace: "Full buffer: Hello from userspace!"},
		{Name: "default-trace-test_3-chars", Trace: "Buffer content: 'Hell'"},
		{Name: "default-call", Argv: []string{def.loader, "--call", "test_2 -7 3"}, WantStdout: []string{"-4"}},
		{Name: "default-call-test_3", Argv: []string{def.loader, "--call", "test_3 hello 5"}, WantStdout: []string{"5"}},
		{Name: "sigkill-while-attached", Argv: []string{def.loader, "--interval", "1h"}, KillOn: "attached", WantExit: 128 + 9,
			While: &Step{Name: "rmmod-refused-while-attached", Rmmod: "bpf_testmod", WantErrno: "EAGAIN"}},
		{Name: "sigkill-unregisters", WaitKmsg: "bpf_testmod_ops unregistered", Count: 4},
		{Name: "wrong-spec-member", Argv: []string{mismatchMember.loader, "--once"}, WantExit: 1,
			WantStderr: []string{"the kernel's struct bpf_testmod_ops has no callback test_4"}},
		{Name: "wrong-spec-signature", Argv: []string{mismatchSig.loader, "--once"}, WantExit: 1,
			WantStderr: []string{"callback test_2 is s32 test_2(s32, s32) in the kernel, s64 test_2(s64, s32, s32) in the spec: the module and the loader come from different specs"}},
		{Name: "verifier-rejects-ctx-read-past-args", Argv: []string{badProg.loader, "--once"}, WantExit: 1,
			WantStderr: []string{"the verifier rejected callback test_2 of bpf_testmod_ops", "verifier log"}},
		{Name: "no-cap-bpf", Argv: []string{def.loader, "--once"}, Uid: 65534, WantExit: 1,
			WantStderr: []string{"permission denied: run as root or with CAP_BPF and CAP_SYS_ADMIN"}},
		// the trigger, by hand, while the default loader stays attached
		{Name: "default-attached", Argv: []string{def.loader, "--interval", "1h"}, Background: "def", Ready: "triggering every"},
		{Name: "trigger-mode", Stat: trigger, WantMode: "0600"},
		{Name: "trigger-hex", Write: trigger, Data: "test_2 0x10 -0x3", WantLines: []string{"test_2 13"}},
		{Name: "trigger-out-of-range", Write: trigger, Data: "test_2 2147483648 1", WantErrno: "ERANGE",
			WantLines: []string{`error: test_2: argument a: "2147483648" is not a number in [-2147483648, 2147483647]`}},
		{Name: "trigger-out-of-range-log", WaitKmsg: `test_2: argument a: "2147483648" is not a number in [-2147483648, 2147483647]`, Count: 1},
		{Name: "trigger-not-a-number", Write: trigger, Data: "test_2 ten 1", WantErrno: "ERANGE"},
		{Name: "trigger-missing-argument", Write: trigger, Data: "test_2 1", WantErrno: "EINVAL",
			WantLines: []string{"error: test_2: missing argument b"}},
		{Name: "trigger-extra-words", Write: trigger, Data: "test_2 1 2 3  4\n", WantErrno: "EINVAL",
			WantLines: []string{`error: test_2: extra words "3  4" after its arguments`}},
		{Name: "trigger-too-long", Write: trigger, Data: "test_2 1 2" + strings.Repeat(" ", 300), WantErrno: "E2BIG",
			WantLines: []string{"error: a line of 310 bytes: the trigger takes at most 255"}},
		{Name: "trigger-reason-cleared", Write: trigger, Data: "test_2 5 6", WantLines: []string{"test_2 11"}, NotLines: []string{"error:"}},
		{Name: "default-detach", Stop: "def", WantStdout: []string{"test_1 42", "test_2 30", "test_3 21"}, WantStderr: []string{"detached"}},
		// a refused --call prints the module's reason
		{Name: "call-refused-reason", Argv: []string{def.loader, "--call", "test_2 1 2 3"}, WantExit: 1,
			WantStderr: []string{`invalid argument: test_2: extra words "3" after its arguments`}},
		// a loader implementing test_1 and test_2 only: test_3 stays unset
		{Name: "subset-attached", Argv: []string{subset.loader, "--interval", "1h"}, Background: "subset", Ready: "triggering every"},
		{Name: "unset-callback", Write: trigger, Data: "test_3 hi 2", WantErrno: "ENOTSUP"}, // = EOPNOTSUPP on Linux
		{Name: "unset-callback-demo", Write: trigger, Data: "Hello from userspace!", WantLines: []string{"test_2 30"}},
		{Name: "unset-callback-reported", WaitKmsg: "test_3() not called: not implemented by the attached bpf_testmod_ops", Count: 1},
		{Name: "subset-detach", Stop: "subset", WantStderr: []string{"detached"}},
		{Name: "all-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 6},
	}}
	plan.Steps = append(plan.Steps, malformed(def)...)
	plan.Steps = append(plan.Steps, []Step{
		{Name: "rmmod-default", Rmmod: "bpf_testmod"},
		{Name: "module-not-loaded", Argv: []string{def.loader, "--once"}, WantExit: 1,
			WantStderr: []string{"struct_ops type bpf_testmod_ops not found in any loaded module's BTF: load the module first: insmod OUT/module/bpf_testmod.ko"}},
	}...)
	for _, s := range newer {
		plan.Steps = append(plan.Steps, Step{Name: s.name + "-kernel-too-old", Argv: []string{s.loader, "--once"}, WantExit: 1,
			WantStderr: tooOldRefusal(s.ops, k)})
	}
	// maps on the kn_ops stack: counts across a hot swap, a ring buffer
	plan.Steps = append(plan.Steps, Step{Name: "maps-swap-ringbuf", Argv: []string{"/bin/mapsguest"}})
	for _, s := range stacks[1:] {
		plan.Steps = append(plan.Steps, stackSteps(t, s)...)
		plan.Steps = append(plan.Steps, Step{Name: s.name + "-rmmod", Rmmod: s.ops.ModuleName()})
	}
	res := runPlan(t, k, kos, files, plan, work)
	for _, want := range []string{"test_1() returned: 42", "test_2(10, 20) returned: 30", "test_3() called with buffer",
		"bpf_testmod_ops registered", "test_2(-7, 3) returned: -4"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("kernel log lacks %q", want)
		}
	}
	checkKernelLog(t, res.Console)
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}

// runPlan boots the VM with the modules loaded and the files in place, runs
// the plan with the guest runner (built here) and fails the test for every
// step that failed or did not report.
func runPlan(t *testing.T, k *vm.Kernel, kos []string, files []vm.File, plan Plan, work string) *vm.Result {
	t.Helper()
	guestBin := filepath.Join(work, "e2e-guest")
	goBuild(t, guestBin, "./guest")
	planFile := filepath.Join(work, "plan.json")
	if err := plan.WriteFile(planFile); err != nil {
		t.Fatal(err)
	}
	files = append(files, vm.File{HostPath: guestBin, GuestPath: "/bin/e2e-guest"}, vm.File{HostPath: planFile, GuestPath: "/plan.json"})
	var console io.Writer // STRUCTOPS_E2E_CONSOLE=<file> keeps the whole console
	if name := os.Getenv("STRUCTOPS_E2E_CONSOLE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		console = f
	}
	res, err := vm.Run(context.Background(), k, vm.RunSpec{Modules: kos, Files: files, Command: []string{"/bin/e2e-guest", "/plan.json"},
		NoTrace: true, Timeout: 5 * time.Minute}, console)
	if err != nil {
		t.Fatal(err)
	}
	steps := stepLine.FindAllStringSubmatch(res.Console, -1)
	for _, m := range steps {
		if m[2] == "FAIL" {
			t.Errorf("step %s failed%s", m[1], m[3])
		} else {
			t.Logf("step %s: PASS%s", m[1], m[3])
		}
	}
	if len(steps) != len(plan.Steps) {
		t.Errorf("%d of %d steps reported; console tail:\n%s", len(steps), len(plan.Steps), tail(res.Console, 60))
	}
	if res.ExitCode != 0 && !t.Failed() {
		t.Errorf("guest exit status %d; console tail:\n%s", res.ExitCode, tail(res.Console, 60))
	}
	return res
}

// checkKernelLog fails the test on a warning, oops or stall in the console.
func checkKernelLog(t *testing.T, console string) {
	t.Helper()
	for _, bad := range []string{"WARNING:", "BUG:", "Oops", "Call Trace:", "rcu_sched self-detected stall", "general protection"} {
		if strings.Contains(console, bad) {
			t.Errorf("kernel log has %q:\n%s", bad, tail(console, 80))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
