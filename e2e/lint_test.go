package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/vm"
)

// warningLine matches a compiler or sparse diagnostic in a kbuild log:
// "<file>:<line>:<col>: warning: ..." (also error, note and the lines
// sparse prints without a column).
var warningLine = regexp.MustCompile(`(?m)^[^ \t:]+:\d+(:\d+)?: (warning|error|note|sparse)\b.*$`)

// TestGoldenModulesLint builds every golden module against the VM kernel's
// headers with W=1 (extra gcc warnings) and C=1 (sparse, with the __rcu,
// __user and endianness checks) and fails on any diagnostic in the build
// log. It needs the kernel headers only, no VM boot.
func TestGoldenModulesLint(t *testing.T) {
	k := kernel(t)
	if _, err := exec.LookPath("sparse"); err != nil {
		t.Fatal("sparse not installed (apt-get install sparse): C=1 needs it")
	}
	mods, _ := filepath.Glob(filepath.Join("..", "gen", "testdata", "golden", "*", "want", "module"))
	if len(mods) == 0 {
		t.Fatal("no golden modules under gen/testdata/golden/*/want/module")
	}
	work := t.TempDir()
	for _, mod := range mods {
		name := filepath.Base(filepath.Dir(filepath.Dir(mod)))
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(work, name)
			// a module for a newer kernel than k builds for the second series,
			// in its chroot, with W=1 only: 7.x's kbuild turns C=1 off for
			// any sparse older than one that knows __typeof_unqual__, and
			// Debian's (0.6.4) is
			bk, opts := k, vm.BuildOptions{Dir: dir, W1: true, C1: true}
			// a header spec's, else the built-in one's (kernel types'
			// modules are not generated)
			o, err := gen.Load(goldenHeaderSpecs(t)[name])
			if err != nil {
				t.Fatal(err)
			}
			if why := tooNew(o, k); why != "" {
				t.Logf("not for %s: %s: linting it for the second kernel series", k.Version, why)
				bk = series2Kernel(t)
				opts.Chroot, opts.C1 = bk.BuildEnv, false
			}
			if _, err := vm.BuildModuleOpts(context.Background(), bk.KDir, mod, opts); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "build.log"))
			if err != nil {
				t.Fatal(err)
			}
			log := string(b)
			// kbuild prints "CHECK <file>.c" for each sparse run: without
			// it the test would pass on a build sparse never saw.
			srcs, _ := filepath.Glob(filepath.Join(mod, "*.c"))
			for _, src := range srcs {
				if opts.C1 && !strings.Contains(log, "CHECK   "+filepath.Join(dir, filepath.Base(src))) {
					t.Errorf("sparse did not check %s; build log:\n%s", filepath.Base(src), log)
				}
			}
			for _, w := range warningLine.FindAllString(log, -1) {
				t.Errorf("W=1 C=1: %s", w)
			}
		})
	}
}
