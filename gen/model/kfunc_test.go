package model

import (
	"os"
	"regexp"
	"testing"
)

// TestModuleSymbols: every file-scope name module.c.tmpl derives from the
// base or ops name is one a kfunc may not take.
func TestModuleSymbols(t *testing.T) {
	src, err := os.ReadFile("../../templates/module.c.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	o := &Ops{Name: "q_ops", Members: []Member{{Name: "run", Func: &Func{}}}}
	syms := o.moduleSymbols()
	found := regexp.MustCompile(`\{\{\$?\.(Base|Ops)\}\}(_[a-z_]*[a-z])\b`).FindAllSubmatch(src, -1)
	if len(found) < 20 {
		t.Fatalf("found %d names in module.c.tmpl: is the pattern still right?", len(found))
	}
	for _, m := range found {
		name := "q" + string(m[2])
		if string(m[1]) == "Ops" {
			name = "q_ops" + string(m[2])
		}
		if string(m[2]) == "_call_" || name == "q_ops__" {
			continue
		}
		if !syms[name] {
			t.Errorf("module.c.tmpl declares %s, which moduleSymbols lacks", name)
		}
	}
}
