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

// TestHidCtxInVM boots the golden hidctx stack (a context struct, data
// members): the loader sets data members with --set, the module's
// init_member copies them and the trigger shows them back as ".member
// value" lines; a member only the kernel sets is refused by the loader;
// the default body's sum follows C (u32 0 + s32 -1 is 4294967295).
func TestHidCtxInVM(t *testing.T) {
	k := kernel(t)
	work := t.TempDir()
	h := filepath.Join("..", "gen", "testdata", "headers", "hidctx.h")
	o, err := gen.Load(gen.Spec{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "gen", "testdata", "golden", "hidctx", "want")
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
	if err != nil {
		t.Fatal(err)
	}
	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "./"+filepath.ToSlash(filepath.Join(dir, model.GoPackage(o.Name), "loader")))
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/loader"}}

	trigger := o.TriggerPath()
	plan := Plan{Steps: []Step{
		{Name: "set-kernel-owned", Argv: []string{"/bin/loader", "--once", "--set", "owner=1"}, WantExit: 1,
			WantStderr: []string{"hidctx_ops.owner is set by the kernel, not the loader"}},
		{Name: "attached-with-data", Argv: []string{"/bin/loader", "--interval", "1h", "--set", "hid_id=-3", "--set", "name=t1",
			"--set", "flags=0x8", "--set", "quirks=1"}, Background: "a", Ready: "triggering every"},
		{Name: "data-read-back", Write: trigger, Data: "stamp 0 -1",
			WantLines: []string{"stamp 4294967295", ".hid_id -3", ".flags 8", `.name "t1"`, ".quirks 1"}},
		// 255 + -300 is int -45; + ctx->index (u32, 0: ctx is NULL) makes
		// it unsigned int 4294967251, which s64 keeps
		{Name: "sum-int-then-unsigned", Write: trigger, Data: "hw_request 255 -300", WantLines: []string{"hw_request 4294967251"}},
		{Name: "loader-stops", Stop: "a", WantStderr: []string{"detached"}},
		{Name: "name-too-long", Argv: []string{"/bin/loader", "--once", "--set", "name=0123456789abcdef"}, WantExit: 1,
			WantStderr: []string{"char name[16] holds at most 15 and its NUL"}},
		{Name: "rmmod", Rmmod: o.ModuleName()},
	}}
	res := runPlan(t, k, kos, files, plan, work)
	if !strings.Contains(res.Console, "hidctx_ops registered in slot 0") {
		t.Error("kernel log lacks the registration")
	}
	checkKernelLog(t, res.Console)
	t.Logf("VM run: %v (%s)", res.Elapsed.Round(time.Millisecond), res.Accel)
}
