package output

import (
	"strings"
	"testing"
)

func TestUserCProblem(t *testing.T) {
	f := File{Path: "module/q_kfuncs.c", UserOwned: true, Defines: []string{"q_depth", "q_weight"}}
	src := []byte(`/* __bpf_kfunc u32 q_weight(u32 a) in a comment does not count */
__bpf_kfunc u32 q_depth(u32 queue)
{
	return queue + 1;
}
__bpf_kfunc struct task_struct *q_old(void)
{
	return NULL;
}
`)
	p := userCProblem(f, src)
	if strings.Join(p.Missing, ",") != "kfunc q_weight" || strings.Join(p.Stale, ",") != "kfunc q_old" {
		t.Fatalf("missing %q stale %q", p.Missing, p.Stale)
	}
	msg := p.describe("out/module/q_kfuncs.c")
	for _, want := range []string{"lacks kfunc q_weight", "kfunc q_old, which the spec no longer declares", "default kfunc bodies"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}
