package model

import (
	"os"
	"regexp"
	"strings"
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
	// the names the model derives for the module (the templates and the
	// C emitter read them)
	o.Finish()
	for _, name := range append(cSymbols(o.C), o.Members[0].Caller) {
		if !syms[name] {
			t.Errorf("the model names the module's %s, which moduleSymbols lacks", name)
		}
	}
}

// cSymbols are the file-scope names (and struct and union tags) among a
// module's C names.
func cSymbols(c CNames) []string {
	return []string{c.Trigger, c.TriggerOps, c.TriggerWrite, c.InitMember, c.Parse, c.Value,
		c.ParseGroup, c.Other, c.Slots, strings.TrimPrefix(c.Param, "struct "), strings.TrimPrefix(c.Arg, "union ")}
}

// TestModuleSymbolsDistinct: for any ops name, also one without the _ops
// suffix (the module's base name is then the ops name itself), the
// file-scope names module.c.tmpl derives from the base and the ops name
// are distinct, so the module compiles (selftest_ops2 once gave
// selftest_ops2_init twice: the module's init and the struct_ops .init).
func TestModuleSymbolsDistinct(t *testing.T) {
	src, err := os.ReadFile("../../templates/module.c.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`\{\{\$?\.(Base|Ops)\}\}(_[a-z_]*[a-z])\b`).FindAllSubmatch(src, -1)
	suffixes := map[string]map[string]bool{"Base": {}, "Ops": {}}
	for _, m := range found {
		suffixes[string(m[1])][string(m[2])] = true
	}
	for _, name := range []string{"foo", "foo_ops", "foo_ops2", "init_ops", "x_call_ops", "gpu_mem_policy", "x_module"} {
		o := &Ops{Name: name}
		by := map[string]string{}
		for kind, base := range map[string]string{"Base": o.BaseName(), "Ops": o.Name} {
			for s := range suffixes[kind] {
				n := base + s
				if prev, ok := by[n]; ok && prev != kind {
					t.Errorf("ops %s: the module declares %s from both {{.Base}} and {{.Ops}}", name, n)
				}
				by[n] = kind
			}
		}
		o.Finish()
		for _, n := range cSymbols(o.C) {
			if prev, ok := by[n]; ok {
				t.Errorf("ops %s: the module declares %s from both {{.%s}} and the model's C names", name, n, prev)
			}
			by[n] = "C"
		}
	}
}
