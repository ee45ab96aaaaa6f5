package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/structops/structops-gen/gen/model"
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
	k := kernelSeries(t, oldSeries)
	ctx := context.Background()
	work := t.TempDir()
	def := goldenStack(t, "default", "")

	_, err := vm.BuildModuleOpts(ctx, k.KDir, filepath.Join(def.dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build")})
	if err == nil || !strings.Contains(err.Error(), "bpf_testmod needs Linux 6.11 or newer") {
		t.Errorf("building the module against %s: got %v, want the module's #error \"bpf_testmod needs Linux 6.11 or newer\"", k.Version, err)
	}

	loader := filepath.Join(work, "loader")
	goBuild(t, loader, "./"+filepath.ToSlash(filepath.Join(def.dir, model.GoPackage(def.ops.Name), "loader")))
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
