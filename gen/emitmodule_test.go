package gen

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmitModuleFromBTF: refs.ko (the golden refs module built for
// Debian's 7.3 kernel, whose BTF is split on pahole's distilled base)
// read with EmitModule is the refs.h spec as a new subsystem, and renders
// the same module, byte for byte, as the spec does with the same source
// line in its comments.
func TestEmitModuleFromBTF(t *testing.T) {
	spec, err := Load(Spec{Header: "testdata/headers/refs.h"})
	if err != nil {
		t.Fatal(err)
	}
	built, err := Load(Spec{BTF: filepath.Join(btfBlobDir, "refs.ko"), Ops: "refs_ops", EmitModule: true})
	if err != nil {
		t.Fatal(err)
	}
	if built.Kernel || !built.FromBTF || built.Source != "BTF of refs.ko" {
		t.Errorf("Kernel %v, FromBTF %v, Source %q: want a new subsystem read from the BTF of refs.ko",
			built.Kernel, built.FromBTF, built.Source)
	}
	if d := spec.Equal(built); d != "" {
		t.Errorf("refs.ko's refs_ops differs from refs.h: %s", d)
	}
	if len(built.Types) != 0 {
		t.Errorf("refs.h defines no types; read from refs.ko: %d (the distilled base's typedefs are the kernel's)", len(built.Types))
	}
	spec.Source, spec.FromBTF = built.Source, true
	want, err := Render(spec, Options{GoImport: "example.com/refs"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(built, Options{GoImport: "example.com/refs"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range got {
		files[f.Path] = f.Data
	}
	n := 0
	for _, f := range want {
		if !strings.HasPrefix(f.Path, "module/") {
			continue
		}
		n++
		if !bytes.Equal(files[f.Path], f.Data) {
			t.Errorf("%s: emitted from refs.ko differs from the spec's:\n%s", f.Path, files[f.Path])
		}
	}
	if n == 0 {
		t.Fatal("the spec renders no module files")
	}
	if !bytes.Contains(files["module/refs.c"], []byte("does not record what the original")) {
		t.Error("module/refs.c does not say that BTF does not record what init_member copied")
	}
}
