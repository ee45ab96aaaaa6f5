package model

import (
	"reflect"
	"testing"
)

// testCOps is a generated module's spec whose callbacks take every kind of
// argument that gets a trigger local: a context struct, a struct by value,
// an opaque pointer, a referenced cgroup and task, and a kfunc that takes a
// struct pointer.
func testCOps() *Ops {
	u32 := Type{Kind: Int, Size: 4, C: "u32"}
	ctx := &TypeDef{Kind: DefStruct, Name: "job_ctx", Size: 8,
		Fields: []FieldDef{{Name: "id", Type: u32}, {Name: "len", Type: u32, Offset: 4}}}
	pair := &TypeDef{Kind: DefStruct, Name: "job_pair", Size: 8,
		Fields: []FieldDef{{Name: "x", Type: u32}, {Name: "y", Type: u32, Offset: 4}}}
	return &Ops{Name: "job_ops", Size: 24, Types: []*TypeDef{ctx, pair},
		Members: []Member{
			{Name: "run", Offset: 0, Size: 8, Func: &Func{Return: u32, Params: []Param{
				{Name: "n", Type: u32},
				{Name: "c", Type: Type{Kind: StructPtr, Size: 8, C: "struct job_ctx *", Struct: "job_ctx", Def: ctx}},
				{Name: "v", Type: Type{Kind: Opaque, Size: 8, C: "struct job_pair", Def: pair}},
				{Name: "p", Type: Type{Kind: Ptr, Size: 8, C: "void *"}},
			}}},
			{Name: "own", Offset: 8, Size: 8, Func: &Func{Return: Type{Kind: Void}, Params: []Param{
				{Name: "g", Ref: true, Type: Type{Kind: StructPtr, Size: 8, C: "struct cgroup *", Struct: "cgroup"}},
				{Name: "t", Ref: true, Type: Type{Kind: StructPtr, Size: 8, C: "struct task_struct *", Struct: "task_struct"}},
			}}},
			{Name: "depth", Offset: 16, Size: 4, Data: &u32},
		},
		Kfuncs: []Kfunc{{Name: "job_peek", Func: Func{Return: u32, Params: []Param{
			{Name: "sk", Type: Type{Kind: StructPtr, Size: 8, C: "struct sock *", Struct: "sock"}},
		}}}},
	}
}

// TestCNames: Finish stores the names of a generated module's C (which
// the C emitter reads and derives none of) and the trigger's decisions.
func TestCNames(t *testing.T) {
	o := testCOps()
	o.Finish()
	want := CNames{
		Prefix: "job", Macro: "JOB", Header: "job.h", Guard: "_JOB_H",
		Main: "job_main", KfuncsSource: "job_kfuncs.c", Objs: []string{"job_main.o", "job_kfuncs.o"},
		Trigger: "job_trigger", TriggerOps: "job_trigger_ops", TriggerWrite: "job_trigger_write",
		InitMember: "job_ops_init_member", Parse: "job_parse", Value: "job_value",
		ParseGroup: "job_parse_group", Other: "job_other",
		Param: "struct job_param", Arg: "union job_arg", Slots: "job_ops_slots",
		Forwards: []string{"cgroup", "job_ctx", "sock", "task_struct"},
	}
	if !reflect.DeepEqual(o.C, want) {
		t.Errorf("C names:\n%+v\nwant\n%+v", o.C, want)
	}
	if want := (TriggerInputs{Buffers: true, Groups: true, ValueGroups: true}); o.Inputs != want {
		t.Errorf("trigger inputs %+v, want %+v", o.Inputs, want)
	}
	for _, c := range []struct{ member, stub, caller string }{
		{"run", "job_ops__run", "job_call_run"}, {"own", "job_ops__own", "job_call_own"},
	} {
		m := o.Member(c.member)
		if m.CFIStub != c.stub || m.Caller != c.caller {
			t.Errorf("%s: stub %q, caller %q, want %q, %q", c.member, m.CFIStub, m.Caller, c.stub, c.caller)
		}
	}
	var locals []string
	for _, m := range o.Callbacks() {
		for _, p := range m.Func.Params {
			locals = append(locals, p.Local)
		}
	}
	if want := []string{"", "s_c", "s_v", "buf_p", "cgrp_g", ""}; !reflect.DeepEqual(locals, want) {
		t.Errorf("trigger locals %q, want %q", locals, want)
	}

	// without kfuncs: one source file named after the module; a struct
	// by value the trigger cannot fill is zeroed
	o = testCOps()
	o.Kfuncs = nil
	o.Members[0].Func.Params[2].Type.Def = &TypeDef{Kind: DefStruct, Name: "job_pair", Size: 8,
		Fields: []FieldDef{{Name: "x", Type: Type{Kind: Int, Size: 2, C: "u16"}, Offset: 1}}}
	o.Finish()
	if o.C.Main != "job" || o.C.KfuncsSource != "" || o.C.Objs != nil {
		t.Errorf("without kfuncs: main %q, kfuncs %q, objs %q, want job and none", o.C.Main, o.C.KfuncsSource, o.C.Objs)
	}
	if p := o.Members[0].Func.Params[2]; p.Local != "rec_v" || !o.Inputs.Zeroed || o.Inputs.ValueGroups {
		t.Errorf("a struct by value passed zeroed: local %q, inputs %+v", p.Local, o.Inputs)
	}

	// a kernel type gets no module, so no names
	o = testCOps()
	o.Kernel, o.Kfuncs = true, nil
	o.Finish()
	if !reflect.DeepEqual(o.C, CNames{}) || o.Members[0].CFIStub != "" || o.Members[0].Func.Params[1].Local != "" {
		t.Errorf("kernel type: C names %+v, stub %q", o.C, o.Members[0].CFIStub)
	}
}
