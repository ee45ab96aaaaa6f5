package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/vm"
)

// TestForeignModuleInVM runs the default loader against a module
// structops-gen did not generate, in the shape of the struct_ops
// tutorial's (e2e/testdata/hello): it registers struct bpf_testmod_ops
// under the module name hello, and its trigger has no read handler. The
// loader finds the type in hello's BTF and names the module, calls the
// callbacks in every mode (the module logs the values), reports the
// writes, exits 0, and detaches.
func TestForeignModuleInVM(t *testing.T) {
	k := kernel(t)
	work := t.TempDir()
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join("testdata", "hello"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
	if err != nil {
		t.Fatal(err)
	}
	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "../bpftestmodops/loader")
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/loader"}}

	const trigger = "/proc/bpf_testmod_trigger"
	attached := "bpf_testmod_ops: attached (registered by module hello)"
	noReadBack := "bpf_testmod_ops: the trigger has no read-back: read " + trigger + ": input/output error: the callbacks run, their values are not printed"
	wrote := func(line string) string { return `bpf_testmod_ops: wrote "` + line + `" to ` + trigger }
	plan := Plan{Steps: []Step{
		{Name: "hello-once", Argv: []string{"/bin/loader", "--once"}, WantStdout: []string{""},
			WantStderr: []string{attached, noReadBack, wrote("Hello from userspace!"), "bpf_testmod_ops: detached"}},
		{Name: "hello-once-called", WaitKmsg: "test_2(10, 20) returned: 30", Count: 1},
		{Name: "hello-once-traced", Trace: "BPF test_2 called: 10 + 20 = 30"},
		{Name: "hello-call", Argv: []string{"/bin/loader", "--call", "test_2 1 2"}, WantStdout: []string{""},
			WantStderr: []string{attached, noReadBack, wrote("test_2 1 2"), "bpf_testmod_ops: detached"}},
		{Name: "hello-call-called", WaitKmsg: "test_1() returned: 42", Count: 2},
		{Name: "hello-periodic", Argv: []string{"/bin/loader", "--interval", "100ms"}, Background: "p", Ready: wrote("Periodic trigger")},
		{Name: "hello-periodic-stop", Stop: "p", WantStdout: []string{""},
			WantStderr: []string{attached, wrote("Hello from userspace!"), wrote("Periodic trigger"), "bpf_testmod_ops: detached"}},
		{Name: "hello-unregistered", WaitKmsg: "bpf_testmod_ops unregistered", Count: 3},
		{Name: "hello-rmmod", Rmmod: "hello"},
		{Name: "hello-gone", Argv: []string{"/bin/loader", "--once"}, WantExit: 1,
			WantStderr: []string{"struct_ops type bpf_testmod_ops not found in any loaded module's BTF: load the module first"}},
	}}
	res := runPlan(t, k, kos, files, plan, work)
	if n := strings.Count(res.Console, "test_3() returned: "); n < 3 {
		t.Errorf("kernel log has %d test_3 calls, want at least 3", n)
	}
	checkKernelLog(t, res.Console)
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}
