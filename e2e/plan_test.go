package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/structops/structops-gen/gen"
)

// TestExpect: parsing a trigger line back (Expect) gives the value Calls
// computed while formatting it, for every callback of every golden header
// spec, and hex, negative and string words are read as the module reads
// them.
func TestExpect(t *testing.T) {
	hs, _ := filepath.Glob("../gen/testdata/headers/*.h")
	if len(hs) == 0 {
		t.Fatal("no golden headers")
	}
	for _, h := range hs {
		o, err := gen.Load(gen.Spec{Header: h})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range Calls(o) {
			member, want, err := Expect(o, c.Line)
			if err != nil || member != strings.Fields(c.Line)[0] || want != c.Want {
				t.Errorf("%s: Expect(%q) = %s %s, %v; Calls computed %s", filepath.Base(h), c.Line, member, want, err, c.Want)
			}
		}
		if len(o.DemoCalls) != len(o.Callbacks()) {
			t.Errorf("%s: %d demo calls for %d callbacks", filepath.Base(h), len(o.DemoCalls), len(o.Callbacks()))
		}
		for _, line := range o.DemoCalls {
			if _, _, err := Expect(o, line); err != nil {
				t.Errorf("%s: demo call: %v", filepath.Base(h), err)
			}
		}
	}
	o, err := gen.Load(gen.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"test_2 0x10 -0x3":    "13",
		"test_2 -7 3":         "-4",
		"test_2 2147483647 1": "-2147483648", // int wraps
		"test_3 hello 5":      "5",
	} {
		if _, got, err := Expect(o, line); err != nil || got != want {
			t.Errorf("Expect(%q) = %s, %v; want %s", line, got, err, want)
		}
	}
	for _, bad := range []string{"", "test_9", "test_2 1", "test_2 x 1"} {
		if _, _, err := Expect(o, bad); err == nil {
			t.Errorf("Expect(%q): no error", bad)
		}
	}
}
