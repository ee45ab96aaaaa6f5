package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/structops/structops-gen/gen/model"
	"github.com/structops/structops-gen/gen/read/builtin"
)

// TestTutorialIsExplicit: the tutorial is the built-in spec's property,
// never inferred from a layout. A header declaring exactly the built-in
// struct gets a model of the same ABI that is not the tutorial: the default
// bodies and demo calls of any new subsystem, not the tutorial's.
func TestTutorialIsExplicit(t *testing.T) {
	h := filepath.Join(t.TempDir(), "bpf_testmod_ops.h")
	if err := os.WriteFile(h, []byte(builtin.Header), 0o644); err != nil {
		t.Fatal(err)
	}
	fromHeader, err := Load(Spec{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	tutorial, err := Load(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := fromHeader.Equal(tutorial); diff != "" {
		t.Fatalf("the header and the built-in spec differ: %s", diff)
	}
	if !tutorial.Tutorial || fromHeader.Tutorial {
		t.Fatalf("Tutorial: built-in %v, header %v; want true, false", tutorial.Tutorial, fromHeader.Tutorial)
	}
	if tutorial.DemoCalls != nil || len(fromHeader.DemoCalls) != 3 {
		t.Errorf("demo calls: built-in %q, header %q; want none, one per callback", tutorial.DemoCalls, fromHeader.DemoCalls)
	}
	render := func(o *model.Ops) map[string][]byte {
		fs, err := Render(o, Options{GoImport: modulePath})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range fs {
			out[f.Path] = f.Data
		}
		return out
	}
	a, b := render(tutorial), render(fromHeader)
	for _, p := range []string{"bpftestmodops/callbacks.go", "module/bpf_testmod.c"} {
		if a[p] == nil || b[p] == nil {
			t.Fatalf("%s not rendered", p)
		}
		if bytes.Equal(a[p], b[p]) {
			t.Errorf("%s: the header's is the tutorial's", p)
		}
	}
}
