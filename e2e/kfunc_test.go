package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/vm"
)

// TestKfuncsInVM runs the kfuncs golden stack: its module exports two
// kfuncs, each callback's default body calls both, and the values the
// trigger reports include their results (Expect works them out). A
// hand-written program calls them through the typed helpers; a loader built
// from a spec with a kfunc the module lacks, a sleepable kfunc called from a
// non-sleepable callback and a wrong argument count are refused before
// load, each with its message.
func TestKfuncsInVM(t *testing.T) {
	k := kernel(t)
	kfuncsInVM(t, k, vm.BuildOptions{W1: true})
}

// TestKfuncsSeries2InVM is TestKfuncsInVM on the second kernel series,
// whose kernels no longer define KF_TRUSTED_ARGS.
func TestKfuncsSeries2InVM(t *testing.T) {
	k := series2Kernel(t)
	kfuncsInVM(t, k, vm.BuildOptions{W1: true, Chroot: k.BuildEnv})
}

func kfuncsInVM(t *testing.T, k *vm.Kernel, opts vm.BuildOptions) {
	work := t.TempDir()
	opts.Dir = filepath.Join(work, "build")
	s := goldenStack(t, "kfuncs", "../gen/testdata/headers/kfuncs.h")
	missing := generated(t, "kfuncs_missing", "testdata/kfuncs_missing.h")
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(s.dir, "module"), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkModuleBTF(t, s, kos[0], k)
	var files []vm.File
	for _, st := range []stack{s, missing} {
		bin := filepath.Join(work, st.name+"-loader")
		goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(st.dir, model.GoPackage(st.ops.Name), "loader")))
		files = append(files, vm.File{HostPath: bin, GuestPath: st.loader})
	}
	prog := filepath.Join(work, "kfuncprog")
	goBuild(t, prog, "./kfuncprog")
	files = append(files, vm.File{HostPath: prog, GuestPath: "/bin/kfuncprog"})
	plan := Plan{Steps: stackSteps(t, s)}
	plan.Steps = append(plan.Steps,
		// tick(1) = qsched_depth(qsched_weight(1, 7)) = (1 + 7 + 1) + 1
		Step{Name: "kfunc-handwritten", Argv: []string{"/bin/kfuncprog", "hand", "--call", "tick 1"}, WantStdout: []string{"10"}},
		Step{Name: "kfunc-handwritten-negative", Argv: []string{"/bin/kfuncprog", "hand", "--call", "tick -20"}, WantStdout: []string{"4294967285"}},
		Step{Name: "kfunc-sleepable-from-non-sleepable", Argv: []string{"/bin/kfuncprog", "sleepy", "--once"}, WantExit: 1,
			WantStderr: []string{"program tick of qsched_ops: kfunc qsched_nap may sleep (KF_SLEEPABLE) and the program is not sleepable"}},
		Step{Name: "kfunc-wrong-argument-count", Argv: []string{"/bin/kfuncprog", "count", "--once"}, WantExit: 1,
			WantStderr: []string{"main.go:51: tick: kfunc qsched_depth takes 1 argument (u32 qsched_depth(u32)), got 2"}},
	)
	plan.Steps = append(plan.Steps, Step{Name: "kfunc-missing", Argv: []string{missing.loader, "--once"}, WantExit: 1,
		WantStderr: []string{"kfunc qsched_missing: module qsched does not export it"}})
	runPlan(t, k, kos, files, plan, work)
}
