package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/vm"
)

// series2 is the second, newer Debian kernel series the default stack is
// run on: trixie-backports' (+deb13), whose modules are built in a
// debootstrap'd trixie chroot (its kbuild tools need glibc >= 2.38 and
// gcc-14). STRUCTOPS_VM_SERIES2_SERIES overrides it.
const series2 = "7.3"

// series2Kernel returns the second series' kernel, with its build chroot.
// It needs both STRUCTOPS_VM=1 and STRUCTOPS_VM_SERIES2=1 (the first run
// debootstraps a chroot and downloads a kernel), and root (chroot, bind
// mounts); otherwise the test skips.
func series2Kernel(t testing.TB) *vm.Kernel {
	t.Helper()
	if os.Getenv("STRUCTOPS_VM") != "1" || os.Getenv("STRUCTOPS_VM_SERIES2") != "1" {
		t.Skip("second kernel series: set STRUCTOPS_VM=1 STRUCTOPS_VM_SERIES2=1")
	}
	series := series2
	if s := os.Getenv("STRUCTOPS_VM_SERIES2_SERIES"); s != "" {
		series = s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	start := time.Now()
	k, err := vm.Prepare(ctx, vm.Config{Series: series, CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Progress: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel %s (build chroot %q) ready in %v", k.Version, k.BuildEnv, time.Since(start).Round(time.Millisecond))
	if !strings.HasPrefix(k.Version, series+".") {
		t.Fatalf("kernel %s is not of series %s", k.Version, series)
	}
	return k
}

// TestDefaultStackSeries2InVM builds the default golden module and the
// golden modules that need a newer kernel than 6.12 (the __ref arguments
// of refs.h need 6.15) for the second kernel series, and runs their
// loaders in the VM: the default stack as the tutorial does, the others
// calling every callback and checking what each returns; the __ref
// references the module hands over must come back balanced (a missing or
// extra release warns in the kernel log).
func TestDefaultStackSeries2InVM(t *testing.T) {
	k := series2Kernel(t)
	ctx := context.Background()
	work := t.TempDir()
	stacks := []stack{goldenStack(t, "default", ""), goldenStack(t, "refs", "../gen/testdata/headers/refs.h")}
	var kos []string
	var files []vm.File
	for _, s := range stacks {
		built, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(s.dir, "module"),
			vm.BuildOptions{Dir: filepath.Join(work, "build-"+s.name), W1: true, Chroot: k.BuildEnv, Progress: logWriter{t}})
		if err != nil {
			t.Fatal(err)
		}
		kos = append(kos, built...)
		fromBTF := checkModuleBTF(t, s, built[0], k)
		if got, want := strings.Join(fromBTF.Refs(), ","), strings.Join(s.ops.Refs(), ","); got != want {
			t.Errorf("%s: __ref arguments in the built module's BTF: %q, want %q", s.name, got, want)
		}
		bin := filepath.Join(work, s.name+"-loader")
		goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(s.dir, model.GoPackage(s.ops.Name), "loader")))
		files = append(files, vm.File{HostPath: bin, GuestPath: s.loader})
	}
	def, refs := stacks[0], stacks[1]
	plan := Plan{Steps: []Step{
		// --timing says how vmlinux's BTF was read (7.3 maps the file)
		{Name: "default-once", Argv: []string{def.loader, "--once", "--timing"},
			WantStdout: []string{"test_1 42", "test_2 30", "test_3 21"}, WantStderr: []string{"attached", "detached", "timing: kernel BTF: vmlinux mmap,"}},
		{Name: "default-call", Argv: []string{def.loader, "--call", "test_2 -7 3"}, WantStdout: []string{"-4"}},
		{Name: "rmmod-default", Rmmod: def.ops.ModuleName()},
	}}
	plan.Steps = append(plan.Steps, stackSteps(t, refs)...)
	// the references again, many times: an unbalanced count would show
	var again []string
	for i := 0; i < 50; i++ {
		again = append(again, "--call", "both 1")
	}
	plan.Steps = append(plan.Steps,
		Step{Name: "refs-many", Argv: append([]string{refs.loader}, again...), WantStdout: strings.Split(strings.TrimSpace(strings.Repeat("1\n", 50)), "\n")},
		Step{Name: "refs-rmmod", Rmmod: refs.ops.ModuleName()})
	res := runPlan(t, k, kos, files, plan, work)
	for _, want := range []string{"test_1() returned: 42", "bpf_testmod_ops registered", "on_task(1, current) returned: 1",
		"both(current, cgroup, 3) returned: 1"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, bad := range []string{"refcount_t:", "use-after-free"} {
		if strings.Contains(res.Console, bad) {
			t.Errorf("kernel log has %q:\n%s", bad, tail(res.Console, 80))
		}
	}
	checkKernelLog(t, res.Console)
	t.Logf("%s: VM run %v (%s)", k.Version, res.Elapsed.Round(time.Millisecond), res.Accel)
}
