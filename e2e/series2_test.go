package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/vm"
)

// series2 is the second, newer Debian kernel series the default stack is
// run on: trixie-backports' (+deb13), whose modules are built in a
// debootstrap'd trixie chroot (its kbuild tools need glibc >= 2.38 and
// gcc-14). STRUCTOPS_VM_SERIES2_SERIES overrides it.
const series2 = "7.3"

// TestDefaultStackSeries2InVM builds the default golden module for the
// second kernel series and runs its loader once in the VM. It needs both
// STRUCTOPS_VM=1 and STRUCTOPS_VM_SERIES2=1 (the first run debootstraps a
// chroot and downloads a kernel), and root (chroot, bind mounts).
func TestDefaultStackSeries2InVM(t *testing.T) {
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
	work := t.TempDir()
	def := goldenStack(t, "default", "")
	kos, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(def.dir, "module"),
		vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true, Chroot: k.BuildEnv, Progress: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(work, "loader")
	goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(def.dir, gen.GoPackage(def.ops.Name), "loader")))
	res, err := vm.Run(ctx, k, vm.RunSpec{Modules: kos, Files: []vm.File{{HostPath: bin, GuestPath: def.loader}},
		Command: []string{def.loader, "--once"}, Timeout: 10 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Errorf("loader --once exit status %d", res.ExitCode)
	}
	for _, want := range []string{"test_1 42", "test_2 30", "bpf_testmod_ops registered"} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, bad := range []string{"WARNING:", "BUG:", "Oops", "Call Trace:", "general protection"} {
		if strings.Contains(res.Console, bad) {
			t.Errorf("kernel log has %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("console tail:\n%s", tail(res.Console, 60))
	}
	t.Logf("%s: VM run %v (%s); total %v", k.Version, res.Elapsed.Round(time.Millisecond), res.Accel, time.Since(start).Round(time.Millisecond))
}
