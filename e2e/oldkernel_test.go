package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/vm"
)

// oldSeries is a Debian kernel older than anything the generated stacks
// support: bookworm's own 6.1 (module struct_ops came in 6.9, struct_ops
// links in 6.4).
const oldSeries = "6.1"

// TestOldKernelInVM: on a kernel too old for them the generated module
// refuses to build with the version it needs, and the loaders, for a
// module type and for tcp_congestion_ops, say which kernel they need
// instead of failing in the kernel.
func TestOldKernelInVM(t *testing.T) {
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
	k, err := vm.Prepare(ctx, vm.Config{Series: oldSeries, CacheDir: os.Getenv("STRUCTOPS_VM_CACHE"), Offline: !required, Progress: logWriter{t}})
	if err != nil {
		if !required {
			t.Skipf("no cached %s kernel (%v): run `go run ./cmd/structops-vm fetch --series %s` or set STRUCTOPS_VM=1", oldSeries, err, oldSeries)
		}
		t.Fatal(err)
	}
	work := t.TempDir()
	def := goldenStack(t, "default", "")

	_, err = vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(def.dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build")})
	if err == nil || !strings.Contains(err.Error(), "bpf_testmod needs Linux 6.11 or newer") {
		t.Errorf("building the module against %s: got %v, want the module's #error \"bpf_testmod needs Linux 6.11 or newer\"", k.Version, err)
	}

	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "./"+filepath.ToSlash(filepath.Join(def.dir, gen.GoPackage(def.ops.Name), "loader")))
	tcp := filepath.Join(work, "tcp-loader")
	goBuild(t, tcp, "../examples/tcpreno/tcpcongestionops/loader")
	files := []vm.File{{HostPath: loader, GuestPath: "/bin/loader"}, {HostPath: tcp, GuestPath: "/bin/tcp-loader"}}
	plan := Plan{Steps: []Step{
		{Name: "module-type-needs-6.11", Argv: []string{"/bin/loader", "--once"}, WantExit: 1,
			WantStderr: []string{"struct_ops type bpf_testmod_ops needs Linux 6.11 or newer, this is " + k.Version}},
		{Name: "tcp-needs-6.4", Argv: []string{"/bin/tcp-loader", "--once"}, WantExit: 1,
			WantStderr: []string{"struct_ops type tcp_congestion_ops needs Linux 6.4 or newer, this is " + k.Version, "BPF_F_LINK"}},
	}}
	res := runPlan(t, k, nil, files, plan, work)
	checkKernelLog(t, res.Console)
	t.Logf("%s: VM run %v (%s)", k.Version, res.Elapsed.Round(time.Millisecond), res.Accel)
}
