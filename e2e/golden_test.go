package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen"
)

// goldenHeaderSpecs are the golden cases generated from a header, by
// name: gen/testdata/headers/<name>.h, and the cases whose options file
// (gen/testdata/golden/<name>/options) names a header (header=, with
// ops= and include=), such as the real-like headers under
// gen/testdata/headers/real. Paths are relative to this package.
func goldenHeaderSpecs(t *testing.T) map[string]gen.Spec {
	t.Helper()
	specs := map[string]gen.Spec{}
	hs, _ := filepath.Glob("../gen/testdata/headers/*.h")
	for _, h := range hs {
		specs[strings.TrimSuffix(filepath.Base(h), ".h")] = gen.Spec{Header: h}
	}
	opts, _ := filepath.Glob("../gen/testdata/golden/*/options")
	for _, p := range opts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var s gen.Spec
		for _, ln := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(ln), "=")
			switch k {
			case "header":
				s.Header = filepath.Join("..", "gen", v)
			case "include":
				s.IncludeDirs = append(s.IncludeDirs, filepath.Join("..", "gen", v))
			case "ops":
				s.Ops = v
			}
		}
		if s.Header != "" {
			specs[filepath.Base(filepath.Dir(p))] = s
		}
	}
	if len(specs) < 4 {
		t.Fatalf("found %d golden header specs", len(specs))
	}
	return specs
}
