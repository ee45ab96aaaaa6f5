package e2e

import (
	"path/filepath"
	"testing"

	"github.com/structops/structops-gen/gen"
)

// TestExpectKfuncs checks the arithmetic the VM test expects of the
// kfuncs spec by hand: enqueue(q, p) = q + p + qsched_depth(q) +
// qsched_weight(q, p), tick(d) = d + qsched_depth(d) + qsched_weight(d, 0),
// each kfunc returning the sum of its arguments plus one.
func TestExpectKfuncs(t *testing.T) {
	o, err := gen.Load(gen.Spec{Header: "../gen/testdata/headers/kfuncs.h"})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"enqueue 1 2":    "9",          // 1+2 + (1+1) + (1+2+1)
		"tick 1":         "5",          // 1 + (1+1) + (1+0+1)
		"tick -3":        "4294967289", // -3 + u32(-3+1) + (-3+0+1): the u32 result zero-extended
		"enqueue 10 300": "376",        // 10+300 + 11 + (10 + u8(300)=44 + 1)
	} {
		_, got, err := Expect(o, line)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: got %s, want %s", line, got, want)
		}
	}
}

// TestCallsAgreeWithExpect: for every golden header spec, the values Calls
// picks are what Expect computes for the same lines.
func TestCallsAgreeWithExpect(t *testing.T) {
	hs, _ := filepath.Glob("../gen/testdata/headers/*.h")
	for _, h := range hs {
		o, err := gen.Load(gen.Spec{Header: h})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range Calls(o) {
			_, want, err := Expect(o, c.Line)
			if err != nil {
				t.Fatalf("%s: %v", h, err)
			}
			if want != c.Want {
				t.Errorf("%s: %q: Calls wants %s, Expect %s", h, c.Line, c.Want, want)
			}
		}
	}
}
