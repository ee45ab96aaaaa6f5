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
// the default body's sum follows C (u32 0 + s32 -1 is 4294967295); the
// trigger fills the context struct from "{...}" and the programs read its
// fields, whose descriptors a loader checks against the module's BTF.
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
	mismatch := generated(t, "hidctx_mismatch", "testdata/hidctx_mismatch.h")
	badLoader := filepath.Join(work, "mismatch-loader")
	goBuild(t, badLoader, "./"+filepath.ToSlash(filepath.Join(mismatch.dir, model.GoPackage(o.Name), "loader")))
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/loader"}, {HostPath: badLoader, GuestPath: "/bin/mismatch-loader"}}

	trigger := o.TriggerPath()
	argv := []string{"/bin/loader"}
	var want []string
	for _, c := range Calls(o) {
		argv = append(argv, "--call", c.Line)
		want = append(want, c.Want)
	}
	plan := Plan{Steps: []Step{
		// a package whose context struct differs from the module's
		{Name: "field-mismatch", Argv: []string{"/bin/mismatch-loader", "--once"}, WantExit: 1,
			WantStderr: []string{"field hidctx_ctx.allocated_size: generated for offset 0, 4 bytes; the running kernel has it at offset 16, 4 bytes: " +
				"the module and the package were generated from different specs"}},
		{Name: "set-kernel-owned", Argv: []string{"/bin/loader", "--once", "--set", "owner=1"}, WantExit: 1,
			WantStderr: []string{"hidctx_ops.owner is set by the kernel, not the loader"}},
		{Name: "attached-with-data", Argv: []string{"/bin/loader", "--interval", "1h", "--set", "hid_id=-3", "--set", "name=t1",
			"--set", "flags=0x8", "--set", "quirks=1"}, Background: "a", Ready: "triggering every"},
		{Name: "data-read-back", Write: trigger, Data: "stamp 0 -1",
			WantLines: []string{"stamp 4294967295", ".hid_id -3", ".flags 8", `.name "t1"`, ".quirks 1"}},
		// 255 + -300 is int -45; + ctx->index (u32) makes it unsigned int
		// 4294967252, and the other fields add 2+3-4+5+6+7 in unsigned
		// int: 4294967271, which s64 keeps
		{Name: "sum-int-then-unsigned", Write: trigger, Data: "hw_request {1 2 3 -4 5 6 7} 255 -300",
			WantLines: []string{"hw_request 4294967271"}},
		// the program reads the fields the trigger filled
		{Name: "context-fields", Write: trigger, Data: "rdesc_fixup {1 2 3 4 5 6 7}", WantLines: []string{"rdesc_fixup 28"}},
		{Name: "context-fewer", Write: trigger, Data: "rdesc_fixup { 10 20 }", WantLines: []string{"rdesc_fixup 30"}},
		{Name: "context-empty", Write: trigger, Data: "rdesc_fixup {}", WantLines: []string{"rdesc_fixup 0"}},
		{Name: "context-signed", Write: trigger, Data: "device_event {0 0 0 -1} 0", WantLines: []string{"device_event -1"}},
		{Name: "context-nullable-null", Write: trigger, Data: "report NULL 5", WantLines: []string{"report 5"}},
		{Name: "context-nullable-group", Write: trigger, Data: "report {1 2} 5", WantLines: []string{"report 8"}},
		{Name: "context-null-refused", Write: trigger, Data: "rdesc_fixup NULL", WantErrno: "EINVAL",
			WantLines: []string{"error: rdesc_fixup: argument ctx: want {v1 v2 ...}, its 7 integer fields in order"}},
		{Name: "context-too-many", Write: trigger, Data: "rdesc_fixup {1 2 3 4 5 6 7 8}", WantErrno: "EINVAL",
			WantLines: []string{"error: rdesc_fixup: argument ctx: more values than its 7 integer fields"}},
		{Name: "context-no-group", Write: trigger, Data: "rdesc_fixup 5", WantErrno: "EINVAL",
			WantLines: []string{"error: rdesc_fixup: argument ctx: want {v1 v2 ...}, its 7 integer fields in order"}},
		{Name: "context-unclosed", Write: trigger, Data: "rdesc_fixup {1 2", WantErrno: "EINVAL",
			WantLines: []string{"error: rdesc_fixup: argument ctx: missing }"}},
		{Name: "context-out-of-range", Write: trigger, Data: "hw_request {1 2 3 4 65536} 1 1", WantErrno: "ERANGE",
			WantLines: []string{`error: hw_request: argument ctx.range.start: "65536" is not a number in [0, 65535]`}},
		{Name: "loader-stops", Stop: "a", WantStderr: []string{"detached"}},
		{Name: "calls", Argv: argv, WantStdout: want},
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
