package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/vm"
)

const modulePath = "github.com/structops/structops-gen"

// kernel returns the VM kernel. With STRUCTOPS_VM=1 (make test sets it) it
// is fetched when missing and every failure is fatal; otherwise the test
// skips unless a kernel is cached and qemu installed.
func kernel(t *testing.T) *vm.Kernel {
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
	k, err := vm.Prepare(ctx, vm.Config{CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Offline: !required, Progress: logWriter{t}})
	if err != nil {
		if !required {
			t.Skipf("no cached kernel (%v): run `go run ./cmd/structops-vm fetch` or set STRUCTOPS_VM=1", err)
		}
		t.Fatal(err)
	}
	return k
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// stack is one generated stack under test: its model, module source dir and
// loader package.
type stack struct {
	name   string
	ops    *gen.Ops
	dir    string // output dir of the generator
	loader string // guest path of the loader binary
}

func goldenStack(t *testing.T, name, header string) stack {
	o, err := gen.Load(gen.Spec{Header: header})
	if err != nil {
		t.Fatal(err)
	}
	return stack{name: name, ops: o, dir: filepath.Join("..", "gen", "testdata", "golden", name, "want"),
		loader: "/bin/" + name + "-loader"}
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
// the trigger returns what its body computes, detach and rmmod are clean,
// and a loader for the wrong spec fails with a clear message.
func TestGeneratedStacksInVM(t *testing.T) {
	k := kernel(t)
	ctx := context.Background()
	work := t.TempDir()

	stacks := []stack{goldenStack(t, "default", "")}
	hs, _ := filepath.Glob("../gen/testdata/headers/*.h")
	for _, h := range hs {
		stacks = append(stacks, goldenStack(t, strings.TrimSuffix(filepath.Base(h), ".h"), h))
	}
	mismatchMember := generated(t, "mismatch_member", "testdata/mismatch_member.h")
	mismatchSig := generated(t, "mismatch_sig", "testdata/mismatch_sig.h")

	var kos []string
	var files []vm.File
	for _, s := range stacks {
		built, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(s.dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build-"+s.name), W1: true})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		kos = append(kos, built...)
		// the module's BTF describes the same struct as the spec it came from
		bf, err := gen.LoadBTF(built[0], filepath.Join(k.KDir, "vmlinux"))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		fromBTF, err := gen.FromBTF(bf, s.ops.Name)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if d := s.ops.Equal(fromBTF); d != "" {
			t.Errorf("%s: the spec and the built module's BTF disagree: %s", s.name, d)
		}
	}
	for _, s := range append(stacks, mismatchMember, mismatchSig) {
		bin := filepath.Join(work, s.name+"-loader")
		goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(s.dir, gen.GoPackage(s.ops.Name), "loader")))
		files = append(files, vm.File{HostPath: bin, GuestPath: s.loader})
	}
	def := stacks[0]
	plan := Plan{Steps: []Step{
		{Name: "default-once", Argv: []string{def.loader, "--once"},
			WantStdout: []string{"test_1 42", "test_2 30", "test_3 21"}, WantStderr: []string{"attached", "detached"}},
		{Name: "default-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 1},
		{Name: "default-trace-test_2", Trace: "BPF test_2 called: 10 + 20 = 30"},
		{Name: "default-trace-test_3", Trace: "Full buffer: Hello from userspace!"},
		{Name: "default-trace-test_3-chars", Trace: "Buffer content: 'Hell'"},
		{Name: "default-call", Argv: []string{def.loader, "--call", "test_2 -7 3"}, WantStdout: []string{"-4"}},
		{Name: "default-call-test_3", Argv: []string{def.loader, "--call", "test_3 hello 5"}, WantStdout: []string{"5"}},
		{Name: "sigkill-while-attached", Argv: []string{def.loader, "--interval", "1h"}, KillOn: "attached", WantExit: 128 + 9,
			While: &Step{Name: "rmmod-refused-while-attached", Rmmod: "bpf_testmod", WantErrno: "EAGAIN"}},
		{Name: "sigkill-unregisters", WaitKmsg: "bpf_testmod_ops unregistered", Count: 4},
		{Name: "wrong-spec-member", Argv: []string{mismatchMember.loader, "--once"}, WantExit: 1, WantStderr: []string{"test_4"}},
		{Name: "wrong-spec-signature", Argv: []string{mismatchSig.loader, "--once"}, WantExit: 1, WantStderr: []string{"test_2"}},
		{Name: "rmmod-default", Rmmod: "bpf_testmod"},
	}}
	for _, s := range stacks[1:] {
		calls := Calls(s.ops)
		argv := []string{s.loader}
		var want []string
		for _, c := range calls {
			argv = append(argv, "--call", c.Line)
			want = append(want, c.Want)
		}
		plan.Steps = append(plan.Steps,
			Step{Name: s.name + "-calls", Argv: argv, WantStdout: want},
			Step{Name: s.name + "-rmmod", Rmmod: s.ops.ModuleName()})
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
	res, err := vm.Run(context.Background(), k, vm.RunSpec{Modules: kos, Files: files, Command: []string{"/bin/e2e-guest", "/plan.json"},
		NoTrace: true, Timeout: 10 * time.Minute}, nil)
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
