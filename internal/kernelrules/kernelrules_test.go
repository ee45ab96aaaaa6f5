package kernelrules

import (
	"strings"
	"testing"
)

func TestEnumBits(t *testing.T) {
	flags := types["sched_ext_ops"]["flags"]
	values := map[string]uint64{
		"SCX_OPS_KEEP_BUILTIN_IDLE": 1, "SCX_OPS_ENQ_LAST": 2, "SCX_OPS_SWITCH_PARTIAL": 8,
		"SCX_OPS_ALL_FLAGS": 0xb, "__SCX_OPS_INTERNAL_MASK": 0xff << 56, "SCX_OPS_HAS_CPU_PREEMPT": 1 << 56,
	}
	var names []string
	for _, b := range flags.EnumBits(values) {
		names = append(names, b.Name)
	}
	if got, want := strings.Join(names, ","), "SCX_OPS_KEEP_BUILTIN_IDLE,SCX_OPS_ENQ_LAST,SCX_OPS_SWITCH_PARTIAL"; got != want {
		t.Errorf("bits %s, want %s", got, want)
	}
	// without the mask: every single bit not named __*
	delete(values, "SCX_OPS_ALL_FLAGS")
	if n := len(flags.EnumBits(values)); n != 4 {
		t.Errorf("%d bits without SCX_OPS_ALL_FLAGS, want 4", n)
	}
}

func TestMax(t *testing.T) {
	timeout := types["sched_ext_ops"]["timeout_ms"]
	if err := timeout.CheckInt(30000); err != nil {
		t.Error(err)
	}
	if err := timeout.CheckInt(30001); err == nil || !strings.Contains(err.Error(), "at most 30000") {
		t.Errorf("30001: %v", err)
	}
}

func TestKfuncCandidates(t *testing.T) {
	for name, want := range map[string]string{
		"scx_bpf_dsq_insert":        "scx_bpf_dsq_insert,scx_bpf_dsq_insert___v2,scx_bpf_dispatch",
		"scx_bpf_dispatch":          "scx_bpf_dispatch,scx_bpf_dsq_insert,scx_bpf_dsq_insert___v2",
		"scx_bpf_dsq_move_to_local": "scx_bpf_dsq_move_to_local,scx_bpf_consume",
		"tcp_reno_ssthresh":         "tcp_reno_ssthresh",
	} {
		if got := strings.Join(KfuncCandidates(name), ","); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}
