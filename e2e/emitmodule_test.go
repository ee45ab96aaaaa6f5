package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen"
	"github.com/structops/structops-gen/vm"
)

// TestEmitModuleRoundTrip checks that a module's BTF is a whole spec
// (--emit-module), for the built-in spec, every golden header and
// testdata/emitdefs.h: the
// golden module's BTF (model B) generates a module that builds with W=1
// without a warning, whose own BTF (model C) reads back as B (ops struct,
// type definitions, CFI stub names), and that generates the same files
// again (a fixed point). It builds modules only; no VM boots.
func TestEmitModuleRoundTrip(t *testing.T) {
	k := kernel(t)
	specs := goldenHeaderSpecs(t)
	specs["default"] = gen.Spec{}
	// and constructs no golden spec has
	specs["emitdefs"] = gen.Spec{Header: "testdata/emitdefs.h"}
	work := t.TempDir()
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var s stack
			if strings.HasPrefix(spec.Header, "testdata/") {
				s = generated(t, name, spec.Header)
			} else {
				s = goldenStackSpec(t, name, spec)
			}
			bk, opts := k, vm.BuildOptions{W1: true}
			if why := tooNew(s.ops, k); why != "" {
				t.Logf("not for %s: %s: built for the second kernel series", k.Version, why)
				bk = series2Kernel(t)
				opts.Chroot = bk.BuildEnv
			}
			ctx := context.Background()
			kos, _, err := vm.BuildModuleCached(ctx, bk, filepath.Join(s.dir, "module"), opts)
			if err != nil {
				t.Fatal(err)
			}
			b := checkModuleBTF(t, s, kos[0], bk)
			dir1 := filepath.Join(work, name, "gen1")
			emitModule(t, s.ops.Name, kos[0], bk, dir1)
			opts.Dir = filepath.Join(work, name, "build1")
			kos1, err := vm.BuildModuleOpts(ctx, bk.KDir, filepath.Join(dir1, "module"), opts)
			if err != nil {
				t.Fatal(err)
			}
			log, err := os.ReadFile(filepath.Join(opts.Dir, "build.log"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warningLine.FindAllString(string(log), -1) {
				t.Errorf("W=1: %s", w)
			}
			c := readModuleBTF(t, kos1[0], bk, s.ops.Name)
			if d := b.Equal(c); d != "" {
				t.Errorf("the module's BTF and that of the module generated from it disagree: %s", d)
			}
			if d := stubNamesDiffer(b, c); d != "" {
				t.Errorf("the module's CFI stubs and those of the module generated from it disagree: %s", d)
			}
			dir2 := filepath.Join(work, name, "gen2")
			emitModule(t, s.ops.Name, kos1[0], bk, dir2)
			sameTree(t, dir1, dir2)
		})
	}
}

// emitModule generates the stack of struct ops from the BTF of the
// module ko, module C included, into dir.
func emitModule(t *testing.T, ops, ko string, k *vm.Kernel, dir string) {
	t.Helper()
	o, err := gen.Load(gen.Spec{BTF: ko, BTFBase: filepath.Join(k.KDir, "vmlinux"), Ops: ops, EmitModule: true})
	if err != nil {
		t.Fatalf("--emit-module --btf %s: %v", ko, err)
	}
	fs, err := gen.Render(o, gen.Options{GoImport: "example.com/emitted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Write(dir); err != nil {
		t.Fatal(err)
	}
}

// sameTree fails unless directories a and b hold the same files, byte for
// byte.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fa, fb := files(a), files(b)
	for p, da := range fa {
		db, ok := fb[p]
		switch {
		case !ok:
			t.Errorf("%s: generated from the first module's BTF only", p)
		case !bytes.Equal(da, db):
			t.Errorf("%s differs between the two generations (not a fixed point):\n--- first\n%s\n--- second\n%s", p, da, db)
		}
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			t.Errorf("%s: generated from the second module's BTF only", p)
		}
	}
	if len(fa) == 0 {
		t.Errorf("%s: nothing generated", a)
	}
}
