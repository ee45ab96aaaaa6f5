package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/vm"
)

// TestInstancesInVM boots the golden module generated with --instances 2
// (gen/testdata/golden/instances2): the generated loader takes slot 0 and
// keeps it while e2e/slots attaches a second implementation in slot 1,
// sees a third attach refused, calls each slot through the trigger and
// hot-swaps slot 1 without touching slot 0; then a second loader fills
// the free slot, a bad slot number is refused, rmmod is refused while
// attached and succeeds once every implementation is gone.
func TestInstancesInVM(t *testing.T) {
	k := kernel(t)
	work := t.TempDir()
	o, err := gen.Load(gen.Spec{Instances: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "gen", "testdata", "golden", "instances2", "want")
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
	if err != nil {
		t.Fatal(err)
	}
	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "./"+filepath.ToSlash(filepath.Join(dir, model.GoPackage(o.Name), "loader")))
	slots := filepath.Join(work, "slots")
	goBuild(t, slots, "./slots")
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/loader"}, {HostPath: slots, GuestPath: "/bin/slots"}}

	trigger := "/proc/" + o.ModuleName() + "_trigger"
	tutorial := []string{"test_1 42", "test_2 30", "test_3 21"}
	plan := Plan{Steps: []Step{
		{Name: "loader-slot-0", Argv: []string{"/bin/loader", "--interval", "1h"}, Background: "a", Ready: "attached in slot 0"},
		{Name: "slots-api", Argv: []string{"/bin/slots"}, WantStdout: []string{
			"slots: ok B attached: slot 1",
			"slots: ok third attach refused: attach bpf_testmod_ops: all 2 bpf_testmod_ops slots are taken: detach one (stop its loader) first: attach StructOps: create link: file exists",
			"slots: ok the loader's implementation: slot 0 returns 42",
			"slots: ok B: slot 1 returns 43",
			"slots: ok C after the swap: slot 1",
			"slots: ok C after the swap: slot 1 returns 44",
			"slots: ok slot 0 after the swap in slot 1: slot 0 returns 42",
			"slots: ok B after swapping back: slot 1 returns 43",
			"slots: ok slot 1 is free after B detached",
		}},
		{Name: "second-loader-slot-1", Argv: []string{"/bin/loader", "--call", "test_2 -7 3"}, WantStdout: []string{"-4"},
			WantStderr: []string{"attached in slot 1", "detached"}},
		{Name: "second-loader-once", Argv: []string{"/bin/loader", "--once"}, WantStdout: tutorial,
			WantStderr: []string{"attached in slot 1"}},
		{Name: "slot-0-by-hand", Write: trigger, Data: "@0 test_2 5 6", WantLines: []string{"test_2 11"}},
		{Name: "bad-slot", Write: trigger, Data: "@2 test_1", WantErrno: "EINVAL",
			WantLines: []string{`error: "@2": want @0 to @1 before the callback`}},
		{Name: "empty-slot", Write: trigger, Data: "@1 test_1", WantErrno: "ENODEV",
			WantLines: []string{"error: test_1: no bpf_testmod_ops implementation is attached"}},
		{Name: "rmmod-refused-while-attached", Rmmod: o.ModuleName(), WantErrno: "EAGAIN"},
		{Name: "loader-stops", Stop: "a", WantStdout: tutorial, WantStderr: []string{"detached"}},
		{Name: "all-unregistered", WaitKmsg: "bpf_testmod_ops unregistered from slot", Count: 4},
		{Name: "rmmod", Rmmod: o.ModuleName()},
	}}
	res := runPlan(t, k, kos, files, plan, work)
	for _, want := range []string{"bpf_testmod_ops registered in slot 0", "bpf_testmod_ops registered in slot 1",
		"bpf_testmod_ops updated in slot 1", "all 2 bpf_testmod_ops slots are taken"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("kernel log lacks %q", want)
		}
	}
	checkKernelLog(t, res.Console)
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}
