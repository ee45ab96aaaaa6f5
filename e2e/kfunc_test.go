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
// trigger reports include their results (Expect works them out). A loader
// built from a spec with a kfunc the module lacks is refused before load.
func TestKfuncsInVM(t *testing.T) {
	k := kernel(t)
	work := t.TempDir()
	s := goldenStack(t, "kfuncs", "../gen/testdata/headers/kfuncs.h")
	missing := generated(t, "kfuncs_missing", "testdata/kfuncs_missing.h")
	kos, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(s.dir, "module"), vm.BuildOptions{Dir: filepath.Join(work, "build"), W1: true})
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
	plan := Plan{Steps: stackSteps(t, s)}
	plan.Steps = append(plan.Steps, Step{Name: "kfunc-missing", Argv: []string{missing.loader, "--once"}, WantExit: 1,
		WantStderr: []string{"kfunc qsched_missing: module qsched does not export it"}})
	runPlan(t, k, kos, files, plan, work)
}
