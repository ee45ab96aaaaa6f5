package model

import (
	"reflect"
	"testing"
)

// TestCallCounts: how Finish decides the call counting of a stack.
func TestCallCounts(t *testing.T) {
	cInt := Type{Kind: Int, Size: 4, Signed: true, C: "int"}
	cb := func(name string, off int) Member {
		return Member{Name: name, Offset: off, Size: 8, Func: &Func{Return: cInt}}
	}
	for _, c := range []struct {
		what string
		o    Ops
		want *CallCounts
	}{
		{"a header spec: per CPU, every callback",
			Ops{Name: "job_ops", Size: 16, Members: []Member{cb("run", 0), cb("stop", 8)}},
			&CallCounts{Var: "Calls", Map: "calls", Members: []string{"run", "stop"}}},
		{"the tutorial's spec: none",
			Ops{Name: "bpf_testmod_ops", Size: 8, Tutorial: true, Members: []Member{cb("test_1", 0)}},
			nil},
		{"a kernel type whose programs call no helper: global, the implemented callbacks only",
			Ops{Name: "bpf_dummy_ops", Size: 16, Kernel: true, Implemented: []string{"test_2"}, Members: []Member{cb("test_1", 0), cb("test_2", 8)}},
			&CallCounts{Var: "Calls", Map: "calls", Global: true, Members: []string{"test_2"}}},
		{"a kernel type with helpers: per CPU",
			Ops{Name: "tcp_congestion_ops", Size: 8, Kernel: true, Members: []Member{cb("ssthresh", 0)}},
			&CallCounts{Var: "Calls", Map: "calls", Members: []string{"ssthresh"}}},
		{"a callback takes the name Calls",
			Ops{Name: "job_ops", Size: 16, Members: []Member{cb("calls", 0), cb("call_counts", 8)}},
			&CallCounts{Var: "CallCounts2", Map: "calls", Members: []string{"calls", "call_counts"}}},
		{"a type called calls: the struct_ops map has the name",
			Ops{Name: "calls", Size: 8, Members: []Member{cb("run", 0)}},
			&CallCounts{Var: "Calls", Map: "call_counts", Members: []string{"run"}}},
	} {
		c.o.Finish()
		if !reflect.DeepEqual(c.o.Counts, c.want) {
			t.Errorf("%s: %+v, want %+v", c.what, c.o.Counts, c.want)
		}
	}
}
