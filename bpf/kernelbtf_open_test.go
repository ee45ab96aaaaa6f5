package bpf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/structops/structops-gen/internal/btfx"
)

// TestOpenKernelBTFOrder: where the kernel does not map vmlinux's BTF
// (paged), a module's type is resolved from the module the spec names
// without reading vmlinux whole; vmlinux is read whole only for what the
// module lacks, or to find the type in another module when the named one
// is not loaded. The BTF directory holds gen's split fixture: base.btf as
// vmlinux, mod_ops.btf as module mymod.
func TestOpenKernelBTFOrder(t *testing.T) {
	fixtures := filepath.Join("..", "gen", "testdata", "btf")
	dir := t.TempDir()
	for name, fixture := range map[string]string{"vmlinux": "base.btf", "mymod": "mod_ops.btf"} {
		data, err := os.ReadFile(filepath.Join(fixtures, fixture))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	defer func(d string, o func(string) (*btfx.Raw, error), m func() ([]string, error)) {
		btfDir, openVmlinux, kernelModules = d, o, m
	}(btfDir, openVmlinux, kernelModules)
	btfDir = dir
	openVmlinux = func(path string) (*btfx.Raw, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return btfx.ParsePaged(bytes.NewReader(data), int64(len(data)), data)
	}
	kernelModules = func() ([]string, error) { return []string{"mymod"}, nil }

	// the IDs as an indexed base gives them
	eagerBase, _ := btfx.Parse(mustRead(t, filepath.Join(dir, "vmlinux")), nil)
	eager, _ := btfx.Parse(mustRead(t, filepath.Join(dir, "mymod")), eagerBase)
	want, err := eager.Lookup([]btfx.Want{{Kind: btfx.KindStruct, Name: "bpf_struct_ops_mod_ops"}, {Kind: btfx.KindStruct, Name: "mod_ops"}})
	if err != nil || want[0] == 0 {
		t.Fatalf("the fixture: %v %v", want, err)
	}

	for _, c := range []struct {
		name    string
		ops     Ops
		structs []string
		paged   bool // vmlinux still paged after the lookup
	}{
		{"named module", Ops{Name: "mod_ops", Module: "mymod"}, nil, true},
		{"named module, its own struct", Ops{Name: "mod_ops", Module: "mymod"}, []string{"mod_ops"}, true},
		{"a struct only vmlinux has", Ops{Name: "mod_ops", Module: "mymod"}, []string{"no_such_struct"}, false},
		{"named module not loaded", Ops{Name: "mod_ops", Module: "gone"}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			kops, k, lk, err := openKernelBTF(&c.ops, c.structs, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if kops.Module != "mymod" || k.modName != "mymod" || lk.value != want[0] {
				t.Errorf("module %q (%q), value type %d; want mymod, %d", kops.Module, k.modName, lk.value, want[0])
			}
			if paged := k.vmlinux.Source() == btfx.SourcePaged; paged != c.paged {
				t.Errorf("vmlinux read %s, paged %v; want paged %v", k.vmlinux.Source(), paged, c.paged)
			}
			tgt, err := resolveTarget(kops, k, lk)
			if err != nil {
				t.Fatal(err)
			}
			if tgt.opsID != want[1] {
				t.Errorf("struct mod_ops: %d, want %d", tgt.opsID, want[1])
			}
			for _, s := range c.structs {
				if s == "mod_ops" && lk.structs[s] != want[1] {
					t.Errorf("struct %s: %d, want %d", s, lk.structs[s], want[1])
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
