package e2e

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/vm"
)

// stackArgsHeader declares callbacks with 7, 8 and 12 arguments: the 7th
// and later travel on the stack on x86-64.
const stackArgsHeader = "../gen/testdata/headers/stackargs.h"

// TestStackArgsSeries2InVM runs the golden stacks whose callbacks take
// stack arguments (stackargs, and the real-like headers with 7 and 8
// arguments) on the second series (7.3), whose struct_ops trampoline
// passes them right: every callback returns the sum of the arguments it
// was called with, which a stack argument read one slot off would change
// (the 12th would be a stray slot of the caller's frame).
func TestStackArgsSeries2InVM(t *testing.T) {
	k := series2Kernel(t)
	work := t.TempDir()
	specs := goldenHeaderSpecs(t)
	var kos []string
	var files []vm.File
	var plan Plan
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		s := goldenStackSpec(t, name, specs[name])
		if len(s.ops.StackArgs()) == 0 || len(s.ops.Refs()) > 0 {
			continue
		}
		built, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(s.dir, "module"),
			vm.BuildOptions{Dir: filepath.Join(work, "build-"+name), W1: true, Chroot: k.BuildEnv, Progress: logWriter{t}})
		if err != nil {
			t.Fatal(err)
		}
		checkModuleBTF(t, s, built[0], k)
		kos = append(kos, built...)
		bin := filepath.Join(work, name+"-loader")
		goBuild(t, bin, "./"+filepath.ToSlash(filepath.Join(s.dir, model.GoPackage(s.ops.Name), "loader")))
		files = append(files, vm.File{HostPath: bin, GuestPath: s.loader})
		plan.Steps = append(plan.Steps, stackSteps(t, s)...)
		if name == "stackargs" {
			// each argument a different prime: a shifted slot changes the sum
			line := "twelve 3 5 7 11 13 17 19 23 29 31 37 41"
			_, want, err := Expect(s.ops, line)
			if err != nil {
				t.Fatal(err)
			}
			plan.Steps = append(plan.Steps, Step{Name: "stackargs-primes", Argv: []string{s.loader, "--call", line}, WantStdout: []string{want}})
		}
		plan.Steps = append(plan.Steps, Step{Name: name + "-rmmod", Rmmod: s.ops.ModuleName()})
	}
	if len(kos) < 2 {
		t.Fatalf("%d golden stacks with stack arguments, want stackargs and the real-like ones", len(kos))
	}
	res := runPlan(t, k, kos, files, plan, work)
	checkKernelLog(t, res.Console)
	t.Logf("%s: %d stacks, VM run %v (%s)", k.Version, len(kos), res.Elapsed.Round(1e6), res.Accel)
}

// TestStackArgsModuleRefused612 builds the stackargs module for 6.12,
// whose trampoline hands stack arguments to BPF one slot off: the build
// must fail with the module's reason (the loader's refusal on 6.12 is a
// step of TestGeneratedStacksInVM).
func TestStackArgsModuleRefused612(t *testing.T) {
	k := kernel(t)
	s := goldenStack(t, "stackargs", stackArgsHeader)
	_, err := vm.BuildModuleOpts(context.Background(), k.KDir, filepath.Join(s.dir, "module"),
		vm.BuildOptions{Dir: t.TempDir(), W1: true})
	want := fmt.Sprintf("stackargs needs Linux %d.%d or newer for callbacks with more than %d arguments",
		model.StackArgsSince[0], model.StackArgsSince[1], model.MaxRegArgs)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("build for %s: %v, want an error with %q", k.Version, err, want)
	}
}
